// The model steps that follow a sync (business metrics, allocation, unit costs), shared by
// `sync`, `demo` and the commands that read allocated data.
#include <fmt/format.h>

#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "model/metrics.hpp"
#include "model/refresh.hpp"
#include "model/rollup.hpp"

namespace billingfoot::app {

bool update_models_and_print(const config::Config& cfg, warehouse::Warehouse& wh, bool with_metrics,
                             const std::function<bool()>& then) {
  const config::ModelConfig& model = cfg.model;
  bool ok = true;
  if (with_metrics) {
    size_t width = 0;
    for (const auto& m : model.metrics) width = std::max(width, m.name.size());
    for (const auto& result : model::load_metrics(wh, model)) {
      if (result.error.empty()) {
        std::cout << fmt::format("metric  {:<{}}  loaded   {:>8} rows  {:>5} periods\n",
                                 result.metric, width, result.rows, result.periods);
      } else {
        std::cout << fmt::format("metric  {:<{}}  failed\n", result.metric, width);
        std::cerr << "error: " << result.error << "\n";
        ok = false;
      }
    }
  }
  std::optional<model::AllocationSummary> allocation = model::refresh_allocation(wh, model);
  if (allocation) {
    const auto& a = *allocation;
    std::cout << fmt::format("allocation  {} rows, {} dimensions", a.rows,
                             model.allocation.dimensions.size());
    if (a.shared_rows > 0)
      std::cout << fmt::format(", {} shared rows split into {}", a.shared_rows, a.split_rows);
    if (a.unsplit_rows > 0)
      std::cout << fmt::format(" ({} kept: no target that month)", a.unsplit_rows);
    std::cout << fmt::format(", totals equal: {} {} billed\n", format_money(a.billed_cost),
                             cfg.currency);
  }
  // Dashboards read the daily rollup: brought up to date with what was just loaded and, when
  // allocation is configured, with the allocation just computed (its base table).
  model::refresh_cost_daily(wh.connection(), rollup_options(cfg));
  // Unit costs, anomalies and budgets are over the whole warehouse: on a shared ClickHouse
  // warehouse they include the sources other machines publish.
  std::unique_ptr<warehouse::OtherWriters> others;
  try {
    others = other_writers_of(cfg, wh, std::cout);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << " (unit costs, anomalies and budgets not recomputed)\n";
    return false;
  }
  std::optional<int64_t> unit_cost_rows = model::refresh_unit_costs(wh, model);
  if (unit_cost_rows && !model.unit_costs.empty()) {
    std::cout << fmt::format("unit costs  {} definitions, {} periods\n", model.unit_costs.size(),
                             *unit_cost_rows);
  }
  if (then) ok = then() && ok;
  return ok;
}

void ensure_models_current(const config::Config& cfg) {
  // On a shared ClickHouse warehouse, unit costs are computed by `sync` with the other
  // machines' costs; a reader of the local file brings only allocation up to date.
  bool whole = cfg.warehouse.type != "clickhouse";
  {
    auto wh = open_warehouse(cfg, Access::ReadOnly);
    if (whole ? model::models_current(wh, cfg.model) : model::allocation_current(wh, cfg.model)) {
      return;
    }
  }
  auto wh = open_warehouse(cfg, Access::ReadWrite);
  model::refresh_allocation(wh, cfg.model);
  model::refresh_cost_daily(wh.connection(), rollup_options(cfg));  // built on cost_allocated
  if (whole) model::refresh_unit_costs(wh, cfg.model);
}

}  // namespace billingfoot::app
