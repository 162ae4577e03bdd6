#pragma once
// Data freshness per configured source: state, last successful sync, billing periods held,
// rows, billed cost, last error. `billingfoot status` and the API's /sources show this.
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

struct ConfiguredSource {
  std::string name;
  std::string type;
  std::string schedule;           // cron text, as `billingfoot run` uses it
  int64_t stale_after_seconds = 0;  // 0 = never stale
};

// One row per configured source, in configuration order. Columns: source, type, state
// ('ok' | 'stale' | 'failing' | 'never synced'), last_success, freshness, periods, period_range,
// rows, billed_cost, last_error, schedule, last_run, last_run_status. 'stale': the last
// successful sync is older than stale_after_seconds. `connection` may be an empty in-memory
// database (nothing synced).
// What focus_costs holds per partition: (source, billing_period, rows, billed_cost).
inline constexpr const char* kHeldInFocusCosts =
    "SELECT x_SourceName AS source, x_BillingPeriod AS billing_period, count(*) AS rows, "
    "sum(BilledCost) AS billed_cost FROM focus_costs GROUP BY 1, 2";

// `held_partitions`: SQL giving (source, billing_period, rows, billed_cost) of what the warehouse
// holds; empty = kHeldInFocusCosts.
Result source_status(Connection& connection, const std::vector<ConfiguredSource>& sources,
                     const std::string& held_partitions = "");

}  // namespace billingfoot::warehouse
