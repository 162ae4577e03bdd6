#pragma once
// The anomaly detector: judges each day of one scope's daily cost series against a baseline
// built only from the days before it, then groups flagged days into anomalies.
//
// Method (seasonal baseline + robust statistics), for day t with history H = the
// `history_days` days before t (since the scope's first cost):
//  1. Weekly seasonality: factor s_w = median over H of the ratio of weekday-w days to their
//     centred 7-day mean, normalised to average 1 and floored at 0.1 — quiet weekends are
//     expected, not alarming, and a level shift inside H does not distort the factors.
//  2. De-seasonalize: y_d = cost_d / s_w(d). Level L = median of y over the last 14 days of H:
//     spikes do not move it; after a level shift it adopts the new level within a week, so a
//     shift is reported once, then becomes the new normal.
//  3. Noise σ = 1.4826 · MAD(y_d − y_{d−7}) / √2 over H (week-over-week differences: level
//     shifts and trend inside H do not inflate it; a spike touches only two differences).
//  4. Expected cost e_t = L · s_w(t); score z = (y_t − L) / σ.
//  5. Day t is anomalous when |z| ≥ threshold AND |cost_t − e_t| ≥ min_relative · e_t AND
//     |cost_t − e_t| ≥ min_impact (currency per day), in the configured direction. The
//     relative and absolute thresholds keep tiny services and flat costs from paging anyone.
// Special cases: a scope whose history is mostly zero (median 0) compares each day with the
// median of the same weekday in H (weekly batch jobs stay normal). A scope that first costs
// money at least a week after the data starts is "new spend" when that day reaches
// min_impact; its first min_history_days days belong to that anomaly, then it is judged
// normally. Days with less history are not judged.
// Flagged days closer than merge_gap_days form one anomaly (a broken weekly pattern that
// flags every weekend is one anomaly, not four).
#include <array>
#include <string>
#include <vector>

#include "config/analysis_config.hpp"

namespace billingfoot::analysis {

struct DetectorSettings {
  double threshold = 5.0;
  double min_relative = 0.2;
  double min_impact = 50;
  config::Direction direction = config::Direction::Up;
  int history_days = 56;
  int min_history_days = 21;
  int level_days = 14;
  int merge_gap_days = 7;
};
DetectorSettings detector_settings(const config::AnomalyConfig& config);

// values[i] is the cost of the i-th day; days without cost are 0. first_weekday: 0 = Monday.
struct DailySeries {
  int first_weekday = 0;
  std::vector<double> values;
  int weekday(int index) const { return (first_weekday + index) % 7; }
};

struct DayVerdict {
  bool judged = false;
  bool flagged = false;
  bool new_spend = false;
  double expected = 0;
  double score = 0;  // robust z-score (±1e9 when the noise is nil)
};

// Judges days from..to (indices, inclusive) of `series`; the result has one verdict per day of
// the series (unjudged outside the range or without enough history).
std::vector<DayVerdict> judge(const DailySeries& series, int from, int to,
                              const DetectorSettings& settings);

// The comparison baseline: a day is anomalous when it leaves mean ± sigmas · stddev of the
// previous `window` days (at least window / 2 of them), in `direction`. No seasonality, no
// thresholds in currency.
std::vector<DayVerdict> judge_rolling_mean(const DailySeries& series, int from, int to, int window,
                                           double sigmas, config::Direction direction);

// Consecutive flagged days (gaps shorter than merge_gap_days) of one scope.
struct Window {
  int first = 0, last = 0;  // indices, inclusive
  double expected = 0;      // sum over the window's days
  double actual = 0;
  double peak_score = 0;  // largest |z|
  bool new_spend = false;
  int flagged_days = 0;
  double impact() const { return actual - expected; }
};
std::vector<Window> group_windows(const DailySeries& series,
                                  const std::vector<DayVerdict>& verdicts, int merge_gap_days);

// low | medium | high | critical: from the daily impact in units of min_impact, raised by at
// most one step for a large relative change (a tiny service tripling stays "medium").
std::string severity(const Window& window, double min_impact);
// new_spend | spike (≤ 3 days) | sustained | drop
std::string anomaly_kind(const Window& window);

// Median of the values (0 for none); reorders a copy.
double median(std::vector<double> values);

// Weekly factors of values[first, end): each day's ratio to its centred 7-day mean, averaged
// per weekday (median or mean) and normalised to average 1; all 1 when some weekday has no
// ratio (fewer than 13 days).
enum class WeeklyAverage { Median, Mean };
std::array<double, 7> weekly_factors(const DailySeries& series, int first, int end,
                                     WeeklyAverage average);

}  // namespace billingfoot::analysis
