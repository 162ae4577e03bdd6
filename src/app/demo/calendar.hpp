#pragma once
// Days and months of the demo's history. All dates are UTC; ends are exclusive, as in FOCUS
// (January = [2025-01-01T00:00:00Z, 2025-02-01T00:00:00Z)).
#include <chrono>
#include <functional>
#include <string>

namespace billingfoot::app::demo {

using Day = std::chrono::sys_days;

// YYYY-MM-DD; throws UsageError naming `what` otherwise.
Day parse_day(const std::string& text, const std::string& what);
Day today_utc();
std::string iso_date(Day day);   // 2025-01-31
std::string timestamp(Day day);  // 2025-01-31T00:00:00Z
std::string month_key(Day day);  // 2025-01
Day month_start(Day day);
Day next_month_start(Day day);
Day add_months(Day day, int months);  // the first day of the month `months` after day's month
bool is_weekend(Day day);
int days_in_month(Day day);

// The history the demo covers: whole months, ending with the as-of day (inclusive), so the last
// month is the current month to date.
struct Timeline {
  Day first;  // first day of the first month
  Day last;   // the as-of day, inclusive

  static Timeline ending(Day as_of, int months);
  int day_index(Day day) const { return static_cast<int>((day - first).count()); }
  int days() const { return day_index(last) + 1; }
  double months_elapsed(Day day) const { return day_index(day) / 30.44; }
  // Exclusive end of the data inside the month that starts at `month`.
  Day data_end(Day month) const;
  bool complete(Day month) const { return data_end(month) == next_month_start(month); }
  // Calls on_day for every day, in order, and on_month (if set) with the month's first day
  // after the last day of each month.
  void for_each_day(const std::function<void(Day)>& on_day,
                    const std::function<void(Day)>& on_month = {}) const;
};

}  // namespace billingfoot::app::demo
