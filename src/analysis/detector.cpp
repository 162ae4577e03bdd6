#include "analysis/detector.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace billingfoot::analysis {

namespace {

constexpr double kMadToSigma = 1.4826;
constexpr double kMinFactor = 0.1;
constexpr double kHugeScore = 1e9;
constexpr double kZero = 1e-9;
// A new scope counts as "new spend" only when the data shows it absent for this many days.
constexpr int kNewSpendQuietDays = 7;

bool direction_allows(config::Direction direction, double deviation) {
  if (direction == config::Direction::Up) return deviation > 0;
  if (direction == config::Direction::Down) return deviation < 0;
  return true;
}

double robust_sigma(std::vector<double> values) {
  if (values.empty()) return 0;
  double m = median(values);
  for (auto& v : values) v = std::abs(v - m);
  return kMadToSigma * median(std::move(values));
}

// What the baseline says about day t from the days [h0, t).
struct Baseline {
  double expected = 0;
  double score = 0;
};

Baseline seasonal_baseline(const DailySeries& s, int h0, int t, const DetectorSettings& settings) {
  const auto& v = s.values;
  double today = v[t];
  if (median(std::vector<double>(v.begin() + h0, v.begin() + t)) <= kZero) {
    // Mostly-zero history: compare with the same weekday only.
    std::vector<double> same;
    for (int d = h0; d < t; ++d) {
      if (s.weekday(d) == s.weekday(t)) same.push_back(v[d]);
    }
    double expected = median(same);
    double sigma = robust_sigma(same);
    double deviation = today - expected;
    return {expected,
            sigma > kZero
                ? deviation / sigma
                : (std::abs(deviation) > kZero ? std::copysign(kHugeScore, deviation) : 0)};
  }

  std::array<double, 7> factor = weekly_factors(s, h0, t, WeeklyAverage::Median);
  for (auto& f : factor) f = std::max(kMinFactor, f);
  auto y = [&](int d) { return v[d] / factor[s.weekday(d)]; };

  std::vector<double> recent;
  for (int d = std::max(h0, t - settings.level_days); d < t; ++d) recent.push_back(y(d));
  double level = median(recent);

  std::vector<double> weekly_change;
  for (int d = h0 + 7; d < t; ++d) weekly_change.push_back(y(d) - y(d - 7));
  double sigma = robust_sigma(weekly_change) / std::sqrt(2.0);
  sigma = std::max(sigma, kZero);

  double f = factor[s.weekday(t)];
  return {level * f, (today / f - level) / sigma};
}

}  // namespace

std::array<double, 7> weekly_factors(const DailySeries& s, int first, int end,
                                     WeeklyAverage average) {
  std::array<double, 7> factor;
  factor.fill(1.0);
  std::array<std::vector<double>, 7> ratios;
  for (int d = first + 3; d + 3 < end; ++d) {
    double moving = 0;
    for (int k = d - 3; k <= d + 3; ++k) moving += s.values[k];
    moving /= 7;
    if (moving > kZero) ratios[s.weekday(d)].push_back(s.values[d] / moving);
  }
  double total = 0;
  for (int w = 0; w < 7; ++w) {
    if (ratios[w].empty()) return factor;  // not every weekday seen: no seasonality
    if (average == WeeklyAverage::Median) {
      factor[w] = median(ratios[w]);
    } else {
      factor[w] = 0;
      for (double r : ratios[w]) factor[w] += r / static_cast<double>(ratios[w].size());
    }
    total += factor[w];
  }
  if (total <= kZero) return factor;
  for (auto& f : factor) f *= 7 / total;
  return factor;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double upper = values[mid];
  if (values.size() % 2) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

DetectorSettings detector_settings(const config::AnomalyConfig& config) {
  DetectorSettings s;
  s.threshold = config.threshold;
  s.min_relative = config.min_relative;
  s.min_impact = config.min_impact;
  s.direction = config.direction;
  s.history_days = config.history_days;
  s.min_history_days = config.min_history_days;
  s.merge_gap_days = config.merge_gap_days;
  return s;
}

std::vector<DayVerdict> judge(const DailySeries& series, int from, int to,
                              const DetectorSettings& settings) {
  const auto& v = series.values;
  const int n = static_cast<int>(v.size());
  std::vector<DayVerdict> out(n);
  int born = 0;
  while (born < n && std::abs(v[born]) <= kZero) ++born;
  if (born == n) return out;
  bool new_spend = false;

  for (int t = std::max(from, born); t <= std::min(to, n - 1); ++t) {
    DayVerdict& verdict = out[t];
    if (t == born) {
      // First cost of a scope the data has shown absent for a while.
      if (born < kNewSpendQuietDays) continue;
      verdict.judged = true;
      new_spend =
          direction_allows(settings.direction, v[t]) && std::abs(v[t]) >= settings.min_impact;
      verdict.flagged = verdict.new_spend = new_spend;
      verdict.score = new_spend ? std::copysign(kHugeScore, v[t]) : 0;
      continue;
    }
    int h0 = std::max(born, t - settings.history_days);
    if (t - h0 < settings.min_history_days) {
      if (new_spend) {
        verdict.judged = verdict.flagged = verdict.new_spend = true;
        verdict.score = std::copysign(kHugeScore, v[t]);
      }
      continue;
    }
    // With born clamped by `from`, new_spend may not have been seen; days of a young scope
    // after min_history_days are judged normally either way.
    Baseline b = seasonal_baseline(series, h0, t, settings);
    double deviation = v[t] - b.expected;
    verdict.judged = true;
    verdict.expected = b.expected;
    verdict.score = b.score;
    verdict.flagged = direction_allows(settings.direction, deviation) &&
                      std::abs(b.score) >= settings.threshold &&
                      std::abs(deviation) >= settings.min_relative * std::abs(b.expected) &&
                      std::abs(deviation) >= settings.min_impact;
  }
  return out;
}

std::vector<DayVerdict> judge_rolling_mean(const DailySeries& series, int from, int to, int window,
                                           double sigmas, config::Direction direction) {
  const auto& v = series.values;
  const int n = static_cast<int>(v.size());
  std::vector<DayVerdict> out(n);
  for (int t = std::max(from, 0); t <= std::min(to, n - 1); ++t) {
    int h0 = std::max(0, t - window);
    int count = t - h0;
    if (count < window / 2) continue;
    double sum = 0, sq = 0;
    for (int d = h0; d < t; ++d) sum += v[d];
    double mean = sum / count;
    for (int d = h0; d < t; ++d) sq += (v[d] - mean) * (v[d] - mean);
    double sd = std::sqrt(sq / std::max(1, count - 1));
    DayVerdict& verdict = out[t];
    verdict.judged = true;
    verdict.expected = mean;
    double deviation = v[t] - mean;
    verdict.score = sd > kZero
                        ? deviation / sd
                        : (std::abs(deviation) > kZero ? std::copysign(kHugeScore, deviation) : 0);
    verdict.flagged = direction_allows(direction, deviation) && std::abs(verdict.score) > sigmas;
  }
  return out;
}

std::vector<Window> group_windows(const DailySeries& series,
                                  const std::vector<DayVerdict>& verdicts, int merge_gap_days) {
  std::vector<Window> out;
  const int n = static_cast<int>(verdicts.size());
  int last_flagged = -1;
  for (int t = 0; t < n; ++t) {
    if (!verdicts[t].flagged) continue;
    if (out.empty() || t - last_flagged >= merge_gap_days) {
      Window w;
      w.first = t;
      w.new_spend = verdicts[t].new_spend;
      out.push_back(w);
    }
    out.back().last = t;
    ++out.back().flagged_days;
    out.back().peak_score = std::max(out.back().peak_score, std::abs(verdicts[t].score));
    last_flagged = t;
  }
  for (auto& w : out) {
    for (int t = w.first; t <= w.last; ++t) {
      w.actual += series.values[t];
      // A day inside the window that was not judged counts as expected.
      w.expected += verdicts[t].judged ? verdicts[t].expected : series.values[t];
    }
  }
  return out;
}

std::string severity(const Window& window, double min_impact) {
  static const char* names[] = {"low", "medium", "high", "critical"};
  auto step = [](double x, double a, double b, double c) {
    return x >= c ? 3 : x >= b ? 2 : x >= a ? 1 : 0;
  };
  int days = window.last - window.first + 1;
  double daily = std::abs(window.impact()) / days;
  int absolute = step(daily / std::max(min_impact, 1.0), 2, 5, 20);
  double relative_change = std::abs(window.expected) > kZero
                               ? std::abs(window.impact()) / std::abs(window.expected)
                               : 1e9;
  int relative = step(relative_change, 0.5, 1, 3);
  return names[std::max(absolute, std::min(relative, absolute + 1))];
}

std::string anomaly_kind(const Window& window) {
  if (window.new_spend) return "new_spend";
  if (window.impact() < 0) return "drop";
  return window.last - window.first + 1 <= 3 ? "spike" : "sustained";
}

}  // namespace billingfoot::analysis
