#include "analysis/days.hpp"

#include <cstdio>
#include <regex>

#include "common/errors.hpp"

namespace billingfoot::analysis {

using namespace std::chrono;

Day parse_day(const std::string& text, const std::string& what) {
  static const std::regex iso(R"((\d{4})-(\d{2})-(\d{2}))");
  std::smatch m;
  if (std::regex_match(text, m, iso)) {
    year_month_day ymd{year(std::stoi(m[1])), month(std::stoul(m[2])), day(std::stoul(m[3]))};
    if (ymd.ok()) return sys_days(ymd);
  }
  throw UsageError(what + " must be a date YYYY-MM-DD, not '" + text + "'");
}

std::string iso_day(Day d) {
  year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string month_key(Day d) {
  return iso_day(d).substr(0, 7);
}

int weekday_index(Day d) {
  return static_cast<int>(weekday(d).iso_encoding()) - 1;
}

Day today_utc() {
  return floor<days>(system_clock::now());
}

Day month_start(Day d) {
  year_month_day ymd(d);
  return sys_days(ymd.year() / ymd.month() / 1);
}

Day add_months(Day first_of_month, int n) {
  year_month_day ymd(first_of_month);
  return sys_days(year_month_day(ymd.year() / ymd.month() / 1) + months(n));
}

}  // namespace billingfoot::analysis
