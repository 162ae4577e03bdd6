#pragma once
// Budgets: for each configured budget and each of its periods (monthly, quarterly, yearly)
// up to the one containing the as-of day — the actual cost of its scope, the forecast to the
// period's end with a 90 % interval, % used and forecast overrun — stored in `budget_status`.
//
// Actuals are exact sums of the scope's charges whose ChargePeriodStart falls in the period
// (as `report` counts them). The forecast of the current period is
//   actual of daily charges through the last complete day
// + every periodic charge already posted in the period (monthly fees, tax, one-time items)
// + forecast_sum() of the daily charges for the remaining days (forecast.hpp)
// + for each month still to come, last complete month's periodic charges not yet posted
//   (a tax line posted at month end is expected again).
// Closed periods forecast their actual.
#include <optional>
#include <string>
#include <vector>

#include "analysis/days.hpp"
#include "config/analysis_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::analysis {

struct BudgetPeriodStatus {
  std::string name;
  std::string period;                // monthly | quarterly | yearly
  Day period_start{}, period_end{};  // end exclusive
  bool current = false;              // contains the as-of day
  std::string amount;                // decimal text
  std::string actual;                // exact decimal text
  double forecast = 0, forecast_low = 0, forecast_high = 0;
  double pct_used = 0;          // actual / amount × 100
  double pct_forecast = 0;      // forecast / amount × 100
  double forecast_overrun = 0;  // max(0, forecast − amount)
  std::optional<Day> complete_through;
  std::string state;  // ok | warning (an actual threshold crossed) | at_risk (forecast over) | over
  std::string cost_metric;
};

// Status of every budget's periods overlapping the data, up to the period containing as_of
// (at most `max_periods` per budget, newest kept).
std::vector<BudgetPeriodStatus> compute_budgets(warehouse::Connection& connection,
                                                const config::AnalysisConfig& config, Day as_of,
                                                int max_periods = 24);

// Replaces the contents of budget_status with `statuses`.
void store_budget_status(warehouse::Connection& connection,
                         const std::vector<BudgetPeriodStatus>& statuses);

// The first day of the period of `kind` that contains `day`, and the first day after it.
std::pair<Day, Day> period_bounds(config::BudgetPeriod kind, Day day);
std::string period_name(config::BudgetPeriod kind);

}  // namespace billingfoot::analysis
