// Data endpoints: sources and loads (freshness), derived tables (unit costs, anomalies,
// budgets), read-only SQL, and dashboards as code.
#include <fmt/format.h>

#include <chrono>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/rollup.hpp"
#include "server/api.hpp"
#include "server/dashboards.hpp"
#include "server/json_text.hpp"
#include "server/metrics.hpp"
#include "sources/source.hpp"
#include "warehouse/read_only_query.hpp"
#include "warehouse/source_status.hpp"

namespace billingfoot::server {

using common::quote_ident;
using common::quote_literal;
using warehouse::Connection;
using warehouse::CostQuery;
using warehouse::Result;

namespace {

Payload table_payload(Result result, const std::string& name, JsonObject o = {}) {
  o.raw("columns", columns_json(result)).raw("rows", rows_json(result));
  return {o.str(), std::move(result), name};
}

}  // namespace

Payload Api::sources(const Params&) {
  // Per source and billing period: what is held, and how its latest load went. On a machine
  // that only reads ClickHouse, both come from ClickHouse's loads (the latest publish of each
  // month is what it holds) and there are no runs of this machine.
  std::optional<WarehouseLease::Use> use;
  std::optional<Reading> reading;
  Connection* con = nullptr;
  std::string held;
  if (clickhouse_only()) {
    reading.emplace(read());
    con = &reading->reader().scratch();
    std::string published = reading->reader().loads_table();
    con->execute("CREATE OR REPLACE TEMP VIEW loads AS SELECT * EXCLUDE (bf_ord) FROM " +
                 quote_ident(published));
    held =
        "SELECT source, billing_period, arg_max(rows, finished_at) AS rows, "
        "arg_max(billed_cost, finished_at) AS billed_cost FROM loads GROUP BY 1, 2";
  } else {
    use.emplace(lease_.acquire());
    con = &use->connection();
    CostQuery q;
    held = model::use_rollup_when_possible(*con, q)
               ? "SELECT x_SourceName AS source, x_BillingPeriod AS billing_period, sum(rows) AS "
                 "rows, sum(BilledCost) AS billed_cost FROM cost_daily GROUP BY 1, 2"
               : warehouse::kHeldInFocusCosts;
  }
  Result status =
      warehouse::source_status(*con, sources::configured_sources(*config_.get()), use ? "" : held);
  Result periods = con->query(
      "WITH held AS (" + held +
          "), latest AS (SELECT source, billing_period, arg_max(status, finished_at) AS "
          "last_status, "
          "max(finished_at) AS last_attempt, arg_max(message, finished_at) AS last_message, "
          "max(finished_at) FILTER (WHERE status = 'ok') AS last_loaded FROM loads WHERE "
          "billing_period <> '*' "
          "GROUP BY 1, 2) SELECT source, billing_period, coalesce(h.rows, 0) AS rows, "
          "h.billed_cost, "
          "l.last_loaded, l.last_attempt, l.last_status, l.last_message FROM latest l FULL JOIN "
          "held h "
          "USING (source, billing_period) ORDER BY source, billing_period DESC",
      "listing billing periods");
  // The latest runs (scheduled by `billingfoot run`, or `sync`), newest first.
  Result runs = con->query(
      use ? "SELECT source, started_at, finished_at, status, partitions_loaded, "
            "partitions_unchanged, partitions_failed, rows, message FROM runs ORDER BY "
            "finished_at DESC LIMIT 100"
          : "SELECT NULL::VARCHAR AS source, NULL::TIMESTAMP AS started_at, NULL::TIMESTAMP AS "
            "finished_at, NULL::VARCHAR AS status, 0 AS partitions_loaded, 0 AS "
            "partitions_unchanged, 0 AS partitions_failed, 0 AS rows, NULL::VARCHAR AS message "
            "WHERE false",
      "listing runs");
  JsonObject o;
  o.add("currency", config_.get()->currency)
      .raw("periods", rows_json(periods))
      .raw("runs", rows_json(runs));
  return table_payload(std::move(status), "sources", std::move(o));
}

Payload Api::loads(const Params& params) {
  size_t limit = params.number("limit", 100, 10000);
  std::string where = "";
  if (auto source = params.get("source")) where = " WHERE source = " + quote_literal(*source);
  std::string select =
      "SELECT load_id, source, billing_period, status, rows, billed_cost, effective_cost, "
      "started_at, finished_at, message FROM ";
  std::string order = " ORDER BY finished_at DESC, load_id LIMIT " + std::to_string(limit);
  if (clickhouse_only()) {
    Reading reading = read();
    std::string table = reading.reader().loads_table();
    return table_payload(reading.reader().scratch().query(
                             select + quote_ident(table) + where + order, "listing loads"),
                         "loads");
  }
  auto use = lease_.acquire();
  Result r = use.connection().query(select + "loads" + where + order, "listing loads");
  return table_payload(std::move(r), "loads");
}

Payload Api::derived_table(const std::string& table, const Params&) {
  Reading session = read();
  warehouse::Reader& reader = session.reader();
  JsonObject o;
  // unit_costs exists in every warehouse; it means something only when unit costs are configured.
  bool configured = table != "unit_costs" || !config_.get()->model.unit_costs.empty();
  if (!configured || !reader.has_table(table)) {
    o.add("available", false)
        .add("message", configured ? table + " has not been computed yet"
                                   : "no unit_costs configured in " + config_.get()->file.string());
    return table_payload(Result(), table, std::move(o));
  }
  o.add("available", true).add("currency", config_.get()->currency);
  Result r = reader.table_rows(table, 100000);
  return table_payload(std::move(r), table, std::move(o));
}

Payload Api::query(const httplib::Request& request) {
  std::string sql = request.body;
  size_t max_rows = settings_.max_rows;
  bool json_body = request.get_header_value("Content-Type").find("json") != std::string::npos;
  if (json_body) {
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw UsageError("the body must be a JSON object {\"sql\": \"SELECT …\"}");
    if (!body.contains("sql") || !body["sql"].is_string())
      throw UsageError("the body needs \"sql\": a SELECT statement");
    sql = body["sql"].get<std::string>();
    if (body.contains("max_rows")) {
      if (!body["max_rows"].is_number_unsigned() || body["max_rows"].get<size_t>() == 0) {
        throw UsageError("max_rows must be a positive whole number");
      }
      max_rows = std::min(max_rows, body["max_rows"].get<size_t>());
    }
  }
  if (common::trim(sql).empty())
    throw UsageError("no SQL given: POST {\"sql\": \"SELECT …\"} or the SQL as text");
  Reading session = read();
  auto started = std::chrono::steady_clock::now();
  warehouse::LimitedResult r;
  try {
    r = session.reader().read_only(
        sql, max_rows,
        std::chrono::duration_cast<std::chrono::milliseconds>(settings_.query_timeout));
  } catch (const warehouse::WarehouseLocked&) {
    throw;
  } catch (const warehouse::Error& e) {
    throw UsageError("query failed: " + e.engine_message());  // bad SQL is the caller's to fix
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  JsonObject o;
  o.add("row_count", r.result.row_count())
      .add("truncated", r.truncated)
      .add("max_rows", max_rows)
      .add("elapsed_ms", static_cast<int64_t>(ms));
  return table_payload(std::move(r.result), "query", std::move(o));
}

namespace {

nlohmann::json panel_json(const Panel& p, size_t index) {
  return {{"index", index},
          {"title", p.title},
          {"description", p.description},
          {"type", p.type},
          {"sql", p.sql.empty() ? nlohmann::json() : nlohmann::json(p.sql)},
          {"api", p.api.empty() ? nlohmann::json() : nlohmann::json(p.api)},
          {"x", p.x},
          {"y", p.y},
          {"series", p.series},
          {"format", p.format},
          {"width", p.width},
          {"error", p.error.empty() ? nlohmann::json() : nlohmann::json(p.error)}};
}

nlohmann::json dashboard_json(const Dashboard& d, bool with_panels) {
  nlohmann::json j = {{"id", d.id},
                      {"file", d.file},
                      {"title", d.title},
                      {"description", d.description},
                      {"panel_count", d.panels.size()},
                      {"errors", d.errors},
                      {"valid", d.errors.empty()}};
  if (with_panels) {
    j["panels"] = nlohmann::json::array();
    for (size_t i = 0; i < d.panels.size(); ++i) j["panels"].push_back(panel_json(d.panels[i], i));
  }
  return j;
}

const Dashboard& find_dashboard(const std::vector<Dashboard>& all, const std::string& id) {
  for (const auto& d : all) {
    if (d.id == id) return d;
  }
  throw NotFound("no dashboard named '" + id + "'");
}

}  // namespace

Payload Api::dashboards(const Params&) {
  auto all = read_dashboards();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : all) list.push_back(dashboard_json(d, false));
  JsonObject o;
  o.add("folder", settings_.dashboards_dir.string()).add("dashboards", list);
  return {o.str(), std::nullopt, "dashboards"};
}

Payload Api::dashboard(const std::string& id, const Params&) {
  auto all = read_dashboards();
  return {dashboard_json(find_dashboard(all, id), true).dump(), std::nullopt, id};
}

Payload Api::panel(const std::string& id, size_t index, const Params&) {
  Reading session = read();
  auto all = load_dashboards(settings_.dashboards_dir, session.reader(), true);
  const Dashboard& d = find_dashboard(all, id);
  if (index >= d.panels.size())
    throw NotFound("dashboard '" + id + "' has no panel " + std::to_string(index));
  const Panel& p = d.panels[index];
  if (!p.error.empty()) throw UsageError(p.error);
  if (p.sql.empty())
    throw UsageError("panel " + std::to_string(index) + " is an API panel: fetch /api/v1/" + p.api);
  warehouse::LimitedResult r;
  try {
    r = session.reader().read_only(
        p.sql, settings_.max_rows,
        std::chrono::duration_cast<std::chrono::milliseconds>(settings_.query_timeout));
  } catch (const warehouse::WarehouseLocked&) {
    throw;
  } catch (const warehouse::Error& e) {
    throw UsageError(d.file + ": panel '" + p.title + "': " + e.engine_message());
  }
  JsonObject o;
  o.add("title", p.title).add("truncated", r.truncated).add("currency", config_.get()->currency);
  return table_payload(std::move(r.result), id + "-panel-" + std::to_string(index), std::move(o));
}

std::vector<Dashboard> Api::read_dashboards() {
  Reading session = read();
  return load_dashboards(settings_.dashboards_dir, session.reader(), true);
}

std::string Api::warehouse_metrics() {
  std::string out;
  try {
    auto use = lease_.acquire();
    auto& con = use.connection();
    Result rows = con.query("SELECT count(*) FROM focus_costs");
    out +=
        "# HELP billingfoot_focus_rows Rows in focus_costs.\n# TYPE billingfoot_focus_rows gauge\n";
    out += "billingfoot_focus_rows " + rows.text(0, 0) + "\n";
    Result last = con.query(
        "SELECT source, epoch(max(finished_at) FILTER (WHERE status IN ('ok', 'skipped'))), "
        "count(*) FILTER (WHERE status = 'failed') FROM loads GROUP BY 1 ORDER BY 1");
    out +=
        "# HELP billingfoot_source_last_success_timestamp_seconds Last successful sync of a source "
        "(Unix time).\n"
        "# TYPE billingfoot_source_last_success_timestamp_seconds gauge\n";
    for (size_t i = 0; i < last.row_count(); ++i) {
      if (last.is_null(i, 1)) continue;
      out += fmt::format("billingfoot_source_last_success_timestamp_seconds{{source=\"{}\"}} {}\n",
                         prometheus_label(last.text(i, 0)), last.text(i, 1));
    }
    out +=
        "# HELP billingfoot_source_failed_loads_total Failed load attempts recorded for a source.\n"
        "# TYPE billingfoot_source_failed_loads_total counter\n";
    for (size_t i = 0; i < last.row_count(); ++i) {
      out += fmt::format("billingfoot_source_failed_loads_total{{source=\"{}\"}} {}\n",
                         prometheus_label(last.text(i, 0)), last.text(i, 2));
    }
    out +=
        "# HELP billingfoot_warehouse_up Whether the warehouse could be read.\n"
        "# TYPE billingfoot_warehouse_up gauge\nbillingfoot_warehouse_up 1\n";
  } catch (const std::exception&) {
    out =
        "# HELP billingfoot_warehouse_up Whether the warehouse could be read.\n"
        "# TYPE billingfoot_warehouse_up gauge\nbillingfoot_warehouse_up 0\n";
  }
  return out;
}

}  // namespace billingfoot::server
