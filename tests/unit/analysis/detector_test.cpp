// The detector on synthetic daily series, one test per kind of anomaly and per thing that must
// not alert. Series start on a Monday; noise is deterministic.
#include "analysis/detector.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace ba = billingfoot::analysis;
using billingfoot::config::Direction;

namespace {

// Weekdays cost `level`, weekends level × weekend; relative noise from a fixed sequence.
ba::DailySeries seasonal(int days, double level, double weekend, double noise, uint64_t seed = 7) {
  ba::DailySeries s;
  s.first_weekday = 0;
  uint64_t state = seed;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((state >> 11) + 0.5) / 9007199254740992.0;
  };
  for (int d = 0; d < days; ++d) {
    double z = std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform());
    double w = s.weekday(d) >= 5 ? weekend : 1.0;
    s.values.push_back(level * w * (1 + noise * std::clamp(z, -2.5, 2.5)));
  }
  return s;
}

std::vector<ba::Window> detect(const ba::DailySeries& s,
                               const ba::DetectorSettings& settings = {}) {
  auto verdicts = ba::judge(s, 0, static_cast<int>(s.values.size()) - 1, settings);
  return ba::group_windows(s, verdicts, settings.merge_gap_days);
}

}  // namespace

TEST(Detector, WeeklySeasonalityWithNoiseIsNotAnomalous) {
  auto s = seasonal(140, 1000, 0.4, 0.04);
  EXPECT_TRUE(detect(s).empty());
}

TEST(Detector, SpikeIsOneShortAnomalyWithItsImpact) {
  auto s = seasonal(84, 1000, 0.6, 0.03);
  double normal = s.values[70];
  s.values[70] *= 3;
  auto windows = detect(s);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 70);
  EXPECT_EQ(windows[0].last, 70);
  EXPECT_EQ(ba::anomaly_kind(windows[0]), "spike");
  EXPECT_NEAR(windows[0].actual, 3 * normal, 1e-6);
  EXPECT_NEAR(windows[0].impact(), 2 * normal, 0.1 * normal);  // expected ≈ the normal day
}

TEST(Detector, LevelShiftIsReportedOnceThenBecomesTheNewNormal) {
  auto s = seasonal(120, 1000, 0.7, 0.03);
  for (int d = 60; d < 120; ++d) s.values[d] *= 1.6;
  auto verdicts = ba::judge(s, 0, 119, {});
  auto windows = ba::group_windows(s, verdicts, 7);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 60);
  EXPECT_LE(windows[0].last, 70);  // adopted within ~a week (level = 14-day median)
  EXPECT_EQ(ba::anomaly_kind(windows[0]), "sustained");
  for (int d = 75; d < 120; ++d) EXPECT_FALSE(verdicts[d].flagged) << "day " << d;
}

TEST(Detector, SlowRampIsFoundWithinDays) {
  auto s = seasonal(110, 1000, 0.7, 0.03);
  for (int d = 70; d < 110; ++d) s.values[d] *= std::pow(1.04, std::min(d - 69, 25));
  auto windows = detect(s);
  ASSERT_FALSE(windows.empty());
  EXPECT_GE(windows[0].first, 70);
  EXPECT_LE(windows[0].first, 80);
  EXPECT_GT(windows[0].impact(), 0);
}

TEST(Detector, BrokenWeeklyPatternIsOneAnomalyFromTheFirstWeekend) {
  auto s = seasonal(120, 1000, 0.3, 0.03);
  for (int d = 63; d < 120; ++d) {
    if (s.weekday(d) >= 5) s.values[d] /= 0.3;  // weekends now cost what weekdays do
  }
  auto windows = detect(s);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 68);  // day 68 is the first Saturday from day 63
  EXPECT_GE(windows[0].flagged_days, 4);
}

TEST(Detector, NewServiceIsNewSpendThenJudgedNormally) {
  ba::DailySeries s;
  s.values.assign(40, 0.0);
  auto steady = seasonal(60, 300, 1.0, 0.02);
  s.values.insert(s.values.end(), steady.values.begin(), steady.values.end());
  ba::DetectorSettings settings;
  auto verdicts = ba::judge(s, 0, 99, settings);
  auto windows = ba::group_windows(s, verdicts, settings.merge_gap_days);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 40);
  EXPECT_EQ(windows[0].last, 40 + settings.min_history_days - 1);
  EXPECT_EQ(ba::anomaly_kind(windows[0]), "new_spend");
  EXPECT_DOUBLE_EQ(windows[0].expected, 0);
  EXPECT_TRUE(verdicts[40 + settings.min_history_days].judged);
  EXPECT_FALSE(verdicts[40 + settings.min_history_days].flagged);
}

TEST(Detector, TinyServiceBelowTheAbsoluteThresholdNeverAlerts) {
  auto s = seasonal(84, 5, 1.0, 0.05);
  s.values[70] *= 6;  // +25 a day: huge relative change, below min_impact 50
  EXPECT_TRUE(detect(s).empty());
  ba::DetectorSettings sensitive;
  sensitive.min_impact = 10;
  EXPECT_EQ(detect(s, sensitive).size(), 1u);
}

TEST(Detector, SmallRelativeChangeOfAFlatCostDoesNotAlert) {
  ba::DailySeries s;
  s.values.assign(84, 2000.0);  // reserved capacity: no noise at all
  s.values[70] = 2300;          // +15 %: above min_impact, below min_relative
  EXPECT_TRUE(detect(s).empty());
  s.values[70] = 2600;  // +30 %
  EXPECT_EQ(detect(s).size(), 1u);
}

TEST(Detector, DropsCountOnlyWhenAskedFor) {
  auto s = seasonal(84, 1000, 0.6, 0.03);
  for (int d = 70; d < 73; ++d) s.values[d] *= 0.2;
  EXPECT_TRUE(detect(s).empty());
  ba::DetectorSettings both;
  both.direction = Direction::Both;
  auto windows = detect(s, both);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(ba::anomaly_kind(windows[0]), "drop");
  EXPECT_LT(windows[0].impact(), 0);
}

TEST(Detector, WeeklyBatchJobIsNormal) {
  ba::DailySeries s;
  for (int d = 0; d < 120; ++d) s.values.push_back(s.weekday(d) == 0 ? 800.0 + d : 0.0);
  EXPECT_TRUE(detect(s).empty());
  s.values[100] = 900;  // a Thursday run
  auto windows = detect(s);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].first, 100);
}

TEST(Detector, DaysWithoutEnoughHistoryAreNotJudged) {
  auto s = seasonal(30, 1000, 0.6, 0.03);
  ba::DetectorSettings settings;
  auto verdicts = ba::judge(s, 0, 29, settings);
  for (int d = 0; d < settings.min_history_days; ++d) EXPECT_FALSE(verdicts[d].judged) << d;
  EXPECT_TRUE(verdicts[settings.min_history_days].judged);
}

TEST(Detector, SeverityGrowsWithDailyImpactAndRelativeChangeRaisesItOneStep) {
  ba::Window w;
  w.first = w.last = 0;
  w.expected = 10000;
  w.actual = 10080;  // +80 a day on min_impact 50: low
  EXPECT_EQ(ba::severity(w, 50), "low");
  w.actual = 11200;  // +1200 = 24 × min_impact: critical
  EXPECT_EQ(ba::severity(w, 50), "critical");
  w.expected = 20;
  w.actual = 90;  // tiny service ×4.5: relative says critical, impact (+70 a day) says low → medium
  EXPECT_EQ(ba::severity(w, 50), "medium");
}

TEST(RollingMeanBaseline, FlagsASpikeInEitherDirectionMode) {
  auto s = seasonal(84, 1000, 0.2, 0.01);
  s.values[71] *= 3;
  auto verdicts = ba::judge_rolling_mean(s, 0, 83, 28, 3.0, Direction::Up);
  EXPECT_TRUE(verdicts[71].flagged);
  auto both = ba::judge_rolling_mean(s, 0, 83, 28, 3.0, Direction::Both);
  EXPECT_TRUE(both[71].flagged);
}
