#include "analysis/cost_series.hpp"

#include <algorithm>

#include "analysis/detector.hpp"
#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "warehouse/cost_query.hpp"

namespace billingfoot::analysis {

using common::quote_literal;

namespace {

std::string in_list(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(quote_literal(v));
  return "(" + common::join(quoted, ", ") + ")";
}

const std::map<std::string, int> kDefaultDelays = {
    {"aws_data_exports", 1}, {"gcp_billing_export", 2}, {"datadog_usage", 3}, {"focus", 1}};

}  // namespace

CostTables::CostTables(warehouse::Connection& connection,
                       std::vector<std::string> allocation_dimensions)
    : allocation_dimensions_(std::move(allocation_dimensions)) {
  has_allocated_ =
      connection
          .query(
              "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cost_allocated'")
          .int64(0, 0) > 0;
}

bool CostTables::is_allocation_dimension(const std::string& dimension) const {
  return std::find(allocation_dimensions_.begin(), allocation_dimensions_.end(), dimension) !=
         allocation_dimensions_.end();
}

std::string CostTables::table_for(const std::vector<std::string>& dimensions) const {
  for (const auto& d : dimensions) {
    if (!is_allocation_dimension(d)) continue;
    if (!has_allocated_) {
      throw UsageError("'" + d +
                       "' is an allocation dimension, but cost_allocated has not been built yet: "
                       "run `billingfoot sync` "
                       "with allocation configured");
    }
    return "cost_allocated";
  }
  return "focus_costs";
}

namespace {

std::string scope_table(const CostTables& tables, const std::string& dimension,
                        const ChargeFilter& filter) {
  std::vector<std::string> dims;
  if (!dimension.empty()) dims.push_back(dimension);
  for (const auto& [d, values] : filter.scope) dims.push_back(d);
  return tables.table_for(dims);
}

}  // namespace

std::string charge_conditions(warehouse::Connection& connection, const std::string& table,
                              const ChargeFilter& filter) {
  std::vector<std::string> where = {"true"};
  if (!filter.exclude_categories.empty()) {
    where.push_back("coalesce(ChargeCategory, '') NOT IN " + in_list(filter.exclude_categories));
  }
  if (!filter.include_corrections) where.push_back("coalesce(ChargeClass, '') <> 'Correction'");
  std::string span =
      "date_diff('day', CAST(ChargePeriodStart AS DATE), CAST(coalesce(ChargePeriodEnd, "
      "ChargePeriodStart) AS DATE))";
  if (filter.rows == ChargeFilter::Rows::Daily) {
    where.push_back(span + " <= 1 AND coalesce(ChargeFrequency, '') <> 'One-Time'");
  } else if (filter.rows == ChargeFilter::Rows::Periodic) {
    where.push_back("(" + span + " > 1 OR coalesce(ChargeFrequency, '') = 'One-Time')");
  }
  for (const auto& [d, values] : filter.scope) {
    where.push_back(warehouse::dimension_expression(connection, table, d) + " IN " +
                    in_list(values));
  }
  return common::join(where, " AND ");
}

std::string period_cost(warehouse::Connection& connection, const CostTables& tables,
                        const ChargeFilter& filter, Day first, Day end) {
  std::string table = scope_table(tables, "", filter);
  std::string sql = "SELECT CAST(coalesce(sum(" + warehouse::cost_column(filter.cost) +
                    "), 0) AS DECIMAL(38, 10)) FROM " + common::quote_ident(table) + " WHERE " +
                    charge_conditions(connection, table, filter) +
                    " AND ChargePeriodStart >= DATE " + quote_literal(iso_day(first)) +
                    " AND ChargePeriodStart < DATE " + quote_literal(iso_day(end));
  return connection.query(sql, "summing costs from " + iso_day(first)).text(0, 0);
}

std::string daily_cost_sql(warehouse::Connection& connection, const CostTables& tables,
                           const std::string& dimension, const ChargeFilter& filter, Day first,
                           Day last) {
  std::string table = scope_table(tables, dimension, filter);
  std::string value =
      dimension.empty() ? std::string("'total'")
                        : "CAST(" + warehouse::dimension_expression(connection, table, dimension) +
                              " AS VARCHAR)";
  return common::render_template(common::embedded_resource("analysis/daily_cost.sql"),
                                 {{"value", "coalesce(" + value + ", '(none)')"},
                                  {"cost", warehouse::cost_column(filter.cost)},
                                  {"table", common::quote_ident(table)},
                                  {"where", charge_conditions(connection, table, filter)},
                                  {"first", quote_literal(iso_day(first))},
                                  {"last", quote_literal(iso_day(last))}});
}

std::map<std::string, ScopeDays> daily_costs(warehouse::Connection& connection,
                                             const CostTables& tables, const std::string& dimension,
                                             const ChargeFilter& filter, Day first, Day last) {
  std::string sql = "SELECT value, source, CAST(day AS VARCHAR), CAST(cost AS DOUBLE) FROM (" +
                    daily_cost_sql(connection, tables, dimension, filter, first, last) + ")";
  warehouse::Result r =
      connection.query(sql, "reading daily costs by " + (dimension.empty() ? "total" : dimension));
  std::map<std::string, ScopeDays> out;
  for (size_t i = 0; i < r.row_count(); ++i) {
    ScopeDays& scope = out[r.text(i, 0)];
    scope.sources.insert(r.text(i, 1));
    scope.cost[parse_day(r.text(i, 2), "day")] += r.number(i, 3);
  }
  return out;
}

std::string exact_cost(warehouse::Connection& connection, const CostTables& tables,
                       const std::string& dimension, const std::string& value,
                       const ChargeFilter& filter, Day first, Day last) {
  std::string sql = "SELECT CAST(coalesce(sum(cost), 0) AS DECIMAL(38, 10)) FROM (" +
                    daily_cost_sql(connection, tables, dimension, filter, first, last) +
                    ") WHERE value = " + quote_literal(value);
  return connection.query(sql, "summing the cost of " + dimension + " " + value).text(0, 0);
}

std::optional<std::pair<Day, Day>> cost_day_range(warehouse::Connection& connection) {
  warehouse::Result r = connection.query(
      "SELECT CAST(min(CAST(ChargePeriodStart AS DATE)) AS VARCHAR), "
      "CAST(max(CAST(ChargePeriodStart AS DATE)) AS VARCHAR) "
      "FROM focus_costs");
  if (r.is_null(0, 0)) return std::nullopt;
  return std::make_pair(parse_day(r.text(0, 0), "first day"), parse_day(r.text(0, 1), "last day"));
}

std::map<std::string, Day> complete_through_by_source(warehouse::Connection& connection,
                                                      const config::AnomalyConfig& config) {
  warehouse::Result r = connection.query(R"(
SELECT f.source, f.type, CAST(f.last_day AS VARCHAR), CAST(CAST(l.checked_at AS DATE) AS VARCHAR)
FROM (SELECT x_SourceName AS source, any_value(x_SourceType) AS type, max(CAST(ChargePeriodStart AS DATE)) AS last_day
      FROM focus_costs GROUP BY 1) f
LEFT JOIN (SELECT source, max(finished_at) AS checked_at FROM loads WHERE status IN ('ok', 'skipped') GROUP BY 1) l
  USING (source))",
                                         "reading how complete each source's data is");
  std::map<std::string, Day> out;
  for (size_t i = 0; i < r.row_count(); ++i) {
    std::string source = r.text(i, 0), type = r.text(i, 1);
    int delay = 1;
    if (auto it = kDefaultDelays.find(type); it != kDefaultDelays.end()) delay = it->second;
    if (auto it = config.data_delay_days.find(type); it != config.data_delay_days.end())
      delay = it->second;
    if (auto it = config.data_delay_days.find(source); it != config.data_delay_days.end())
      delay = it->second;
    Day last = parse_day(r.text(i, 2), "last day");
    if (!r.is_null(i, 3))
      last = std::min(last, parse_day(r.text(i, 3), "check day") - std::chrono::days(delay + 1));
    out[source] = last;
  }
  return out;
}

std::optional<Day> complete_through(const std::map<std::string, Day>& by_source,
                                    const std::set<std::string>& sources) {
  std::optional<Day> out;
  for (const auto& s : sources) {
    auto it = by_source.find(s);
    if (it == by_source.end()) continue;
    out = out ? std::min(*out, it->second) : it->second;
  }
  return out;
}

DailySeries to_series(const ScopeDays& days, Day first, Day last) {
  DailySeries s;
  s.first_weekday = weekday_index(first);
  s.values.assign(static_cast<size_t>(std::max<int64_t>(0, (last - first).count() + 1)), 0.0);
  for (const auto& [day, cost] : days.cost) {
    if (day < first || day > last) continue;
    s.values[static_cast<size_t>((day - first).count())] += cost;
  }
  return s;
}

}  // namespace billingfoot::analysis
