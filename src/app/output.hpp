#pragma once
// Rendering results for people (aligned tables, money rounded to cents) and for machines
// (CSV, JSON with exact values). `--format table|csv|json` everywhere goes through here.
#include <ostream>
#include <string>

#include "sources/source.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::app {

enum class Format { Table, Csv, Json };
// Throws UsageError for anything but table, csv, json.
Format parse_format(const std::string& text);

struct TableStyle {
  // Columns whose values are money: shown with 2 decimals and thousands separators in tables.
  std::vector<std::string> money_columns;
  std::string footer;  // e.g. a total line, printed under the table
};

void render(std::ostream& out, const warehouse::Result& result, Format format, const TableStyle& style = {});

// 1234567.891 -> "1,234,567.89" (half away from zero). Exact: works on the decimal text.
std::string format_money(const std::string& decimal_text);

// One line per billing period of a sync ("aws  2024-09  loaded     1234 rows  56.78 USD billed");
// names are padded to `name_width` so several sources line up.
void print_sync_result(std::ostream& out, const std::string& source, size_t name_width,
                       const sources::SyncResult& result, const std::string& currency);

}  // namespace billingfoot::app
