#pragma once
// Forecast of the cost still to come in a period (month, quarter, year) from the daily costs so
// far. Method (classical multiplicative decomposition + linear trend):
//  1. History H = the last 56 days (fewer when there are fewer).
//  2. Weekly factors: with ≥ 14 days, each day's ratio to the centred 7-day moving average,
//     averaged per weekday and normalised to mean 1 (a trend does not leak into them);
//     otherwise every factor is 1.
//  3. De-seasonalized y_d = cost_d / s_w(d); least-squares line y = a + b·d over H (with
//     ≥ 28 days; with fewer, b = 0 and a = mean of y).
//  4. Day j ahead: f_j = (a + b·j) · s_w(j); the forecast is Σ f_j over the horizon.
//  5. Interval: residual variance σ² of the fit; the sum's variance is
//     σ²·(Σ s_j² + (Σ s_j)²/n + (Σ s_j·(j − x̄))² / Sxx) — daily noise plus the uncertainty of
//     level and slope, which is shared by every day ahead — and the interval is ± z·√variance.
#include "analysis/detector.hpp"

namespace billingfoot::analysis {

struct ForecastSum {
  double expected = 0;
  double low = 0;
  double high = 0;
};

// Forecast of the sum of the `horizon_days` days that follow `history`, leaving out the first
// `skip_days` of them (days before the period starts). z = 1.645 gives a 90 % interval. An
// empty history forecasts 0.
ForecastSum forecast_sum(const DailySeries& history, int horizon_days, int skip_days = 0,
                         double z = 1.645);

}  // namespace billingfoot::analysis
