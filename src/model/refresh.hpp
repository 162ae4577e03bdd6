#pragma once
// Keeps the derived tables current: cost_allocated is rebuilt when the allocation rules, the
// loaded cost data or (for metric-weighted splits) the business metrics changed since the last
// run — a hash of those inputs is kept in source_state — and unit_costs likewise. Nothing is
// re-extracted: models read only what the warehouse already holds.
#include <cstdint>
#include <optional>

#include "config/model_config.hpp"
#include "model/allocation.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::model {

// Allocation first (cost_allocated, per source rows), then unit costs: each recomputes what is
// out of date (everything with force) and returns what it recomputed, or nullopt when it was
// current. Two steps because a caller may make unit costs' inputs differ in between: the daily
// rollup is built on the fresh cost_allocated, and on a shared ClickHouse warehouse unit costs
// read other machines' costs too (see warehouse/other_writers.hpp). Throw UsageError for rules
// that do not fit the data and AllocationError when the totals check fails; tables stay as
// they were.
std::optional<AllocationSummary> refresh_allocation(warehouse::Warehouse& warehouse,
                                                    const config::ModelConfig& model,
                                                    bool force = false);
std::optional<int64_t> refresh_unit_costs(warehouse::Warehouse& warehouse,
                                          const config::ModelConfig& model, bool force = false);

// True when refresh_allocation / both steps would do nothing (work on a read-only warehouse).
bool allocation_current(warehouse::Warehouse& warehouse, const config::ModelConfig& model);
bool models_current(warehouse::Warehouse& warehouse, const config::ModelConfig& model);

// The table reports read costs from: cost_allocated when allocation is configured.
std::string cost_table(const config::ModelConfig& model);

}  // namespace billingfoot::model
