#pragma once
// Business metrics (`metrics:`): daily or monthly series with optional dimension columns, read
// from a CSV file, a PostgreSQL query or an HTTP JSON endpoint into `business_metrics`
// (metric, date, value, one VARCHAR column per dimension). A load replaces exactly the
// periods it delivers, so loading the same data twice changes nothing.
#include <cstdint>
#include <string>
#include <vector>

#include "config/model_config.hpp"
#include "model/metric_rows.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::model {

struct MetricLoadResult {
  std::string metric;
  int64_t rows = 0;     // rows stored (after grouping by period and dimensions)
  int64_t periods = 0;  // days or months replaced
  std::string error;    // "" when the load succeeded; on failure the old rows are untouched
};

// Reads the metric's source. Throws InputError naming the metric and the source's problem.
MetricRows fetch_metric(warehouse::Connection& connection, const config::MetricConfig& metric);

// Validates the rows (a `date` and a `value` column, every date and value parseable) and
// replaces the periods they cover in one transaction. Throws InputError naming the row.
MetricLoadResult store_metric(warehouse::Warehouse& warehouse, const config::MetricConfig& metric,
                              const MetricRows& rows);

// fetch + store for every configured metric; a failing one is reported and the rest go on.
std::vector<MetricLoadResult> load_metrics(warehouse::Warehouse& warehouse,
                                           const config::ModelConfig& model);

// A value that changes whenever business_metrics changes (models recompute on it).
std::string metrics_version(warehouse::Warehouse& warehouse);

}  // namespace billingfoot::model
