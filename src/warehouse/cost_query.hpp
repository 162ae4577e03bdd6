#pragma once
// The aggregate cost query behind `report` (and later the API): cost over a period, grouped
// by any FOCUS column or tag, optionally by day or month. Callers never write this SQL.
#include <optional>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

struct CostQuery {
  std::vector<std::string> group_by;  // column names of the table, or "tag:KEY"
  std::optional<std::string> from;    // inclusive: YYYY-MM or YYYY-MM-DD (charge period)
  std::optional<std::string> to;      // inclusive: YYYY-MM (whole month) or YYYY-MM-DD
  std::string granularity;            // "" (whole range), "day" or "month"
  std::string cost = "billed";        // billed | effective | list | contracted
  std::string table = "focus_costs";
  std::vector<std::pair<std::string, std::string>> where_equals;  // only rows where DIM = value
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

// The SQL expression of one tag's value in the Tags column (NULL when the key is absent).
std::string tag_lookup(const std::string& key);

// The SQL expression for one dimension (exposed for tests and other aggregate queries).
std::string dimension_expression(Connection& connection, const std::string& table, const std::string& dimension);

}  // namespace billingfoot::warehouse
