// Forecast arithmetic against hand-computed cases.
#include "analysis/forecast.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ba = billingfoot::analysis;

TEST(Forecast, WeeklyPatternWithoutNoiseIsForecastExactly) {
  ba::DailySeries s;  // 8 weeks from a Monday: weekdays 100, weekends 50
  for (int d = 0; d < 56; ++d) s.values.push_back(s.weekday(d) >= 5 ? 50 : 100);
  // The next 10 days: Mon–Fri, Sat, Sun, Mon–Wed = 8 × 100 + 2 × 50.
  ba::ForecastSum f = ba::forecast_sum(s, 10);
  EXPECT_NEAR(f.expected, 900, 1e-9);
  EXPECT_NEAR(f.low, 900, 1e-9);
  EXPECT_NEAR(f.high, 900, 1e-9);
}

TEST(Forecast, LinearTrendIsExtended) {
  ba::DailySeries s;
  for (int d = 0; d < 56; ++d) s.values.push_back(10 + d);
  // Days 56..60 continue the line: 5 × 10 + (56 + 57 + 58 + 59 + 60) = 340.
  ba::ForecastSum f = ba::forecast_sum(s, 5);
  EXPECT_NEAR(f.expected, 340, 1e-6);
  EXPECT_NEAR(f.high - f.low, 0, 1e-6);
}

TEST(Forecast, IntervalOfAShortNoisyHistory) {
  ba::DailySeries s;  // 10 days: too short for seasonality or trend
  for (int d = 0; d < 10; ++d) s.values.push_back(d % 2 ? 110 : 90);
  // mean 100; σ² = 10 × 10² / (10 − 1); Var(sum of 5) = σ² (5 + 5² / 10) = 833.33…
  ba::ForecastSum f = ba::forecast_sum(s, 5);
  double half = 1.645 * std::sqrt(1000.0 / 9 * 7.5);
  EXPECT_NEAR(f.expected, 500, 1e-9);
  EXPECT_NEAR(f.high - f.expected, half, 1e-9);
  EXPECT_NEAR(f.expected - f.low, half, 1e-9);
}

TEST(Forecast, SkippedDaysAreLeftOut) {
  ba::DailySeries s;
  s.values.assign(20, 100.0);
  EXPECT_NEAR(ba::forecast_sum(s, 10, 3).expected, 700, 1e-9);
  EXPECT_NEAR(ba::forecast_sum(s, 0).expected, 0, 1e-9);
  EXPECT_NEAR(ba::forecast_sum({}, 5).expected, 0, 1e-9);
}
