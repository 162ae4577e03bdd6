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

struct RefreshOutcome {
  std::optional<AllocationSummary> allocation;  // set when allocation ran
  std::optional<int64_t> unit_cost_rows;        // set when unit costs were recomputed
};

// Recomputes what is out of date (everything with force). Throws UsageError for rules that do
// not fit the data and AllocationError when the totals check fails; tables stay as they were.
RefreshOutcome refresh_models(warehouse::Warehouse& warehouse, const config::ModelConfig& model,
                              bool force = false);

// True when refresh_models would do nothing (works on a read-only warehouse).
bool models_current(warehouse::Warehouse& warehouse, const config::ModelConfig& model);

// The two halves of refresh_models, for a caller that reads unit costs' inputs differently
// (with other machines' costs, see warehouse/other_writers.hpp): allocation, per source rows,
// first; then unit costs. Each returns what it recomputed, or nullopt when it was current.
std::optional<AllocationSummary> refresh_allocation(warehouse::Warehouse& warehouse,
                                                    const config::ModelConfig& model,
                                                    bool force = false);
std::optional<int64_t> refresh_unit_costs(warehouse::Warehouse& warehouse,
                                          const config::ModelConfig& model, bool force = false);
bool allocation_current(warehouse::Warehouse& warehouse, const config::ModelConfig& model);

// The table reports read costs from: cost_allocated when allocation is configured.
std::string cost_table(const config::ModelConfig& model);

}  // namespace billingfoot::model
