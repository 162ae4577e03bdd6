#include "model/catalog.hpp"

#include <fmt/format.h>

#include "common/strings.hpp"
#include "focus/catalogue.hpp"

namespace billingfoot::model {

using common::quote_ident;
using common::quote_literal;
using nlohmann::json;

namespace {

std::string shorten(std::string v) {
  if (v.size() > 60) v = v.substr(0, 57) + "...";
  return v;
}

}  // namespace

ColumnMeaning column_meaning(const std::string& table, const std::string& column, const std::string& comment) {
  if (table != "focus_costs" && table != "cost_allocated") return {comment};
  if (const auto* c = focus::find_column(column)) return {std::string(c->description), c};
  for (const auto& own : focus::billingfoot_columns()) {
    if (own.name == column) return {std::string(own.description)};
  }
  if (table == "cost_allocated") {
    if (column == "x_SharedCost") {
      return {"Shared-cost rule (allocation.shared) that selected the row: split rows, and shared rows kept whole "
              "when their month had no target; NULL for other rows"};
    }
    if (!column.starts_with("x_")) return {"Allocation dimension (billingfoot.yaml allocation.dimensions)"};
  }
  if (column.starts_with("x_")) return {"Provider-specific column delivered by a source, kept with the x_ prefix"};
  return {comment};
}

json build_catalog(warehouse::Connection& con, int sample_rows) {
  json catalog = {{"tables", json::array()}, {"coverage", json::array()}};
  auto tables = con.query(
      "SELECT table_name, coalesce(comment, '') FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
      "ORDER BY table_name = 'focus_costs' DESC, table_name");
  for (size_t t = 0; t < tables.row_count(); ++t) {
    std::string name = tables.text(t, 0);
    json table = {{"name", name}, {"description", tables.text(t, 1)}, {"columns", json::array()}};
    table["rows"] = con.query("SELECT count(*) FROM " + quote_ident(name)).int64(0, 0);
    auto columns = con.query(
        "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() WHERE schema_name = 'main' AND "
        "table_name = " + quote_literal(name) + " ORDER BY column_index");
    con.execute("CREATE OR REPLACE TEMP TABLE bf_catalog_sample AS SELECT * FROM " + quote_ident(name) +
                " USING SAMPLE " + std::to_string(sample_rows) + " ROWS");
    for (size_t c = 0; c < columns.row_count(); ++c) {
      std::string column = columns.text(c, 0);
      json entry = {{"name", column}, {"type", columns.text(c, 1)}, {"examples", json::array()}};
      ColumnMeaning meaning = column_meaning(name, column, columns.text(c, 2));
      if (meaning.focus) {
        entry["focus_level"] = std::string(focus::level_name(meaning.focus->level));
        entry["focus_version"] = std::string(meaning.focus->introduced);
      }
      entry["description"] = meaning.description;
      auto examples = con.query("SELECT CAST(" + quote_ident(column) + " AS VARCHAR) v, count(*) n FROM bf_catalog_sample WHERE " +
                                quote_ident(column) + " IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT 3");
      for (size_t e = 0; e < examples.row_count(); ++e) entry["examples"].push_back(shorten(examples.text(e, 0)));
      table["columns"].push_back(entry);
    }
    con.execute("DROP TABLE bf_catalog_sample");
    catalog["tables"].push_back(table);
  }
  auto coverage = con.query(
      "SELECT x_SourceName, any_value(x_SourceType), min(x_BillingPeriod), max(x_BillingPeriod), "
      "count(DISTINCT x_BillingPeriod), count(*), CAST(min(ChargePeriodStart) AS VARCHAR), "
      "CAST(max(ChargePeriodEnd) AS VARCHAR) FROM focus_costs GROUP BY 1 ORDER BY 1");
  for (size_t i = 0; i < coverage.row_count(); ++i) {
    catalog["coverage"].push_back({{"source", coverage.text(i, 0)},
                                   {"source_type", coverage.text(i, 1)},
                                   {"first_period", coverage.text(i, 2)},
                                   {"last_period", coverage.text(i, 3)},
                                   {"periods", coverage.int64(i, 4)},
                                   {"rows", coverage.int64(i, 5)},
                                   {"first_charge", coverage.text(i, 6)},
                                   {"last_charge", coverage.text(i, 7)}});
  }
  return catalog;
}

std::string catalog_markdown(const json& catalog) {
  auto cell = [](std::string v) {
    std::string out;
    for (char ch : v) {
      if (ch == '|') out += "\\|";
      else if (ch == '\n') out += ' ';
      else out += ch;
    }
    return out;
  };
  std::string md = "# billingfoot data catalog\n\n## Tables\n\n| table | rows | description |\n|---|---:|---|\n";
  for (const auto& t : catalog["tables"]) {
    md += fmt::format("| [{0}](#{0}) | {1} | {2} |\n", t["name"].get<std::string>(), t["rows"].get<int64_t>(),
                      cell(t["description"].get<std::string>()));
  }
  if (!catalog["coverage"].empty()) {
    md += "\n## Coverage of focus_costs by source\n\n| source | type | billing periods | rows | charges from | to |\n"
          "|---|---|---|---:|---|---|\n";
    for (const auto& c : catalog["coverage"]) {
      md += fmt::format("| {} | {} | {} .. {} ({}) | {} | {} | {} |\n", c["source"].get<std::string>(),
                        c["source_type"].get<std::string>(), c["first_period"].get<std::string>(),
                        c["last_period"].get<std::string>(), c["periods"].get<int64_t>(), c["rows"].get<int64_t>(),
                        c["first_charge"].get<std::string>(), c["last_charge"].get<std::string>());
    }
  }
  for (const auto& t : catalog["tables"]) {
    md += fmt::format("\n## {}\n\n", t["name"].get<std::string>());
    if (!t["description"].get<std::string>().empty()) md += t["description"].get<std::string>() + "\n\n";
    md += fmt::format("{} rows.\n\n| column | type | description | examples |\n|---|---|---|---|\n", t["rows"].get<int64_t>());
    for (const auto& c : t["columns"]) {
      std::string description = c["description"].get<std::string>();
      if (c.contains("focus_level")) {
        description = "FOCUS " + c["focus_version"].get<std::string>() + ", " + c["focus_level"].get<std::string>() +
                      ". " + description;
      }
      std::vector<std::string> examples;
      for (const auto& e : c["examples"]) examples.push_back("`" + cell(e.get<std::string>()) + "`");
      md += fmt::format("| {} | {} | {} | {} |\n", c["name"].get<std::string>(), c["type"].get<std::string>(),
                        cell(description), common::join(examples, ", "));
    }
  }
  return md;
}

}  // namespace billingfoot::model
