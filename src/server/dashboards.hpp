#pragma once
// Dashboards as code: a folder of YAML files, one dashboard each, kept in version control.
// A panel is a read-only SQL query (or an API query such as "costs?group_by=ServiceName")
// plus a chart type and options. Problems are collected with file:line, never skipped
// silently: the page shows them and `billingfoot validate --dashboards` fails on them.
//
//   title: Cloud spend
//   description: optional text
//   panels:
//     - title: Daily cost by provider
//       type: stacked_bar          # line | bar | stacked_bar | area | pie | table | number
//       sql: SELECT day, ProviderName, sum(BilledCost) AS cost FROM cost_daily GROUP BY ALL
//       x: day                     # category / time column (default: the first column)
//       y: cost                    # value column (default: the last numeric column)
//       series: ProviderName       # one series per value of this column (optional)
//       format: money              # money | number | percent (default money)
//       width: half                # full | half | third (default half)
#include <filesystem>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"
#include "warehouse/reader.hpp"

namespace billingfoot::server {

struct Panel {
  std::string title, description, type;
  std::string sql;  // exactly one of sql / api
  std::string api;  // "ENDPOINT?query", ENDPOINT one of api_panel_endpoints()
  std::string x, y, series;
  std::string format = "money";
  std::string width = "half";
  std::string error;  // "file:line:col: problem" when this panel is invalid
};

struct Dashboard {
  std::string id;    // file name without .yaml: the URL of the dashboard
  std::string file;  // path relative to the dashboards folder
  std::string title, description;
  std::vector<Panel> panels;
  std::vector<std::string> errors;  // every problem in the file, panels' included
};

const std::vector<std::string>& chart_types();
const std::vector<std::string>& api_panel_endpoints();

// Loads every *.yaml / *.yml file of `dir` (sorted by name). SQL is checked with the read-only
// guard on `connection`; when `bind_sql` is set it is also bound (unknown tables or columns
// become problems), which needs a connection to the warehouse. A missing folder gives an empty
// list.
std::vector<Dashboard> load_dashboards(const std::filesystem::path& dir,
                                       warehouse::Connection& connection, bool bind_sql);
// The same for any warehouse: a panel's SQL is `sql:` on DuckDB and `clickhouse_sql:` on
// ClickHouse (a panel with DuckDB SQL only is a problem there, and the other way round).
std::vector<Dashboard> load_dashboards(const std::filesystem::path& dir, warehouse::Reader& reader,
                                       bool bind_sql);

}  // namespace billingfoot::server
