#pragma once
// The aggregate cost query behind `report` and the HTTP API: cost over a period, grouped by any
// FOCUS column or tag, optionally by day or month, with filters. Callers never write this SQL.
// It runs on focus_costs (one row per charge) or on a daily rollup with the same column names
// (see model/rollup.hpp), which only changes the time column and how rows are counted.
#include <optional>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

// Keeps rows whose dimension value is one of `values` (or none of them, when `exclude`).
// The value "(null)" stands for NULL; tag dimensions show missing tags as "(untagged)".
struct CostFilter {
  std::string dimension;  // as in group_by: a column or tag:KEY
  std::vector<std::string> values;
  bool exclude = false;
};

struct CostQuery {
  std::vector<std::string> group_by;  // column names of the table, or "tag:KEY"
  std::vector<CostFilter> filters;    // all must hold
  std::optional<std::string> from;    // inclusive: YYYY-MM or YYYY-MM-DD (charge period)
  std::optional<std::string> to;      // inclusive: YYYY-MM (whole month) or YYYY-MM-DD
  std::string granularity;            // "" (whole range), "day" or "month"
  std::string cost = "billed";        // billed | effective | list | contracted
  // > 0: only the `top` groups with the highest cost over the whole range keep their values;
  // the others are added up under "(other)" (a stacked chart stays readable).
  size_t top = 0;
  std::string table = "focus_costs";
  // The table's shape: its timestamp/date column and how to count the charges a row stands for.
  std::string time_column = "ChargePeriodStart";
  std::string rows_expression = "count(*)";
};


struct CostBreakdown {
  // Columns: [period], one per group_by entry (named as given), cost, rows.
  // Sorted by period, then cost descending.
  Result rows;
  std::string total_cost;  // exact decimal text over all rows
  int64_t total_rows = 0;
};

// Throws UsageError for an unknown dimension, cost or date.
CostBreakdown query_costs(Connection& connection, const CostQuery& query);

// The final query of a cost breakdown over `base`, a relation (SQL text) with one row per
// ([period,] g0 … g<dim_count-1>): the groups outside the top N folded into "(other)", columns
// named as query.group_by, ordered by period, then cost. Shared by every backend: ClickHouse
// computes `base` and DuckDB shapes the small result the same way.
std::string shape_costs_sql(const CostQuery& query, size_t dim_count, const std::string& base);

// The SQL expression of one tag's value in the Tags column (NULL when the key is absent).
std::string tag_lookup(const std::string& key);

// The SQL expression for one dimension (exposed for tests and other aggregate queries).
std::string dimension_expression(Connection& connection, const std::string& table, const std::string& dimension);

// "BilledCost" for "billed", …; throws UsageError for an unknown metric.
std::string cost_column(const std::string& cost);

// The WHERE clause (starting with "WHERE") for the query's range and filters.
std::string cost_where(Connection& connection, const CostQuery& query);

// Lower bound (inclusive) / upper bound (exclusive) of an inclusive YYYY-MM or YYYY-MM-DD, as
// SQL timestamp expressions; `what` names the parameter in the error for a malformed date.
std::string range_start(const std::string& date, const std::string& what);
std::string range_end(const std::string& date, const std::string& what);

}  // namespace billingfoot::warehouse
