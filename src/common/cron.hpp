#pragma once
// Cron schedules as crontab(5) writes them, evaluated in UTC: five fields (minute hour
// day-of-month month day-of-week) with `*`, lists, ranges, steps and month / weekday names, plus
// @hourly, @daily, @weekly, @monthly and @yearly. As in cron, when both day fields are
// restricted a day matches if either does.
#include <bitset>
#include <chrono>
#include <stdexcept>
#include <string>

namespace billingfoot::common {

class CronError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class CronSchedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Throws CronError saying which field is wrong and why.
  static CronSchedule parse(const std::string& text);

  // The first minute strictly after `after` that matches (seconds are 0).
  TimePoint next_after(TimePoint after) const;
  // The longest gap between two consecutive matches within a year from `from` (e.g. 8 h for
  // "0 */8 * * *"): how long a source may go without a scheduled run.
  std::chrono::seconds longest_gap(TimePoint from) const;

  const std::string& text() const { return text_; }

 private:
  bool day_matches(int mday, int month, int wday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = true;      // day-of-month field was `*`
  bool any_weekday_ = true;  // day-of-week field was `*`
};

}  // namespace billingfoot::common
