#include "model/refresh.hpp"

#include "common/hash.hpp"
#include "model/metrics.hpp"
#include "model/unit_costs.hpp"

namespace billingfoot::model {

namespace {

constexpr const char* kAllocationState = "model:allocation";
constexpr const char* kUnitCostState = "model:unit_costs";
// Bumped when the way a table is computed changes, so an upgrade recomputes it.
constexpr const char* kAllocationAlgorithm = "allocation-1";
constexpr const char* kUnitCostAlgorithm = "unit-costs-1";

std::string loaded_data_version(warehouse::Warehouse& wh) {
  return wh.connection()
      .query(
          "SELECT count(*) || '/' || coalesce(CAST(max(finished_at) AS VARCHAR), '') FROM loads "
          "WHERE status = 'ok'")
      .text(0, 0);
}

bool uses_metrics(const config::AllocationConfig& allocation) {
  for (const auto& s : allocation.shared) {
    if (!s.metric.empty()) return true;
  }
  return false;
}

struct Inputs {
  std::string allocation;  // "" when allocation is not configured
  std::string unit_costs;  // "" when there are none
};

Inputs inputs_of(warehouse::Warehouse& wh, const config::ModelConfig& model) {
  Inputs in;
  std::string data = loaded_data_version(wh);
  std::string metrics = metrics_version(wh);
  if (model.allocation.configured) {
    in.allocation = common::sha256_hex(std::string(kAllocationAlgorithm) + "\n" +
                                       model.allocation.canonical_text + "\n" + data + "\n" +
                                       (uses_metrics(model.allocation) ? metrics : ""));
  }
  if (!model.unit_costs.empty()) {
    in.unit_costs = common::sha256_hex(std::string(kUnitCostAlgorithm) + "\n" +
                                       model.unit_costs_text + "\n" + model.metrics_text + "\n" +
                                       in.allocation + "\n" + data + "\n" + metrics);
  }
  return in;
}

bool table_exists(warehouse::Warehouse& wh, const std::string& table) {
  auto q = wh.connection().prepare(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = ?");
  return q.bind(1, table).execute().int64(0, 0) > 0;
}

}  // namespace

std::string cost_table(const config::ModelConfig& model) {
  return model.allocation.configured ? "cost_allocated" : "focus_costs";
}

namespace {

bool allocation_current(warehouse::Warehouse& wh, const config::ModelConfig& model,
                        const Inputs& in) {
  return model.allocation.configured
             ? table_exists(wh, "cost_allocated") &&
                   wh.source_state(kAllocationState, "inputs") == in.allocation
             : !table_exists(wh, "cost_allocated");
}

}  // namespace

bool allocation_current(warehouse::Warehouse& wh, const config::ModelConfig& model) {
  return allocation_current(wh, model, inputs_of(wh, model));
}

bool models_current(warehouse::Warehouse& wh, const config::ModelConfig& model) {
  Inputs in = inputs_of(wh, model);
  return allocation_current(wh, model, in) &&
         wh.source_state(kUnitCostState, "inputs") == in.unit_costs;
}

std::optional<AllocationSummary> refresh_allocation(warehouse::Warehouse& wh,
                                                    const config::ModelConfig& model, bool force) {
  Inputs in = inputs_of(wh, model);
  if (!model.allocation.configured) {
    // Without rules there is no allocated view; a stale one must not be read by anybody.
    if (table_exists(wh, "cost_allocated")) wh.connection().execute("DROP TABLE cost_allocated");
    wh.set_source_state(kAllocationState, "inputs", "");
    return std::nullopt;
  }
  if (force || !table_exists(wh, "cost_allocated") ||
      wh.source_state(kAllocationState, "inputs") != in.allocation) {
    auto summary = allocate(wh.connection(), model.allocation);
    wh.set_source_state(kAllocationState, "inputs", in.allocation);
    return summary;
  }
  return std::nullopt;
}

std::optional<int64_t> refresh_unit_costs(warehouse::Warehouse& wh,
                                          const config::ModelConfig& model, bool force) {
  Inputs in = inputs_of(wh, model);
  if (!force && wh.source_state(kUnitCostState, "inputs") == in.unit_costs) return std::nullopt;
  int64_t rows = compute_unit_costs(wh.connection(), model, cost_table(model));
  wh.set_source_state(kUnitCostState, "inputs", in.unit_costs);
  return rows;
}

}  // namespace billingfoot::model
