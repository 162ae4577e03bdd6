#pragma once
// The columns of an exported table as they are in its Parquet files, and `_schema.json`, the
// description a person or a DDL generator reads: name, type, nullability, meaning (FOCUS facts
// from the catalogue), partition columns and the conventions for money, time and JSON.
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::lake {

struct ExportColumn {
  std::string name;
  std::string type;  // type in the Parquet file, as SQL: DECIMAL(38,10), VARCHAR, TIMESTAMP, …
  bool nullable = true;
  bool json_text = false;  // a JSON column, written as VARCHAR holding JSON text
  std::string comment;     // the warehouse's COMMENT on the column, if any
};

// The columns of `table` in warehouse order.
std::vector<ExportColumn> export_columns(warehouse::Connection& connection,
                                         const std::string& table);

// SELECT list that turns the table's rows into the exported ones (JSON columns as text).
std::string export_select_list(const std::vector<ExportColumn>& columns);

// `_schema.json` for `table` (stable text: it changes only when the columns do).
std::string schema_json(const std::string& table, const std::vector<ExportColumn>& columns);

}  // namespace billingfoot::lake
