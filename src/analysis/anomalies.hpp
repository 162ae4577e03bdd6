#pragma once
// Anomaly detection over the warehouse: one daily series per monitored scope (dimension ×
// value, each judged on its own so opposite changes in two accounts never cancel out), the
// detector (detector.hpp) on the days whose data is complete, the root cause of each anomaly
// (which sub-dimension values drove it), and the `anomalies` table with its states.
//
// The same anomaly is one row for its whole life: a later run that finds flagged days
// overlapping (or within merge_gap_days of) a stored anomaly of the same scope extends that
// row — same anomaly_id, status and detected_at — instead of adding a new one, so it is never
// alerted twice.
#include <optional>
#include <string>
#include <vector>

#include "analysis/days.hpp"
#include "config/analysis_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::analysis {

struct DetectionRange {
  std::optional<Day> from;  // first day judged (default: every day with enough history)
  std::optional<Day> to;    // last day judged (default: the newest complete day)
};

struct DetectionSummary {
  int scopes = 0;
  int judged_days = 0;
  int found = 0;                        // anomalies in the range this run
  int added = 0;                        // of which new rows
  int updated = 0;                      // of which existing rows extended or refreshed
  std::optional<Day> complete_through;  // newest complete day over all scopes
};

// Runs detection and stores the results (in one transaction).
DetectionSummary detect_anomalies(warehouse::Connection& connection,
                                  const config::AnalysisConfig& config,
                                  const DetectionRange& range);

// One stored anomaly, as alerts need it.
struct StoredAnomaly {
  std::string id, dimension, value, start_date, end_date, kind, severity, status, cost_metric;
  std::string expected_cost, actual_cost, impact;  // exact decimal text
  std::string root_cause;                          // JSON text
  std::string summary;                             // the main driver in words ("" when none)
};

// Open anomalies that ended within alert_window_days of the day their scope's data was
// complete through: what `sync --alert` reports.
std::vector<StoredAnomaly> alertable_anomalies(warehouse::Connection& connection,
                                               const config::AnomalyConfig& config);

// Anomalies overlapping [from, to] (either may be open), newest first, with a `top_cause`
// column (the root cause in words); with_details adds root_cause (JSON) and detected_at.
// `status` "" = all.
warehouse::Result list_anomalies(warehouse::Connection& connection, const std::optional<Day>& from,
                                 const std::optional<Day>& to, const std::string& status,
                                 bool with_details);

// Sets the status of one anomaly (open | acknowledged | resolved); throws UsageError for an
// unknown id or status.
void set_anomaly_status(warehouse::Connection& connection, const std::string& anomaly_id,
                        const std::string& status, const std::string& note);

}  // namespace billingfoot::analysis
