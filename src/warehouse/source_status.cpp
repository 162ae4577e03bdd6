#include "warehouse/source_status.hpp"

#include "common/strings.hpp"

namespace billingfoot::warehouse {

namespace {

bool has_table(Connection& connection, const std::string& table) {
  auto q =
      connection.prepare("SELECT count(*) FROM information_schema.tables WHERE table_name = ?");
  return q.bind(1, table).execute().int64(0, 0) > 0;
}

}  // namespace

Result source_status(Connection& connection, const std::vector<ConfiguredSource>& sources,
                     const std::string& held_partitions) {
  std::vector<std::string> configured;
  for (size_t i = 0; i < sources.size(); ++i) {
    configured.push_back("(" + common::quote_literal(sources[i].name) + ", " +
                         common::quote_literal(sources[i].type) + ", " + std::to_string(i) + ", " +
                         common::quote_literal(sources[i].schedule) + ", " +
                         std::to_string(sources[i].stale_after_seconds) + ")");
  }
  if (configured.empty()) configured.push_back("(NULL, NULL, -1, NULL, 0)");
  std::string values =
      "configured(source, type, ord, schedule, stale_after) AS (SELECT * FROM (VALUES " +
      common::join(configured, ", ") + ") v(source, type, ord, schedule, stale_after) WHERE ord >= 0)";
  if (!has_table(connection, "loads")) {
    return connection.query(
        "WITH " + values +
            " SELECT source, type, 'never synced' AS state, NULL::TIMESTAMP AS last_success, "
            "NULL::VARCHAR AS freshness, 0 AS periods, NULL::VARCHAR AS period_range, 0 AS rows, "
            "NULL::DECIMAL(38,10) AS billed_cost, NULL::VARCHAR AS last_error, schedule, "
            "NULL::TIMESTAMP AS last_run, NULL::VARCHAR AS last_run_status FROM configured "
            "ORDER BY ord",
        "reading source status");
  }
  std::string runs = has_table(connection, "runs")
                         ? "SELECT source, max(finished_at) AS last_run, arg_max(status, finished_at) AS "
                           "last_run_status FROM runs GROUP BY 1"
                         : "SELECT NULL::VARCHAR AS source, NULL::TIMESTAMP AS last_run, NULL::VARCHAR AS "
                           "last_run_status WHERE false";
  std::string held = held_partitions.empty() ? kHeldInFocusCosts : held_partitions;
  std::string sql = "WITH " + values + ", last_runs AS (" + runs + R"(),
held AS (
  SELECT source, count(DISTINCT billing_period) AS periods,
         min(billing_period) || ' .. ' || max(billing_period) AS period_range,
         CAST(sum(rows) AS BIGINT) AS rows, sum(billed_cost) AS billed_cost
  FROM ()" + held + R"() GROUP BY 1),
success AS (
  SELECT source, max(finished_at) AS last_success FROM loads
  WHERE status IN ('ok', 'skipped') GROUP BY 1),
failure AS (
  SELECT source, max(finished_at) AS last_failure, arg_max(message, finished_at) AS last_error
  FROM loads WHERE status = 'failed' GROUP BY 1),
joined AS (
  SELECT c.source, c.type, c.ord, c.schedule, c.stale_after, s.last_success, f.last_failure, f.last_error,
         r.last_run, r.last_run_status,
         coalesce(h.periods, 0) AS periods, h.period_range, coalesce(h.rows, 0) AS rows, h.billed_cost,
         date_diff('second', s.last_success, CAST(now() AS TIMESTAMP)) AS age
  FROM configured c LEFT JOIN held h USING (source) LEFT JOIN success s USING (source)
  LEFT JOIN failure f USING (source) LEFT JOIN last_runs r USING (source))
SELECT source, type,
  CASE WHEN last_failure IS NOT NULL AND (last_success IS NULL OR last_failure > last_success) THEN 'failing'
       WHEN last_success IS NULL THEN 'never synced'
       WHEN stale_after > 0 AND age > stale_after THEN 'stale' ELSE 'ok' END AS state,
  last_success,
  CASE WHEN age IS NULL THEN NULL WHEN age < 60 THEN 'just now' WHEN age < 3600 THEN (age // 60) || 'm ago'
       WHEN age < 86400 THEN (age // 3600) || 'h ago' ELSE (age // 86400) || 'd ago' END AS freshness,
  periods, period_range, rows, billed_cost,
  CASE WHEN last_failure IS NOT NULL AND (last_success IS NULL OR last_failure > last_success)
       THEN last_error END AS last_error,
  schedule, last_run, last_run_status
FROM joined ORDER BY ord)";
  return connection.query(sql, "reading source status");
}

}  // namespace billingfoot::warehouse
