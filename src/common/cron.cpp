#include "common/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <sstream>
#include <vector>

#include "common/strings.hpp"

namespace billingfoot::common {

namespace {

struct Field {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names for min, min+1, … (nullptr: numbers only)
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day of week accepts 0-7 (7 = Sunday, as in crontab(5)).
constexpr std::array<Field, 5> kFields = {{{"minute", 0, 59, nullptr},
                                           {"hour", 0, 23, nullptr},
                                           {"day of month", 1, 31, nullptr},
                                           {"month", 1, 12, kMonthNames},
                                           {"day of week", 0, 7, kDayNames}}};

int parse_value(const std::string& text, const Field& field, const std::string& whole) {
  if (field.names && text.size() == 3 && std::isalpha(static_cast<unsigned char>(text[0]))) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    int count = field.names == kMonthNames ? 12 : 7;
    for (int i = 0; i < count; ++i) {
      if (lower == field.names[i]) return field.min + i;
    }
  }
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      text.size() > 4) {
    throw CronError("'" + whole + "': " + field.name + " field: '" + text + "' is not a number" +
                    (field.names ? " or a name" : ""));
  }
  int value = std::stoi(text);
  if (value < field.min || value > field.max) {
    throw CronError("'" + whole + "': " + field.name + " " + text + " is outside " + std::to_string(field.min) + "-" +
                    std::to_string(field.max));
  }
  return value;
}

// Sets the bits of one field; returns false when the field is `*` (every value).
bool parse_field(const std::string& text, const Field& field, std::vector<bool>& bits, const std::string& whole) {
  bits.assign(static_cast<size_t>(field.max) + 1, false);
  bool star = text == "*";
  for (const std::string& item : split(text, ',')) {
    if (item.empty()) throw CronError("'" + whole + "': " + field.name + " field has an empty list item");
    std::string range = item;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      range = item.substr(0, slash);
      std::string step_text = item.substr(slash + 1);
      if (step_text.empty() || step_text.size() > 4 ||
          !std::all_of(step_text.begin(), step_text.end(), [](unsigned char c) { return std::isdigit(c); }) ||
          std::stoi(step_text) == 0) {
        throw CronError("'" + whole + "': " + field.name + " field: step '" + step_text + "' must be a positive number");
      }
      step = std::stoi(step_text);
    }
    int lo = field.min, hi = field.max;
    if (range != "*") {
      if (auto dash = range.find('-'); dash != std::string::npos) {
        lo = parse_value(range.substr(0, dash), field, whole);
        hi = parse_value(range.substr(dash + 1), field, whole);
        if (lo > hi) throw CronError("'" + whole + "': " + field.name + " range " + range + " runs backwards");
      } else {
        lo = parse_value(range, field, whole);
        if (item.find('/') == std::string::npos) hi = lo;  // "5/15" means 5, 20, 35, 50
      }
    } else if (field.max == 7) {
      hi = 6;  // `*` in day of week: 0-6 (7 would repeat Sunday)
    }
    for (int v = lo; v <= hi; v += step) bits[static_cast<size_t>(v)] = true;
  }
  return !star;
}

using Clock = std::chrono::system_clock;

std::tm utc(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm out{};
  gmtime_r(&tt, &out);
  return out;
}

Clock::time_point from_utc(std::tm tm) { return Clock::from_time_t(timegm(&tm)); }

}  // namespace

CronSchedule CronSchedule::parse(const std::string& text) {
  static const std::vector<std::pair<std::string, std::string>> macros = {
      {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@weekly", "0 0 * * 0"}, {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"}};
  std::string expr = trim(text);
  for (const auto& [name, expansion] : macros) {
    if (expr == name) expr = expansion;
  }
  std::istringstream in(expr);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    throw CronError("'" + text + "' has " + std::to_string(fields.size()) +
                    " fields; a schedule needs five (minute hour day-of-month month day-of-week), "
                    "e.g. \"0 */8 * * *\", or @hourly / @daily / @weekly / @monthly");
  }
  CronSchedule s;
  s.text_ = trim(text);
  std::vector<bool> bits;
  parse_field(fields[0], kFields[0], bits, text);
  for (int i = 0; i < 60; ++i) s.minutes_[i] = bits[i];
  parse_field(fields[1], kFields[1], bits, text);
  for (int i = 0; i < 24; ++i) s.hours_[i] = bits[i];
  s.any_day_ = !parse_field(fields[2], kFields[2], bits, text);
  for (int i = 1; i <= 31; ++i) s.days_[i] = bits[i];
  parse_field(fields[3], kFields[3], bits, text);
  for (int i = 1; i <= 12; ++i) s.months_[i] = bits[i];
  s.any_weekday_ = !parse_field(fields[4], kFields[4], bits, text);
  for (int i = 0; i <= 6; ++i) s.weekdays_[i] = bits[i];
  if (bits[7]) s.weekdays_[0] = true;
  s.next_after(Clock::from_time_t(0));  // throws for dates that never come, e.g. 30 February
  return s;
}

bool CronSchedule::day_matches(int mday, int month, int wday) const {
  if (!months_[month]) return false;
  bool by_day = days_[mday], by_weekday = weekdays_[wday];
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return by_weekday;
  if (any_weekday_) return by_day;
  return by_day || by_weekday;
}

CronSchedule::TimePoint CronSchedule::next_after(TimePoint after) const {
  std::tm tm = utc(after);
  tm.tm_sec = 0;
  tm.tm_min += 1;
  TimePoint t = from_utc(tm);
  // Eight years cover every valid combination (29 February on a given weekday included).
  for (int day = 0; day < 8 * 366 + 1; ++day) {
    tm = utc(t);
    if (day_matches(tm.tm_mday, tm.tm_mon + 1, tm.tm_wday)) {
      for (int h = tm.tm_hour; h < 24; ++h) {
        if (!hours_[h]) continue;
        for (int m = h == tm.tm_hour ? tm.tm_min : 0; m < 60; ++m) {
          if (!minutes_[m]) continue;
          std::tm hit = tm;
          hit.tm_hour = h;
          hit.tm_min = m;
          hit.tm_sec = 0;
          return from_utc(hit);
        }
      }
    }
    tm.tm_mday += 1;  // midnight of the next day
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    t = from_utc(tm);
  }
  throw CronError("'" + text_ + "' never matches a real date");
}

std::chrono::seconds CronSchedule::longest_gap(TimePoint from) const {
  TimePoint previous = next_after(from);
  std::chrono::seconds longest{0};
  for (int i = 0; i < 2000; ++i) {
    TimePoint next = next_after(previous);
    longest = std::max(longest, std::chrono::duration_cast<std::chrono::seconds>(next - previous));
    if (next - from > std::chrono::hours(24 * 400)) break;
    previous = next;
  }
  return longest;
}

}  // namespace billingfoot::common
