#include "common/cron.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace billingfoot::common {
namespace {

using Clock = std::chrono::system_clock;

Clock::time_point at(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return Clock::from_time_t(timegm(&tm));
}

std::string iso(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %a", &tm);
  return buf;
}

std::string next(const std::string& cron, Clock::time_point after) {
  return iso(CronSchedule::parse(cron).next_after(after));
}

TEST(Cron, EveryEightHoursFollowsTheClockNotTheStartTime) {
  EXPECT_EQ(next("0 */8 * * *", at(2026, 11, 29, 6, 24, 53)), "2026-11-29 08:00 Sun");
  EXPECT_EQ(next("0 */8 * * *", at(2026, 11, 29, 8, 0)), "2026-11-29 16:00 Sun");  // strictly after
  EXPECT_EQ(next("0 */8 * * *", at(2026, 11, 29, 16, 0, 1)), "2026-11-30 00:00 Mon");
}

TEST(Cron, ListsRangesStepsAndNames) {
  EXPECT_EQ(next("15,45 9-17/4 * * *", at(2026, 1, 1, 9, 50)), "2026-01-01 13:15 Thu");
  EXPECT_EQ(next("0 6 * * mon-fri", at(2026, 11, 27, 7, 0)), "2026-11-30 06:00 Mon");  // Friday 07:00 → Monday
  EXPECT_EQ(next("30 2 1 jan,JUL *", at(2026, 2, 1, 0, 0)), "2026-07-01 02:30 Wed");
  EXPECT_EQ(next("0 0 * * 7", at(2026, 11, 29, 0, 0)), "2026-12-06 00:00 Sun");  // 7 is Sunday too
  EXPECT_EQ(next("5/20 * * * *", at(2026, 1, 1, 0, 6)), "2026-01-01 00:25 Thu");
  EXPECT_EQ(next("@daily", at(2026, 12, 31, 23, 59)), "2027-01-01 00:00 Fri");
  EXPECT_EQ(next("* * * * *", at(2026, 3, 1, 10, 0, 30)), "2026-03-01 10:01 Sun");
}

TEST(Cron, BothDayFieldsRestrictedMeansEither) {
  // The 13th, or any Friday (crontab(5)): from Monday 2 Nov 2026 the next is Friday 6 Nov.
  EXPECT_EQ(next("0 0 13 * 5", at(2026, 11, 2, 0, 0)), "2026-11-06 00:00 Fri");
  EXPECT_EQ(next("0 0 13 * 5", at(2026, 11, 12, 0, 0)), "2026-11-13 00:00 Fri");
}

TEST(Cron, LeapDaysAndMonthEnds) {
  EXPECT_EQ(next("0 12 29 2 *", at(2026, 3, 1, 0, 0)), "2028-02-29 12:00 Tue");
  EXPECT_EQ(next("0 0 31 * *", at(2026, 4, 1, 0, 0)), "2026-05-31 00:00 Sun");
}

TEST(Cron, LongestGapIsTheScheduleInterval) {
  auto from = at(2026, 11, 29, 6, 0);
  EXPECT_EQ(CronSchedule::parse("0 */8 * * *").longest_gap(from), std::chrono::hours(8));
  EXPECT_EQ(CronSchedule::parse("@hourly").longest_gap(from), std::chrono::hours(1));
  EXPECT_EQ(CronSchedule::parse("0 6 * * *").longest_gap(from), std::chrono::hours(24));
  // Weekdays only: Friday 06:00 → Monday 06:00.
  EXPECT_EQ(CronSchedule::parse("0 6 * * 1-5").longest_gap(from), std::chrono::hours(72));
}

TEST(Cron, BadSchedulesAreRefusedWithTheReason) {
  auto message = [](const std::string& text) {
    try {
      CronSchedule::parse(text);
    } catch (const CronError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("0 */8 * *").find("has 4 fields"), std::string::npos);
  EXPECT_NE(message("60 * * * *").find("minute 60 is outside 0-59"), std::string::npos);
  EXPECT_NE(message("0 0 * * 8").find("day of week 8 is outside 0-7"), std::string::npos);
  EXPECT_NE(message("0 10-2 * * *").find("range 10-2 runs backwards"), std::string::npos);
  EXPECT_NE(message("*/0 * * * *").find("step '0' must be a positive number"), std::string::npos);
  EXPECT_NE(message("0 0 * foo *").find("'foo' is not a number or a name"), std::string::npos);
  EXPECT_NE(message("0 0 30 2 *").find("never matches"), std::string::npos);
  EXPECT_NE(message("0 0 1,,2 * *").find("empty list item"), std::string::npos);
}

}  // namespace
}  // namespace billingfoot::common
