#pragma once
// The data catalog: every table of the warehouse with its columns, what they mean (FOCUS
// columns from the catalogue in src/focus, our own from table and column comments), row
// counts, coverage per source and example values. `billingfoot catalog` renders it; the
// server can serve the same JSON.
#include <nlohmann/json.hpp>

#include "focus/catalogue.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::model {

// What a column of focus_costs or cost_allocated means: FOCUS columns from the catalogue (with
// their facts), billingfoot's x_ columns, allocation dimensions; for any other table or
// column, `comment` (the column's COMMENT in the warehouse).
struct ColumnMeaning {
  std::string description;
  const focus::Column* focus = nullptr;  // set for FOCUS columns
};
ColumnMeaning column_meaning(const std::string& table, const std::string& column, const std::string& comment);

// {"tables": [{"name", "description", "rows", "columns": [{"name", "type", "description",
//   "focus_level", "focus_version", "examples": [...]}]}], "coverage": [{"source",
//   "source_type", "first_period", "last_period", "periods", "rows", "first_charge",
//   "last_charge"}]}
// Examples are the most frequent values in a sample of up to `sample_rows` rows.
nlohmann::json build_catalog(warehouse::Connection& con, int sample_rows = 20000);

// The catalog as Markdown.
std::string catalog_markdown(const nlohmann::json& catalog);

}  // namespace billingfoot::model
