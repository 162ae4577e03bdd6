#include "model/metrics.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/postgres.hpp"
#include "net/http.hpp"

namespace billingfoot::model {

using common::join;
using common::quote_ident;
using common::quote_literal;

namespace {

constexpr const char* kStateSource = "model:metrics";

MetricRows read_csv(warehouse::Connection& con, const config::MetricConfig& m) {
  if (!std::filesystem::is_regular_file(m.csv_path))
    throw InputError("cannot read " + m.csv_path + ": no such file");
  warehouse::Result r;
  try {
    r = con.query(
        "SELECT * FROM read_csv(" + quote_literal(m.csv_path) +
            ", header = true, all_varchar = true, auto_detect = true, strict_mode = true)",
        "reading " + m.csv_path);
  } catch (const warehouse::Error& e) {
    throw InputError(m.csv_path + ": not a readable CSV file: " + e.engine_message());
  }
  MetricRows out;
  out.origin = m.csv_path;
  out.first_row_number = 2;
  out.columns = r.column_names();
  for (size_t i = 0; i < r.row_count(); ++i) {
    std::vector<std::optional<std::string>> row;
    for (size_t c = 0; c < r.column_count(); ++c) row.push_back(r.cell(i, c));
    out.rows.push_back(std::move(row));
  }
  return out;
}

const nlohmann::json* at_path(const nlohmann::json& doc, const std::string& path) {
  const nlohmann::json* node = &doc;
  if (path.empty()) return node;
  for (const auto& part : common::split(path, '.')) {
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
  }
  return node;
}

std::optional<std::string> json_text(const nlohmann::json& v, const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  throw InputError(where + ": values must be strings, numbers or booleans, not " +
                   std::string(v.type_name()));
}

MetricRows read_http(const config::MetricConfig& m) {
  MetricRows out;
  out.origin = net::describe_url(m.url);
  std::map<std::string, size_t> index;
  std::vector<std::map<std::string, std::optional<std::string>>> items;
  std::set<std::string> seen_urls;
  std::string url = m.url;
  for (int page = 1; !url.empty(); ++page) {
    if (!seen_urls.insert(url).second)
      throw InputError(net::describe_url(url) +
                       ": the next page points back to a page already read");
    net::Request request;
    request.url = url;
    request.headers = m.headers;
    request.headers.emplace_back("Accept", "application/json");
    request.timeout = std::chrono::seconds(120);
    net::RetryPolicy policy;
    policy.what = "metric " + m.name + ": " + net::describe_url(url);
    net::Response response;
    try {
      response = net::send_with_retry(request, policy);
    } catch (const net::NetworkError& e) {
      throw InputError(e.what());
    }
    std::string where = net::describe_url(url) + " (page " + std::to_string(page) + ")";
    if (response.status != 200) {
      throw InputError(where + ": HTTP " + std::to_string(response.status) + ": " +
                       response.body.substr(0, 200));
    }
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(response.body);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError(where + ": malformed JSON: " + e.what());
    }
    const nlohmann::json* list = at_path(doc, m.items);
    if (!list || !list->is_array()) {
      throw InputError(where + ": " + (m.items.empty() ? "the body" : "'" + m.items + "'") +
                       " is not a JSON array of rows");
    }
    for (const auto& item : *list) {
      if (!item.is_object()) throw InputError(where + ": every row must be a JSON object");
      std::map<std::string, std::optional<std::string>> row;
      for (const auto& [key, value] : item.items()) {
        if (!index.count(key)) {
          index[key] = out.columns.size();
          out.columns.push_back(key);
        }
        row[key] = json_text(value, where + " " + key);
      }
      items.push_back(std::move(row));
    }
    url.clear();
    if (!m.next.empty()) {
      const nlohmann::json* next = at_path(doc, m.next);
      if (next && next->is_string()) url = next->get<std::string>();
    }
  }
  for (auto& item : items) {
    std::vector<std::optional<std::string>> row(out.columns.size());
    for (auto& [key, value] : item) row[index[key]] = std::move(value);
    out.rows.push_back(std::move(row));
  }
  return out;
}

// Text → DATE: YYYY-MM-DD, a timestamp, or YYYY-MM (the month's first day).
std::string parsed_date(const std::string& column) {
  std::string t = "trim(" + column + ")";
  return "coalesce(TRY_CAST(" + t + " AS DATE), TRY_CAST(TRY_CAST(" + t +
         " AS TIMESTAMP) AS DATE), TRY_CAST(" + t + " || '-01' AS DATE))";
}

std::string parsed_value(const std::string& column) {
  std::string t = "trim(" + column + ")";
  return "coalesce(TRY_CAST(" + t + " AS DECIMAL(38,10)), TRY_CAST(TRY_CAST(" + t +
         " AS DOUBLE) AS DECIMAL(38,10)))";
}

}  // namespace

MetricRows fetch_metric(warehouse::Connection& con, const config::MetricConfig& m) {
  try {
    switch (m.kind) {
      case config::MetricConfig::Kind::Csv:
        return read_csv(con, m);
      case config::MetricConfig::Kind::Postgres:
        return query_postgres(m.dsn, m.query);
      case config::MetricConfig::Kind::Http:
        return read_http(m);
    }
  } catch (const InputError& e) {
    throw InputError("metric " + m.name + ": " + e.what());
  }
  throw InputError("metric " + m.name + ": no source");
}

MetricLoadResult store_metric(warehouse::Warehouse& wh, const config::MetricConfig& m,
                              const MetricRows& rows) {
  auto& con = wh.connection();
  std::string prefix = "metric " + m.name + ": " + rows.origin + ": ";
  // Column roles: date, value, and dimensions (every other column).
  static const std::regex ident(R"([A-Za-z_][A-Za-z0-9_]*)");
  std::optional<size_t> date, value;
  std::vector<size_t> dims;
  std::set<std::string> names;
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    std::string name = common::to_lower(rows.columns[c]);
    if (!names.insert(name).second)
      throw InputError(prefix + "column " + rows.columns[c] + " appears twice");
    if (name == "date") {
      date = c;
    } else if (name == "value") {
      value = c;
    } else if (name == "metric" || name.starts_with("__") ||
               !std::regex_match(rows.columns[c], ident)) {
      throw InputError(prefix + "column '" + rows.columns[c] +
                       "' cannot be a dimension (use letters, digits and _)");
    } else {
      dims.push_back(c);
    }
  }
  if (!date || !value) {
    throw InputError(
        prefix + "needs a 'date' and a 'value' column (found: " + join(rows.columns, ", ") + ")");
  }

  con.execute("DROP TABLE IF EXISTS __metric_stage");
  std::vector<std::string> stage_columns = {"__line BIGINT", "date VARCHAR", "value VARCHAR"};
  for (size_t d : dims) stage_columns.push_back(quote_ident(rows.columns[d]) + " VARCHAR");
  con.execute("CREATE TEMP TABLE __metric_stage (" + join(stage_columns, ", ") + ")");
  {
    auto appender = con.appender("__metric_stage");
    int64_t line = rows.first_row_number;
    for (const auto& row : rows.rows) {
      if (row.size() != rows.columns.size())
        throw InputError(prefix + "row " + std::to_string(line) + " has a wrong number of fields");
      appender.append(line++);
      for (size_t c : std::vector<size_t>{*date, *value}) {
        if (row[c])
          appender.append(*row[c]);
        else
          appender.append_null();
      }
      for (size_t d : dims) {
        if (row[d])
          appender.append(*row[d]);
        else
          appender.append_null();
      }
      appender.end_row();
    }
    appender.flush();
  }
  warehouse::Result bad =
      con.query("SELECT __line, date, value FROM __metric_stage WHERE " + parsed_date("date") +
                " IS NULL OR " + parsed_value("value") + " IS NULL ORDER BY __line LIMIT 1");
  if (bad.row_count() > 0) {
    bool date_ok =
        !bad.is_null(0, 1) &&
        con.query("SELECT " + parsed_date(quote_literal(bad.text(0, 1))) + " IS NOT NULL")
                .text(0, 0) == "true";
    throw InputError(prefix + "row " + bad.text(0, 0) + ": " +
                     (date_ok ? "value '" + bad.text(0, 2) + "' is not a number"
                              : "date '" + bad.text(0, 1) + "' is not YYYY-MM-DD or YYYY-MM") +
                     "; nothing of this metric was changed");
  }

  std::string grain = quote_literal(m.grain);
  std::string period = "CAST(date_trunc(" + grain + ", " + parsed_date("date") + ") AS DATE)";
  std::vector<std::string> dim_names;
  for (size_t d : dims) dim_names.push_back(quote_ident(rows.columns[d]));
  std::string dim_list = dim_names.empty() ? "" : join(dim_names, ", ") + ", ";

  MetricLoadResult result;
  result.metric = m.name;
  warehouse::Transaction tx(con);
  for (size_t d : dims) {
    auto has = con.prepare(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'business_metrics' AND "
        "lower(column_name) = lower(?)");
    if (has.bind(1, rows.columns[d]).execute().int64(0, 0) == 0) {
      con.execute("ALTER TABLE business_metrics ADD COLUMN " + quote_ident(rows.columns[d]) +
                  " VARCHAR");
    }
  }
  con.execute("DELETE FROM business_metrics WHERE metric = " + quote_literal(m.name) +
                  " AND CAST(date_trunc(" + grain + ", date) AS DATE) IN (SELECT DISTINCT " +
                  period + " FROM __metric_stage)",
              prefix + "replacing periods");
  con.execute("INSERT INTO business_metrics (metric, date, " + dim_list + "value) SELECT " +
                  quote_literal(m.name) + ", " + period + " AS period, " + dim_list + m.aggregate +
                  "(" + parsed_value("value") + ") FROM __metric_stage GROUP BY ALL",
              prefix + "storing rows");
  result.periods =
      con.query("SELECT count(DISTINCT " + period + ") FROM __metric_stage").int64(0, 0);
  result.rows =
      con.query("SELECT count(*) FROM business_metrics WHERE metric = " + quote_literal(m.name) +
                " AND date IN (SELECT DISTINCT " + period + " FROM __metric_stage)")
          .int64(0, 0);
  if (!rows.rows.empty()) wh.set_source_state(kStateSource, "version", warehouse::new_load_id());
  tx.commit();
  con.execute("DROP TABLE IF EXISTS __metric_stage");
  return result;
}

std::vector<MetricLoadResult> load_metrics(warehouse::Warehouse& wh,
                                           const config::ModelConfig& model) {
  std::vector<MetricLoadResult> out;
  for (const auto& m : model.metrics) {
    try {
      out.push_back(store_metric(wh, m, fetch_metric(wh.connection(), m)));
    } catch (const std::exception& e) {
      MetricLoadResult failed;
      failed.metric = m.name;
      failed.error = e.what();
      out.push_back(failed);
    }
  }
  return out;
}

std::string metrics_version(warehouse::Warehouse& wh) {
  return wh.source_state(kStateSource, "version");
}

}  // namespace billingfoot::model
