#pragma once
// cost_daily: the daily rollup that dashboards and the API read instead of raw charges. One row
// per day × source × billing period × the dimensions below, with the four cost measures and the
// number of charges it stands for. Column names are the FOCUS names of focus_costs (BilledCost,
// ServiceName, …) plus `day` and `rows`, so one cost query runs on either table.
//
// Seam for allocation: when a `cost_allocated` table exists, the rollup is built from it and
// keeps its allocation dimension columns (team, product, …) too; otherwise from focus_costs.
#include <string>
#include <vector>

#include "warehouse/cost_query.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::model {

inline constexpr const char* kCostDaily = "cost_daily";

// The FOCUS / x_ columns cost_daily keeps (besides allocation dimensions).
const std::vector<std::string>& rollup_dimensions();

struct RollupOptions {
  // Allocation dimension names (config allocation.dimensions[].name); used when cost_allocated
  // exists and has those columns.
  std::vector<std::string> allocation_dimensions;
};

struct RollupRefresh {
  bool full = false;       // rebuilt from scratch (first time, or its shape changed)
  size_t partitions = 0;   // (source, billing period) partitions rebuilt
  size_t removed = 0;      // partitions dropped because their data is gone
  std::string base_table;  // focus_costs or cost_allocated
};

// Brings cost_daily up to date in one transaction: rebuilds the (source, billing period)
// partitions whose latest successful load differs from the one it was built from. Cheap when
// nothing changed (it compares the `loads` table with cost_daily_partitions).
RollupRefresh refresh_cost_daily(warehouse::Connection& connection,
                                 const RollupOptions& options = {});

// True when cost_daily exists and reflects every partition's latest load (a read-only reader
// uses it only then; otherwise it falls back to the raw table).
bool rollup_is_current(warehouse::Connection& connection);

// Points `query` at cost_daily when the rollup is current and holds every dimension the query
// groups or filters by; otherwise leaves it on its table. Returns whether it switched.
bool use_rollup_when_possible(warehouse::Connection& connection, warehouse::CostQuery& query);

}  // namespace billingfoot::model
