#pragma once
// The shape of Google Cloud's BigQuery billing export (standard and detailed tables), and the
// one way billingfoot reads it: every delivered or landed file becomes rows of TEMP table
// gcp_export_rows with exactly these top-level fields (nested records as STRUCTs, repeated
// fields as lists), whatever the file format. Fields a file lacks (the standard export has no
// `resource` or `price`; older tables lack `cost_at_list`) are NULL; fields Google adds later
// are ignored. Numbers and timestamps stay text so that no digit is lost before normalize.sql
// converts them.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::sources::gcp {

struct ExportField {
  std::string_view name;
  std::string_view duckdb_type;  // as read: STRUCT(...) for records, ...[] for repeated fields
  bool detailed_only = false;    // only in gcp_billing_export_resource_v1_… tables
};

// Every top-level field billingfoot reads, in the export's order.
const std::vector<ExportField>& export_fields();
bool is_nested(const ExportField& field);

// DuckDB's `columns = {...}` argument of read_json for these fields.
std::string read_json_columns();

// Reads `files` (JSON lines, Parquet, CSV with nested fields as JSON text) into TEMP table
// gcp_export_rows (+ bf_file). Parquet and CSV go through a JSON lines copy in `scratch_dir`, so
// one reader with one schema serves every format. Throws InputError naming source and file.
void stage_export_files(warehouse::Connection& con, const std::vector<std::filesystem::path>& files,
                        const std::filesystem::path& scratch_dir, const std::string& source_name);

}  // namespace billingfoot::sources::gcp
