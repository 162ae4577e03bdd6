#pragma once
// Daily cost series out of the warehouse, shared by anomaly detection, forecasts and budgets:
// which charges count (cost metric, excluded categories, a scope filter), which table holds a
// dimension (cost_allocated for allocation dimensions), and up to which day each source's data
// is complete.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/days.hpp"
#include "analysis/detector.hpp"
#include "config/analysis_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::analysis {

using ScopeFilter = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Which charges count.
struct ChargeFilter {
  std::string cost = "effective";               // billed | effective | list | contracted
  std::vector<std::string> exclude_categories;  // ChargeCategory values left out
  bool include_corrections = true;              // ChargeClass = Correction
  ScopeFilter scope;                            // dimension → accepted values (all must hold)
  // Only charges billed per day or less that recur (no One-Time), or only the others.
  enum class Rows { All, Daily, Periodic } rows = Rows::All;
};

// Where dimensions live: FOCUS columns and tags in focus_costs; allocation dimensions in
// cost_allocated, which the allocation model builds (when it exists).
class CostTables {
 public:
  CostTables(warehouse::Connection& connection, std::vector<std::string> allocation_dimensions);
  // The table to read for these dimensions; throws UsageError for an allocation dimension
  // when cost_allocated has not been built.
  std::string table_for(const std::vector<std::string>& dimensions) const;
  bool is_allocation_dimension(const std::string& dimension) const;

 private:
  std::vector<std::string> allocation_dimensions_;
  bool has_allocated_ = false;
};

// The SQL condition selecting the charges `filter` accepts in `table`.
std::string charge_conditions(warehouse::Connection& connection, const std::string& table,
                              const ChargeFilter& filter);

// Exact sum (decimal text) of the charges `filter` accepts whose ChargePeriodStart is in
// [first, end) — the way `report` attributes cost to periods.
std::string period_cost(warehouse::Connection& connection, const CostTables& tables,
                        const ChargeFilter& filter, Day first, Day end);

// SQL SELECT (value, source, day, cost DECIMAL) over [first, last] for the values of
// `dimension` ("" = one value, "total"); see daily_cost.sql.
std::string daily_cost_sql(warehouse::Connection& connection, const CostTables& tables,
                           const std::string& dimension, const ChargeFilter& filter, Day first,
                           Day last);

struct ScopeDays {
  std::map<Day, double> cost;
  std::set<std::string> sources;
};
// Runs daily_cost_sql and collects it per value.
std::map<std::string, ScopeDays> daily_costs(warehouse::Connection& connection,
                                             const CostTables& tables, const std::string& dimension,
                                             const ChargeFilter& filter, Day first, Day last);

// Exact sum (decimal text) of the cost of one value of `dimension` over [first, last].
std::string exact_cost(warehouse::Connection& connection, const CostTables& tables,
                       const std::string& dimension, const std::string& value,
                       const ChargeFilter& filter, Day first, Day last);

// The days with any cost: [first, last], or nullopt when the warehouse holds none.
std::optional<std::pair<Day, Day>> cost_day_range(warehouse::Connection& connection);

// Up to which day each source's data is complete: its newest day, but at most the day its
// last successful check ended minus the source's delivery delay (days) minus one. Delays by
// source type (aws_data_exports 1, gcp_billing_export 2, datadog_usage 3, others 1), overridden
// by `data_delay_days` keyed by type or, taking precedence, by source name.
std::map<std::string, Day> complete_through_by_source(warehouse::Connection& connection,
                                                      const config::AnomalyConfig& config);
// The earliest completeness of `sources` (nullopt when none is known).
std::optional<Day> complete_through(const std::map<std::string, Day>& by_source,
                                    const std::set<std::string>& sources);

// Days [first, last] of `days` as a series (missing days 0).
DailySeries to_series(const ScopeDays& days, Day first, Day last);

}  // namespace billingfoot::analysis
