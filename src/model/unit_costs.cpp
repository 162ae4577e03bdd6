#include "model/unit_costs.hpp"

#include "common/decimal.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/rule_sql.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::model {

using common::quote_ident;
using common::quote_literal;

namespace {

std::string cost_column(const std::string& cost) {
  if (cost == "billed") return "BilledCost";
  if (cost == "list") return "ListCost";
  if (cost == "contracted") return "ContractedCost";
  return "EffectiveCost";
}

// One row per period: period, cost (exact text, NULL when no cost), metric (NULL when none).
warehouse::Result series(warehouse::Connection& con, const config::ModelConfig& model,
                         const config::UnitCostConfig& u, const std::string& cost_table) {
  RuleSql rules(con, cost_table, model.allocation);
  std::string grain = quote_literal(u.grain);
  std::string metric_filter = "metric = " + quote_literal(u.metric);
  RuleSql metric_columns(con, "business_metrics", model.allocation);
  for (const auto& [dim, value] : u.metric_filter) {
    if (!metric_columns.has_column(dim)) {
      throw UsageError(u.where + ": metric " + u.metric + " has no dimension '" + dim + "'");
    }
    metric_filter += " AND " + quote_ident(dim) + " = " + quote_literal(value);
  }
  const config::MetricConfig& metric = *model.find_metric(u.metric);
  return con.query(
      "WITH cost AS (SELECT CAST(date_trunc(" + grain +
          ", ChargePeriodStart) AS DATE) AS period_start, sum(" + quote_ident(cost_column(u.cost)) +
          ") AS cost FROM " + quote_ident(cost_table) + " WHERE " + rules.all_of(u.cost_filter) +
          " GROUP BY 1), " +
          // Dimension values of one date add up first; the dates of a period then combine with
          // the metric's own aggregate (sum for orders, avg for daily active users…).
          "daily AS (SELECT date, sum(value) AS value FROM business_metrics WHERE " +
          metric_filter + " GROUP BY date), metric AS (SELECT CAST(date_trunc(" + grain +
          ", date) AS DATE) AS period_start, CAST(" + metric.aggregate +
          "(value) AS DECIMAL(38,10)) AS metric_value FROM daily GROUP BY 1) " +
          "SELECT CAST(coalesce(c.period_start, m.period_start) AS VARCHAR) AS period_start, "
          "c.cost, m.metric_value FROM cost c "
          "FULL OUTER JOIN metric m ON c.period_start = m.period_start ORDER BY 1",
      "computing unit cost " + u.name);
}

}  // namespace

int64_t compute_unit_costs(warehouse::Connection& con, const config::ModelConfig& model,
                           const std::string& cost_table) {
  warehouse::Transaction tx(con);
  con.execute("DELETE FROM unit_costs");
  auto insert = con.prepare(
      "INSERT INTO unit_costs (name, period_start, cost, metric_value, unit_cost, cost_change, "
      "metric_change, "
      "marginal_unit_cost) VALUES (?, CAST(? AS DATE), CAST(? AS DECIMAL(38,10)), CAST(? AS "
      "DECIMAL(38,10)), CAST(? AS "
      "DECIMAL(38,10)), CAST(? AS DECIMAL(38,10)), CAST(? AS DECIMAL(38,10)), CAST(? AS "
      "DECIMAL(38,10)))");
  auto bind_units = [&insert](size_t index, const std::optional<__int128>& units) {
    if (units)
      insert.bind(index, common::format_decimal(*units));
    else
      insert.bind_null(index);
  };
  int64_t written = 0;
  for (const auto& u : model.unit_costs) {
    __int128 per = *common::parse_decimal(u.per);
    warehouse::Result r = series(con, model, u, cost_table);
    std::optional<__int128> previous_cost, previous_metric;
    for (size_t i = 0; i < r.row_count(); ++i) {
      __int128 cost = r.is_null(i, 1) ? 0 : *common::parse_decimal(r.text(i, 1));
      std::optional<__int128> metric;
      if (!r.is_null(i, 2)) metric = common::parse_decimal(r.text(i, 2));
      std::optional<__int128> cost_change, metric_change, marginal;
      if (previous_cost) cost_change = cost - *previous_cost;
      if (metric && previous_metric) metric_change = *metric - *previous_metric;
      if (cost_change && metric_change) marginal = common::ratio(*cost_change, *metric_change, per);
      insert.bind(1, u.name).bind(2, r.text(i, 0));
      bind_units(3, cost);
      bind_units(4, metric);
      bind_units(5, metric ? common::ratio(cost, *metric, per) : std::nullopt);
      bind_units(6, cost_change);
      bind_units(7, metric_change);
      bind_units(8, marginal);
      insert.execute();
      ++written;
      previous_cost = cost;
      previous_metric = metric;
    }
  }
  tx.commit();
  return written;
}

}  // namespace billingfoot::model
