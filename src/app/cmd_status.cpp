#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/strings.hpp"

namespace billingfoot::app {

namespace {

int run_status(const Globals& globals, const std::string& format_text) {
  Format format = parse_format(format_text);
  config::Config cfg = load_config(globals);
  if (cfg.sources.empty()) {
    std::cout << "no sources configured in " << cfg.file.string() << "\n";
    return 0;
  }
  std::vector<std::string> configured;
  for (size_t i = 0; i < cfg.sources.size(); ++i) {
    configured.push_back("(" + common::quote_literal(cfg.sources[i].name) + ", " +
                         common::quote_literal(cfg.sources[i].type) + ", " + std::to_string(i) + ")");
  }
  bool exists = std::filesystem::exists(warehouse_file(cfg));
  std::string sql;
  if (!exists) {
    sql = "SELECT source, type, 'never synced' AS state, NULL::TIMESTAMP AS last_success, NULL AS freshness, "
          "0 AS periods, NULL AS period_range, 0 AS rows, NULL::DECIMAL(38,10) AS billed_cost, NULL AS last_error "
          "FROM (VALUES " + common::join(configured, ", ") + ") c(source, type, ord) ORDER BY ord";
    auto wh = warehouse::Warehouse::open(":memory:", {});
    render(std::cout, wh.connection().query(sql), format, {{"billed_cost"}, ""});
    return 0;
  }
  auto wh = open_warehouse(cfg, Access::ReadOnly);
  sql = R"(
WITH configured(source, type, ord) AS (VALUES )" + common::join(configured, ", ") + R"(),
held AS (
  SELECT x_SourceName AS source, count(DISTINCT x_BillingPeriod) AS periods,
         min(x_BillingPeriod) || ' .. ' || max(x_BillingPeriod) AS period_range,
         count(*) AS rows, sum(BilledCost) AS billed_cost
  FROM focus_costs GROUP BY 1),
success AS (
  SELECT source, max(finished_at) AS last_success FROM loads
  WHERE status IN ('ok', 'skipped') GROUP BY 1),
failure AS (
  SELECT source, max(finished_at) AS last_failure, arg_max(message, finished_at) AS last_error
  FROM loads WHERE status = 'failed' GROUP BY 1),
joined AS (
  SELECT c.source, c.type, c.ord, s.last_success, f.last_failure, f.last_error,
         coalesce(h.periods, 0) AS periods, h.period_range, coalesce(h.rows, 0) AS rows, h.billed_cost,
         date_diff('second', s.last_success, CAST(now() AS TIMESTAMP)) AS age
  FROM configured c LEFT JOIN held h USING (source) LEFT JOIN success s USING (source)
  LEFT JOIN failure f USING (source))
SELECT source, type,
  CASE WHEN last_failure IS NOT NULL AND (last_success IS NULL OR last_failure > last_success) THEN 'failing'
       WHEN last_success IS NULL THEN 'never synced' ELSE 'ok' END AS state,
  last_success,
  CASE WHEN age IS NULL THEN NULL WHEN age < 60 THEN 'just now' WHEN age < 3600 THEN (age // 60) || 'm ago'
       WHEN age < 86400 THEN (age // 3600) || 'h ago' ELSE (age // 86400) || 'd ago' END AS freshness,
  periods, period_range, rows, billed_cost,
  CASE WHEN last_failure IS NOT NULL AND (last_success IS NULL OR last_failure > last_success)
       THEN last_error END AS last_error
FROM joined ORDER BY ord)";
  render(std::cout, wh.connection().query(sql, "reading source status"), format, {{"billed_cost"}, ""});
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("status", "each source: last successful load, billing periods held, rows, freshness, last error");
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&globals, &action, format] { action = [&globals, format] { return run_status(globals, *format); }; });
}

}  // namespace billingfoot::app
