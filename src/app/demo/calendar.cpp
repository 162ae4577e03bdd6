#include "app/demo/calendar.hpp"

#include <fmt/format.h>

#include <regex>

#include "common/errors.hpp"

namespace billingfoot::app::demo {

namespace chr = std::chrono;

Day parse_day(const std::string& text, const std::string& what) {
  static const std::regex pattern(R"((\d{4})-(\d{2})-(\d{2}))");
  std::smatch m;
  if (std::regex_match(text, m, pattern)) {
    chr::year_month_day ymd{chr::year(std::stoi(m[1])), chr::month(std::stoul(m[2])),
                            chr::day(std::stoul(m[3]))};
    if (ymd.ok()) return Day(ymd);
  }
  throw UsageError(what + " must be a date YYYY-MM-DD, not '" + text + "'");
}

Day today_utc() {
  return chr::floor<chr::days>(chr::system_clock::now());
}

std::string iso_date(Day day) {
  chr::year_month_day ymd(day);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string timestamp(Day day) {
  return iso_date(day) + "T00:00:00Z";
}

std::string month_key(Day day) {
  return iso_date(day).substr(0, 7);
}

Day month_start(Day day) {
  chr::year_month_day ymd(day);
  return Day(ymd.year() / ymd.month() / 1);
}

Day next_month_start(Day day) {
  return add_months(day, 1);
}

Day add_months(Day day, int months) {
  chr::year_month_day ymd(day);
  return Day((ymd.year() / ymd.month() + chr::months(months)) / 1);
}

int days_in_month(Day day) {
  return static_cast<int>((next_month_start(day) - month_start(day)).count());
}

bool is_weekend(Day day) {
  unsigned wd = chr::weekday(day).c_encoding();  // 0 = Sunday
  return wd == 0 || wd == 6;
}

Timeline Timeline::ending(Day as_of, int months) {
  return Timeline{add_months(as_of, 1 - months), as_of};
}

Day Timeline::data_end(Day month) const {
  return std::min(next_month_start(month), last + chr::days(1));
}

}  // namespace billingfoot::app::demo

namespace billingfoot::app::demo {

void Timeline::for_each_day(const std::function<void(Day)>& on_day,
                            const std::function<void(Day)>& on_month) const {
  for (Day month = first; month <= last; month = next_month_start(month)) {
    for (Day day = month; day < data_end(month); day += chr::days(1)) on_day(day);
    if (on_month) on_month(month);
  }
}

}  // namespace billingfoot::app::demo
