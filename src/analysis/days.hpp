#pragma once
// Calendar days (UTC) of the analysis layer: ISO text, weekdays, month/quarter/year periods.
#include <chrono>
#include <string>

namespace billingfoot::analysis {

using Day = std::chrono::sys_days;

// YYYY-MM-DD → day; throws UsageError naming `what` otherwise.
Day parse_day(const std::string& text, const std::string& what);
std::string iso_day(Day day);    // 2025-01-31
std::string month_key(Day day);  // 2025-01
int weekday_index(Day day);      // 0 = Monday … 6 = Sunday
Day today_utc();
Day month_start(Day day);
Day add_months(Day first_of_month, int months);

}  // namespace billingfoot::analysis
