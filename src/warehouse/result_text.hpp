#pragma once
// A query Result as machine-readable text: CSV (RFC 4180) and JSON with exact values. The
// command line (`--format csv|json`) and the HTTP API share these, so a number looks the same
// in both.
#include <ostream>
#include <string>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

// One CSV field, quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& value);

// Header line, then one line per row; NULL is an empty field.
void write_csv(std::ostream& out, const Result& result);

// One JSON value for a cell: numbers for numeric kinds (the exact decimal text, never rounded
// through a double), parsed JSON for JSON columns, true/false, null, else strings.
std::string json_cell(const Result& result, size_t row, size_t col);

// [{"col": value, …}, …] with one object per row (the CLI's `--format json`).
void write_json_objects(std::ostream& out, const Result& result);

}  // namespace billingfoot::warehouse
