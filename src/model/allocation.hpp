#pragma once
// Cost allocation: builds `cost_allocated` from `focus_costs` — every row with one value per
// allocation dimension, and shared costs replaced by exact split rows — as set-based SQL in one
// transaction, then proves that nothing was gained or lost before committing.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "config/model_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::model {

// The totals check failed: allocation would have created or destroyed cost. Never expected;
// cost_allocated is left as it was.
class AllocationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AllocationSummary {
  int64_t rows = 0;            // rows of cost_allocated
  int64_t shared_rows = 0;     // focus_costs rows selected by a shared-cost rule
  int64_t split_rows = 0;      // the rows those became
  int64_t unsplit_rows = 0;    // shared rows kept as they were: no target in their month
  std::string billed_cost;     // total BilledCost, equal in focus_costs and cost_allocated
  std::string effective_cost;  // total EffectiveCost, likewise
};

// The cost columns a split divides (every other column is copied to each part).
const std::vector<std::string>& split_columns();

// Rebuilds cost_allocated (a rule that does not fit the data — unknown column, bad regex,
// metric without the split dimension — throws UsageError naming the config line).
AllocationSummary allocate(warehouse::Connection& connection,
                           const config::AllocationConfig& allocation);

// Compares every split column of `allocated` with `original`, per source and billing period,
// and checks that each dimension has a value on every row; throws AllocationError naming the
// first difference.
void check_allocation_totals(warehouse::Connection& connection,
                             const config::AllocationConfig& allocation,
                             const std::string& original = "focus_costs",
                             const std::string& allocated = "cost_allocated");

}  // namespace billingfoot::model
