#pragma once
// Reads business metrics from PostgreSQL with libpq: one query, in a read-only transaction with
// a statement timeout, every value as text. The connection string (which may carry a password)
// never appears in messages or logs.
#include <string>

#include "model/metric_rows.hpp"

namespace billingfoot::model {

// Throws InputError ("PostgreSQL: …") when the server cannot be reached or the query fails.
MetricRows query_postgres(const std::string& dsn, const std::string& query,
                          int timeout_seconds = 120);

}  // namespace billingfoot::model
