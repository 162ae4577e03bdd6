#include "sources/gcp/export_schema.hpp"

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "sources/files.hpp"

namespace billingfoot::sources::gcp {

namespace fs = std::filesystem;
using common::quote_ident;
using common::quote_literal;

namespace {
constexpr std::string_view kKeyValue = "STRUCT(key VARCHAR, value VARCHAR)[]";
}

const std::vector<ExportField>& export_fields() {
  // Google docs, "Structure of the billing data tables"; FLOAT/NUMERIC/INTEGER and TIMESTAMP
  // fields are read as text (see header).
  static const std::vector<ExportField> fields = {
      {"billing_account_id", "VARCHAR"},
      {"service", "STRUCT(id VARCHAR, description VARCHAR)"},
      {"sku", "STRUCT(id VARCHAR, description VARCHAR)"},
      {"usage_start_time", "VARCHAR"},
      {"usage_end_time", "VARCHAR"},
      {"project",
       "STRUCT(id VARCHAR, number VARCHAR, name VARCHAR, labels STRUCT(key VARCHAR, value "
       "VARCHAR)[], ancestry_numbers VARCHAR, ancestors STRUCT(resource_name VARCHAR, "
       "display_name VARCHAR)[])"},
      {"labels", kKeyValue},
      {"system_labels", kKeyValue},
      {"location", "STRUCT(location VARCHAR, country VARCHAR, region VARCHAR, zone VARCHAR)"},
      {"resource", "STRUCT(name VARCHAR, global_name VARCHAR)", true},
      {"tags", "STRUCT(key VARCHAR, value VARCHAR, inherited BOOLEAN, namespace VARCHAR)[]"},
      {"price",
       "STRUCT(effective_price VARCHAR, tier_start_amount VARCHAR, unit VARCHAR, "
       "pricing_unit_quantity VARCHAR, list_price VARCHAR, effective_price_default VARCHAR, "
       "list_price_consumption_model VARCHAR)",
       true},
      {"subscription", "STRUCT(instance_id VARCHAR)"},
      {"transaction_type", "VARCHAR"},
      {"seller_name", "VARCHAR"},
      {"export_time", "VARCHAR"},
      {"cost", "VARCHAR"},
      {"currency", "VARCHAR"},
      {"currency_conversion_rate", "VARCHAR"},
      {"usage",
       "STRUCT(amount VARCHAR, unit VARCHAR, amount_in_pricing_units VARCHAR, pricing_unit "
       "VARCHAR)"},
      {"credits",
       "STRUCT(name VARCHAR, amount VARCHAR, full_name VARCHAR, id VARCHAR, type VARCHAR)[]"},
      {"invoice", "STRUCT(month VARCHAR, publisher_type VARCHAR)"},
      {"cost_type", "VARCHAR"},
      {"adjustment_info", "STRUCT(id VARCHAR, description VARCHAR, mode VARCHAR, type VARCHAR)"},
      {"cost_at_list", "VARCHAR"},
      {"consumption_model",
       "STRUCT(id VARCHAR, description VARCHAR, applied_subscription_instance_id VARCHAR)"},
      {"cost_at_effective_price_default", "VARCHAR"},
      {"cost_at_list_consumption_model", "VARCHAR"},
  };
  return fields;
}

bool is_nested(const ExportField& field) {
  return field.duckdb_type.starts_with("STRUCT") || field.duckdb_type.ends_with("[]");
}

std::string read_json_columns() {
  std::vector<std::string> items;
  for (const auto& f : export_fields()) {
    items.push_back(quote_literal(f.name) + ": " + quote_literal(f.duckdb_type));
  }
  return "{" + common::join(items, ", ") + "}";
}

namespace {

// Parquet and CSV files are rewritten as JSON lines so that read_json applies the schema by
// field name (casting a Parquet STRUCT to another STRUCT would match fields by position).
fs::path as_json_lines(warehouse::Connection& con, const fs::path& file, size_t index,
                       const fs::path& scratch_dir, const std::string& source_name) {
  FileFormat format = format_of(file);
  if (format == FileFormat::JsonLines) return file;
  if (format == FileFormat::Unknown) {
    throw InputError("source " + source_name + ": " + file.string() + ": unsupported file type");
  }
  fs::create_directories(scratch_dir);
  fs::path out = scratch_dir / ("file-" + std::to_string(index) + ".jsonl");
  std::string raw = "gcp_raw_file";
  read_file_into(con, file, raw, source_name);
  std::string select = "SELECT * FROM " + quote_ident(raw);
  if (format == FileFormat::Csv) {
    // A CSV export cannot hold records: nested fields arrive as JSON text (TO_JSON_STRING).
    auto cols = con.query("SELECT column_name FROM information_schema.columns WHERE table_name = " +
                          quote_literal(raw));
    std::vector<std::string> replaced;
    for (size_t c = 0; c < cols.row_count(); ++c) {
      std::string name = cols.text(c, 0);
      for (const auto& f : export_fields()) {
        if (f.name == name && is_nested(f)) {
          replaced.push_back("CAST(" + quote_ident(name) + " AS JSON) AS " + quote_ident(name));
        }
      }
    }
    if (!replaced.empty()) {
      select = "SELECT * REPLACE (" + common::join(replaced, ", ") + ") FROM " + quote_ident(raw);
    }
  }
  try {
    con.execute("COPY (" + select + ") TO " + quote_literal(out.string()) + " (FORMAT json)");
  } catch (const warehouse::Error& e) {
    throw InputError("source " + source_name + ": file " + file.string() +
                     ": cannot read the nested fields: " + e.engine_message());
  }
  con.execute("DROP TABLE " + quote_ident(raw));
  return out;
}

}  // namespace

void stage_export_files(warehouse::Connection& con, const std::vector<fs::path>& files,
                        const fs::path& scratch_dir, const std::string& source_name) {
  std::string ddl = "CREATE OR REPLACE TEMP TABLE gcp_export_rows (";
  for (const auto& f : export_fields())
    ddl += quote_ident(f.name) + " " + std::string(f.duckdb_type) + ", ";
  con.execute(ddl + "bf_file VARCHAR)", "creating gcp_export_rows");
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path readable = as_json_lines(con, files[i], i, scratch_dir, source_name);
    try {
      con.execute("INSERT INTO gcp_export_rows SELECT *, " + quote_literal(files[i].string()) +
                  " FROM read_json(" + quote_literal(readable.string()) +
                  ", format = 'newline_delimited', columns = " + read_json_columns() + ")");
    } catch (const warehouse::Error& e) {
      throw InputError("source " + source_name + ": file " + files[i].string() + ": " +
                       e.engine_message());
    }
  }
  auto bad = con.query(
      "SELECT bf_file, count(*) FILTER (WHERE invoice.month IS NULL), count(*) FILTER (WHERE cost "
      "IS NULL) FROM gcp_export_rows WHERE invoice.month IS NULL OR cost IS NULL GROUP BY 1 ORDER "
      "BY 1 LIMIT 1");
  if (bad.row_count()) {
    throw InputError(
        "source " + source_name + ": file " + bad.text(0, 0) + ": " + bad.text(0, 1) +
        " rows without invoice.month and " + bad.text(0, 2) +
        " rows without cost — is this a BigQuery billing export? (nothing was loaded)");
  }
}

}  // namespace billingfoot::sources::gcp
