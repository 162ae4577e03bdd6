#include "analysis/forecast.hpp"

#include <array>
#include <cmath>

namespace billingfoot::analysis {

namespace {

constexpr int kHistoryDays = 56;
constexpr int kSeasonalMinDays = 14;
constexpr int kTrendMinDays = 28;

}  // namespace

ForecastSum forecast_sum(const DailySeries& history, int horizon_days, int skip_days, double z) {
  const int end = static_cast<int>(history.values.size());
  if (end == 0 || horizon_days <= 0) return {};
  const int first = std::max(0, end - kHistoryDays);
  std::array<double, 7> factor;
  factor.fill(1.0);
  if (end - first >= kSeasonalMinDays)
    factor = weekly_factors(history, first, end, WeeklyAverage::Mean);

  // Least squares of y on x (day index) over days whose factor is not zero.
  std::vector<double> xs, ys;
  for (int d = first; d < end; ++d) {
    double f = factor[history.weekday(d)];
    if (f <= 1e-9) continue;
    xs.push_back(d);
    ys.push_back(history.values[d] / f);
  }
  const double n = static_cast<double>(xs.size());
  if (n == 0) return {};
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    mean_x += xs[i] / n;
    mean_y += ys[i] / n;
  }
  const bool trend = end - first >= kTrendMinDays;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sxx += (xs[i] - mean_x) * (xs[i] - mean_x);
    sxy += (xs[i] - mean_x) * (ys[i] - mean_y);
  }
  const double slope = trend && sxx > 0 ? sxy / sxx : 0;
  const double intercept = mean_y - slope * mean_x;
  const int parameters = trend ? 2 : 1;
  double rss = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    double r = ys[i] - (intercept + slope * xs[i]);
    rss += r * r;
  }
  const double sigma2 = n > parameters ? rss / (n - parameters) : 0;

  ForecastSum out;
  double sum_s2 = 0, sum_s = 0, sum_s_dx = 0;
  for (int j = end + std::max(0, skip_days); j < end + horizon_days; ++j) {
    double s = factor[history.weekday(j)];
    out.expected += (intercept + slope * j) * s;
    sum_s2 += s * s;
    sum_s += s;
    sum_s_dx += s * (j - mean_x);
  }
  double variance =
      sigma2 * (sum_s2 + sum_s * sum_s / n + (trend && sxx > 0 ? sum_s_dx * sum_s_dx / sxx : 0));
  double half = z * std::sqrt(variance);
  out.low = out.expected - half;
  out.high = out.expected + half;
  return out;
}

}  // namespace billingfoot::analysis
