#include "server/dashboards.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <set>

#include "common/strings.hpp"
#include "warehouse/read_only_query.hpp"

namespace billingfoot::server {

namespace fs = std::filesystem;

const std::vector<std::string>& chart_types() {
  static const std::vector<std::string> types = {"line", "bar",   "stacked_bar", "area",
                                                 "pie",  "table", "number"};
  return types;
}

const std::vector<std::string>& api_panel_endpoints() {
  static const std::vector<std::string> endpoints = {"costs", "movers", "unit-costs", "sources",
                                                     "loads"};
  return endpoints;
}

namespace {

bool one_of(const std::string& v, const std::vector<std::string>& options) {
  return std::find(options.begin(), options.end(), v) != options.end();
}

// Collects the problems of one file, each prefixed with file:line:col: key.
class Checker {
 public:
  Checker(std::string file, Dashboard& dashboard) : file_(std::move(file)), dashboard_(dashboard) {}

  std::string at(const YAML::Node& node, const std::string& key) const {
    std::string out = file_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      out +=
          ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
    return out + (key.empty() ? "" : ": " + key);
  }
  std::string problem(const YAML::Node& node, const std::string& key, const std::string& message) {
    std::string text = at(node, key) + ": " + message;
    dashboard_.errors.push_back(text);
    return text;
  }
  // The scalar at map[key] ("" when absent); a problem when present but not a value, or when
  // required and missing.
  std::string text(const YAML::Node& map, const std::string& key, const std::string& path,
                   bool required, std::string* error = nullptr) {
    const YAML::Node node = map[key];
    if (!node.IsDefined() || node.IsNull()) {
      if (required) remember(error, problem(map, path + key, "missing (required)"));
      return "";
    }
    if (!node.IsScalar()) {
      remember(error, problem(node, path + key, "must be a value"));
      return "";
    }
    return node.Scalar();
  }
  void unknown_keys(const YAML::Node& map, const std::set<std::string>& known,
                    const std::string& path, std::string* error = nullptr) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!known.count(key)) {
        remember(
            error,
            problem(it->first, path + key,
                    "unknown key (known keys: " +
                        common::join(std::vector<std::string>(known.begin(), known.end()), ", ") +
                        ")"));
      }
    }
  }
  static void remember(std::string* error, const std::string& text) {
    if (error && error->empty()) *error = text;
  }

 private:
  std::string file_;
  Dashboard& dashboard_;
};

// DuckDB's messages end with the SQL and a caret on their own lines: keep the sentences only.
std::string one_line(const std::string& message) {
  std::string out;
  for (const auto& line : common::split(message, '\n')) {
    std::string t = common::trim(line);
    if (t.starts_with("LINE ")) break;
    if (!t.empty()) out += (out.empty() ? "" : " ") + t;
  }
  return out;
}

void check_panel_sql(Panel& panel, const std::string& where, warehouse::Reader& reader,
                     bool bind_sql, Dashboard& dashboard) {
  std::string message;
  try {
    // ClickHouse checks its own SQL when it runs it (read-only, no table functions).
    if (reader.backend() == "duckdb") warehouse::check_read_only(reader.scratch(), panel.sql);
    if (bind_sql) reader.check_sql(panel.sql);
  } catch (const warehouse::QueryRefused& e) {
    message = e.what();
  } catch (const warehouse::Error& e) {
    message = one_line(e.engine_message());
  }
  if (message.empty()) return;
  std::string text = where + ": " + message;
  dashboard.errors.push_back(text);
  if (panel.error.empty()) panel.error = text;
}

Panel read_panel(const YAML::Node& node, const std::string& path, Checker& check,
                 warehouse::Reader& reader, bool bind_sql, Dashboard& dashboard) {
  Panel p;
  if (!node.IsMap()) {
    p.title = path;
    p.error = check.problem(node, path, "must be a mapping with title, type and sql or api");
    return p;
  }
  std::string prefix = path + ".";
  check.unknown_keys(node,
                     {"title", "description", "type", "sql", "clickhouse_sql", "api", "x", "y",
                      "series", "format", "width"},
                     prefix, &p.error);
  p.title = check.text(node, "title", prefix, true, &p.error);
  p.description = check.text(node, "description", prefix, false, &p.error);
  p.type = check.text(node, "type", prefix, true, &p.error);
  p.sql = check.text(node, "sql", prefix, false, &p.error);
  // SQL is written in the warehouse's dialect: `sql` for DuckDB, `clickhouse_sql` for ClickHouse.
  std::string clickhouse_sql = check.text(node, "clickhouse_sql", prefix, false, &p.error);
  bool has_sql = !p.sql.empty() || !clickhouse_sql.empty();
  std::string sql_key = "sql";
  if (reader.backend() == "clickhouse") {
    if (clickhouse_sql.empty() && !p.sql.empty()) {
      Checker::remember(&p.error,
                        check.problem(node["sql"], prefix + "sql",
                                      "is DuckDB SQL and the warehouse is ClickHouse: add "
                                      "clickhouse_sql: with this panel's query for ClickHouse"));
    }
    p.sql = clickhouse_sql;
    sql_key = "clickhouse_sql";
  } else if (p.sql.empty() && !clickhouse_sql.empty()) {
    Checker::remember(&p.error,
                      check.problem(node["clickhouse_sql"], prefix + "clickhouse_sql",
                                    "is for a ClickHouse warehouse and this one is "
                                    "DuckDB: add sql: with this panel's query for DuckDB"));
  }
  p.api = check.text(node, "api", prefix, false, &p.error);
  p.x = check.text(node, "x", prefix, false, &p.error);
  p.y = check.text(node, "y", prefix, false, &p.error);
  p.series = check.text(node, "series", prefix, false, &p.error);
  if (node["format"]) p.format = check.text(node, "format", prefix, false, &p.error);
  if (node["width"]) p.width = check.text(node, "width", prefix, false, &p.error);
  if (!p.type.empty() && !one_of(p.type, chart_types())) {
    Checker::remember(&p.error, check.problem(node["type"], prefix + "type",
                                              "unknown chart type '" + p.type + "' (use " +
                                                  common::join(chart_types(), ", ") + ")"));
  }
  if (!one_of(p.format, {"money", "number", "percent"})) {
    Checker::remember(&p.error,
                      check.problem(node["format"], prefix + "format",
                                    "must be money, number or percent, not '" + p.format + "'"));
  }
  if (!one_of(p.width, {"full", "half", "third"})) {
    Checker::remember(&p.error,
                      check.problem(node["width"], prefix + "width",
                                    "must be full, half or third, not '" + p.width + "'"));
  }
  if (has_sql == !p.api.empty()) {
    Checker::remember(&p.error, check.problem(node, path, "needs exactly one of sql or api"));
  } else if (!p.api.empty()) {
    std::string endpoint = p.api.substr(0, p.api.find('?'));
    if (!one_of(endpoint, api_panel_endpoints())) {
      Checker::remember(&p.error,
                        check.problem(node["api"], prefix + "api",
                                      "unknown API query '" + endpoint + "' (use " +
                                          common::join(api_panel_endpoints(), ", ") + ")"));
    }
  } else if (!p.sql.empty()) {
    check_panel_sql(p, check.at(node[sql_key], prefix + sql_key), reader, bind_sql, dashboard);
  }
  if (p.title.empty()) p.title = path;
  return p;
}

Dashboard read_dashboard(const fs::path& file, const std::string& relative,
                         warehouse::Reader& reader, bool bind_sql) {
  Dashboard d;
  d.file = relative;
  d.id = file.stem().string();
  d.title = d.id;
  Checker check(relative, d);
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    d.errors.push_back(relative + ":" + std::to_string(e.mark.line + 1) + ":" +
                       std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
    return d;
  }
  if (!root.IsMap()) {
    check.problem(root, "", "must be a mapping with title and panels");
    return d;
  }
  check.unknown_keys(root, {"title", "description", "panels"}, "");
  std::string title = check.text(root, "title", "", true);
  if (!title.empty()) d.title = title;
  d.description = check.text(root, "description", "", false);
  const YAML::Node panels = root["panels"];
  if (!panels.IsDefined() || panels.IsNull()) {
    check.problem(root, "panels", "missing (required): a list of panels");
  } else if (!panels.IsSequence() || panels.size() == 0) {
    check.problem(panels, "panels", "must be a non-empty list of panels");
  } else {
    for (size_t i = 0; i < panels.size(); ++i) {
      d.panels.push_back(
          read_panel(panels[i], "panels[" + std::to_string(i) + "]", check, reader, bind_sql, d));
    }
  }
  return d;
}

}  // namespace

std::vector<Dashboard> load_dashboards(const fs::path& dir, warehouse::Connection& connection,
                                       bool bind_sql) {
  auto reader = warehouse::duckdb_reader(connection);
  return load_dashboards(dir, *reader, bind_sql);
}

std::vector<Dashboard> load_dashboards(const fs::path& dir, warehouse::Reader& reader,
                                       bool bind_sql) {
  std::vector<Dashboard> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml") &&
        !entry.path().filename().string().starts_with(".")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  static const std::regex safe_id(R"([A-Za-z0-9_.-]+)");
  for (const auto& f : files) {
    Dashboard d = read_dashboard(f, (dir.filename() / f.filename()).string(), reader, bind_sql);
    if (!std::regex_match(d.id, safe_id)) {
      d.errors.push_back(d.file +
                         ": file name must use only letters, digits, '-', '_' and '.' (it is the "
                         "dashboard's URL)");
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace billingfoot::server
