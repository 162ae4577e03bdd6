#include "lake/table_schema.hpp"

#include <nlohmann/json.hpp>

#include "common/strings.hpp"
#include "lake/hive_path.hpp"
#include "model/catalog.hpp"

namespace billingfoot::lake {

using nlohmann::ordered_json;

std::vector<ExportColumn> export_columns(warehouse::Connection& con, const std::string& table) {
  auto q = con.prepare(
      "SELECT column_name, data_type, is_nullable, coalesce(comment, '') FROM duckdb_columns() "
      "WHERE schema_name = "
      "'main' AND table_name = ? ORDER BY column_index",
      "reading the columns of " + table);
  warehouse::Result r = q.bind(1, table).execute();
  std::vector<ExportColumn> columns;
  for (size_t i = 0; i < r.row_count(); ++i) {
    ExportColumn c{r.text(i, 0), r.text(i, 1), r.text(i, 2) == "true", false, r.text(i, 3)};
    if (c.type == "JSON") {
      c.type = "VARCHAR";
      c.json_text = true;
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

std::string export_select_list(const std::vector<ExportColumn>& columns) {
  std::vector<std::string> items;
  for (const auto& c : columns) {
    std::string name = common::quote_ident(c.name);
    items.push_back(c.json_text ? "CAST(" + name + " AS VARCHAR) AS " + name : name);
  }
  return common::join(items, ", ");
}

std::string schema_json(const std::string& table, const std::vector<ExportColumn>& columns) {
  ordered_json doc;
  doc["table"] = table;
  doc["format"] = "parquet";
  doc["compression"] = "snappy";
  doc["layout"] = table + "/provider=<ProviderName>/billing_period=<YYYY-MM>/part-*.parquet";
  doc["partition_columns"] =
      ordered_json::array({{{"name", "provider"},
                            {"type", "VARCHAR"},
                            {"from", "ProviderName"},
                            {"encoding",
                             "Hive path escaping: control characters, space and \"#%'*/:=?\\{[]^ "
                             "as %XX (uppercase hex); "
                             "NULL or empty as " +
                                 std::string(kHiveDefaultPartition)}},
                           {{"name", "billing_period"},
                            {"type", "VARCHAR"},
                            {"from", "BillingPeriodStart"},
                            {"encoding", "YYYY-MM, the month of BillingPeriodStart (UTC)"}}});
  doc["conventions"] = {
      {"money",
       "DECIMAL(38,10) columns are exact decimals (Parquet DECIMAL, 16-byte fixed length); never "
       "rounded"},
      {"timestamps",
       "TIMESTAMP columns are UTC, microsecond precision, written without a time zone "
       "(Parquet TIMESTAMP_MICROS, isAdjustedToUTC=false); BillingPeriodEnd and ChargePeriodEnd "
       "are exclusive"},
      {"json",
       "Columns with json_text true (Tags, SkuPriceDetails, …) are VARCHAR holding a JSON "
       "document; "
       "parse them with the reader's JSON functions"},
      {"files",
       "Files whose names start with _ are metadata (_schema.json, _SUCCESS, _manifest.json), not "
       "data"}};
  ordered_json list = ordered_json::array();
  for (const auto& c : columns) {
    model::ColumnMeaning meaning = model::column_meaning(table, c.name, c.comment);
    ordered_json entry = {{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}};
    if (c.json_text) entry["json_text"] = true;
    entry["description"] = meaning.description;
    if (meaning.focus) {
      entry["focus"] = {{"type", std::string(focus::type_name(meaning.focus->type))},
                        {"feature_level", std::string(focus::level_name(meaning.focus->level))},
                        {"allows_nulls", meaning.focus->nullable},
                        {"introduced", std::string(meaning.focus->introduced)}};
    }
    list.push_back(std::move(entry));
  }
  doc["columns"] = std::move(list);
  return doc.dump(2) + "\n";
}

}  // namespace billingfoot::lake
