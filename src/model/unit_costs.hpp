#pragma once
// Unit economics (`unit_costs:`): cost (allocated when allocation is configured, filtered) per
// unit of a business metric, per day or month, into `unit_costs` (name, period_start, cost,
// metric_value, unit_cost). Exact: unit_cost = cost × per / metric_value, rounded to 1e-10.
#include <cstdint>
#include <string>

#include "config/model_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::model {

// Replaces the whole unit_costs table from `cost_table` (cost_allocated or focus_costs) and
// business_metrics; returns the rows written. Throws UsageError for a filter that does not
// fit the data (unknown column or metric dimension), naming the config line.
int64_t compute_unit_costs(warehouse::Connection& connection, const config::ModelConfig& model,
                           const std::string& cost_table);

}  // namespace billingfoot::model
