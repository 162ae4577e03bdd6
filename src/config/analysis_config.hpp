#pragma once
// The `anomalies:`, `budgets:` and `alerts:` sections of billingfoot.yaml, parsed and checked
// (unknown keys, wrong shapes and bad values fail with file:line:col and key). What the
// settings mean is analysis/'s and notify/'s business; this is only their shape and defaults.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace billingfoot::config {

struct Config;

enum class Direction { Up, Down, Both };

struct AnomalyConfig {
  // Monitored dimensions: FOCUS columns, tag:KEY, allocation dimensions. Empty in the file =
  // the default: ProviderName, ServiceName, SubAccountId and every allocation dimension.
  std::vector<std::string> dimensions;
  std::string cost = "effective";  // billed | effective | list | contracted
  double threshold = 5.0;          // robust z-score a day must reach
  double min_relative = 0.2;       // |actual − expected| / expected a day must reach
  double min_impact = 50;          // |actual − expected| in currency per day a day must reach
  Direction direction = Direction::Up;
  int history_days = 56;      // baseline window before the judged day
  int min_history_days = 21;  // fewer days of history: not judged (new scopes excepted)
  int merge_gap_days = 7;     // flagged days closer than this form one anomaly
  int alert_window_days = 7;  // only anomalies that ended this recently are alerted
  // Excluded from detection by default: they are bookings, not consumption.
  std::vector<std::string> exclude_charge_categories = {"Credit", "Adjustment", "Tax", "Purchase"};
  bool include_corrections = false;  // ChargeClass = Correction (late restatements)
  // Days after which a day's cost is complete, by source type or source name (overrides).
  std::map<std::string, int> data_delay_days;
  // Coarse to fine: the root cause summary names the finest one that explains the change.
  std::vector<std::string> root_cause_dimensions = {"SubAccountId", "ServiceName", "RegionId",
                                                    "SkuId", "ResourceId"};
};

enum class BudgetPeriod { Monthly, Quarterly, Yearly };

struct BudgetConfig {
  std::string name;
  // Every key must match: dimension (FOCUS column, tag:KEY, allocation dimension) → values.
  std::vector<std::pair<std::string, std::vector<std::string>>> scope;
  BudgetPeriod period = BudgetPeriod::Monthly;
  std::optional<std::string> amount;           // decimal text; the amount of every period
  std::map<std::string, std::string> amounts;  // period start YYYY-MM → decimal text
  std::string cost = "effective";
  std::vector<double> alert_actual;    // fractions of the amount, e.g. 0.8
  std::vector<double> alert_forecast;  // e.g. 1.0
  std::string where;                   // "billingfoot.yaml:12:5: budgets[0]"

  // The amount of the period starting in month `period_start` (YYYY-MM), or nullopt.
  std::optional<std::string> amount_for(const std::string& period_start) const;
};

struct AlertChannelConfig {
  std::string name;    // unique; defaults to the type (type-2, … for more of one type)
  std::string type;    // slack | webhook | stdout
  std::string url;     // slack: webhook_url; webhook: url
  std::string secret;  // webhook: HMAC-SHA256 key for the signature header ("" = unsigned)
  std::vector<std::pair<std::string, std::string>> headers;  // webhook: extra headers
  std::string min_severity = "low";                          // low | medium | high | critical
  std::vector<std::string> events = {"anomaly", "budget"};
  std::string dashboard_url;  // links in messages point here
  int timeout_seconds = 10;
  std::string where;
};

struct AnalysisConfig {
  AnomalyConfig anomalies;
  std::vector<BudgetConfig> budgets;
  std::vector<AlertChannelConfig> alerts;
  std::vector<std::string> allocation_dimensions;  // allocation.dimensions[].name
};

// Parses the three sections of `config.root` (already ${ENV}-expanded). Throws UsageError.
AnalysisConfig parse_analysis_config(const Config& config);

// "low" < "medium" < "high" < "critical"; -1 for anything else.
int severity_rank(const std::string& severity);

}  // namespace billingfoot::config
