// Cost endpoints: costs over time, top movers, the overview, and what the data holds (meta).
#include <fmt/format.h>

#include <algorithm>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/rollup.hpp"
#include "server/api.hpp"
#include "server/json_text.hpp"

namespace billingfoot::server {

using common::quote_ident;
using common::quote_literal;
using warehouse::Connection;
using warehouse::CostQuery;
using warehouse::Result;

// --- parameters ------------------------------------------------------------------------------

Params::Params(const httplib::Request& request, std::vector<std::string> known)
    : request_(request) {
  known.push_back("format");
  for (const auto& [name, value] : request.params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::sort(known.begin(), known.end());
      throw UsageError("unknown parameter '" + name + "' (this endpoint takes " +
                       common::join(known, ", ") + ")");
    }
  }
}

std::optional<std::string> Params::get(const std::string& name) const {
  if (!request_.has_param(name)) return std::nullopt;
  std::string v = common::trim(request_.get_param_value(name));
  if (v.empty()) return std::nullopt;
  return v;
}

std::string Params::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::vector<std::string> Params::all(const std::string& name, bool split_commas) const {
  std::vector<std::string> out;
  size_t n = request_.get_param_value_count(name);
  for (size_t i = 0; i < n; ++i) {
    std::string v = request_.get_param_value(name, i);
    std::vector<std::string> parts =
        split_commas ? common::split(v, ',') : std::vector<std::string>{v};
    for (const auto& p : parts) {
      if (!common::trim(p).empty()) out.push_back(common::trim(p));
    }
  }
  return out;
}

size_t Params::number(const std::string& name, size_t fallback, size_t max) const {
  auto v = get(name);
  if (!v) return fallback;
  if (v->find_first_not_of("0123456789") != std::string::npos || v->size() > 9) {
    throw UsageError(name + " must be a whole number, not '" + *v + "'");
  }
  size_t n = std::stoul(*v);
  if (n > max) throw UsageError(name + " must be at most " + std::to_string(max) + ", not " + *v);
  return n;
}

std::vector<warehouse::CostFilter> parse_filters(const std::vector<std::string>& texts) {
  std::vector<warehouse::CostFilter> out;
  for (const auto& text : texts) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("filter must be DIMENSION=VALUE or DIMENSION!=VALUE, not '" + text + "'");
    }
    bool exclude = text[eq - 1] == '!';
    std::string dim = common::trim(text.substr(0, exclude ? eq - 1 : eq));
    std::string value = text.substr(eq + 1);
    if (dim.empty()) throw UsageError("filter needs a dimension before '=': '" + text + "'");
    auto same = std::find_if(out.begin(), out.end(), [&](const warehouse::CostFilter& f) {
      return common::iequals(f.dimension, dim) && f.exclude == exclude;
    });
    if (same != out.end()) {
      same->values.push_back(value);
    } else {
      out.push_back({dim, {value}, exclude});
    }
  }
  return out;
}

const std::vector<std::string>& Api::cost_parameters() {
  static const std::vector<std::string> params = {"group_by",    "filter", "from", "to",
                                                  "granularity", "cost",   "top"};
  return params;
}

Api::Api(const config::SharedConfig& config, const ServerSettings& settings, WarehouseLease& lease)
    : config_(config), settings_(settings), lease_(lease) {}

CostQuery Api::cost_query_from(Connection& con, const Params& params,
                               const std::vector<std::string>& also_needs) {
  CostQuery q;
  q.group_by = params.all("group_by", true);
  if (q.group_by.size() > 3) throw UsageError("group_by takes at most 3 dimensions");
  q.filters = parse_filters(params.all("filter", false));
  q.from = params.get("from");
  q.to = params.get("to");
  q.granularity = params.get_or("granularity", "");
  if (q.granularity == "none" || q.granularity == "total") q.granularity.clear();
  if (!q.granularity.empty() && q.granularity != "day" && q.granularity != "month") {
    throw UsageError("granularity must be day, month or none, not '" + q.granularity + "'");
  }
  q.cost = params.get_or("cost", "billed");
  warehouse::cost_column(q.cost);  // validates
  q.top = params.number("top", 0, 1000);
  if (q.from) warehouse::range_start(*q.from, "from");
  if (q.to) warehouse::range_start(*q.to, "to");
  // The allocated table carries the allocation dimensions (team, product, …) when it exists.
  bool allocated =
      con.query(
             "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cost_allocated'")
          .int64(0, 0) > 0;
  if (allocated) q.table = "cost_allocated";
  // Unknown dimensions are a 400, checked before choosing the table.
  for (const auto& d : q.group_by) warehouse::dimension_expression(con, q.table, d);
  for (const auto& f : q.filters) warehouse::dimension_expression(con, q.table, f.dimension);
  for (const auto& d : also_needs) warehouse::dimension_expression(con, q.table, d);
  CostQuery probe = q;
  probe.group_by.insert(probe.group_by.end(), also_needs.begin(), also_needs.end());
  if (model::use_rollup_when_possible(con, probe)) {
    q.table = probe.table;
    q.time_column = probe.time_column;
    q.rows_expression = probe.rows_expression;
  }
  return q;
}

namespace {

// Amounts in different currencies are never added up: group by currency when there are several.
void split_currencies(Connection& con, CostQuery& q) {
  for (const auto& d : q.group_by) {
    if (common::iequals(d, "BillingCurrency")) return;
  }
  if (con.query("SELECT count(DISTINCT BillingCurrency) FROM " + quote_ident(q.table)).int64(0, 0) >
      1) {
    q.group_by.push_back("BillingCurrency");
  }
}

JsonObject query_description(const CostQuery& q, const std::string& currency) {
  nlohmann::json filters = nlohmann::json::array();
  for (const auto& f : q.filters) {
    filters.push_back({{"dimension", f.dimension}, {"values", f.values}, {"exclude", f.exclude}});
  }
  JsonObject o;
  o.add("cost", q.cost)
      .add("currency", currency)
      .add("group_by", q.group_by)
      .add("filters", filters)
      .add("from", q.from ? nlohmann::json(*q.from) : nlohmann::json())
      .add("to", q.to ? nlohmann::json(*q.to) : nlohmann::json())
      .add("granularity", q.granularity.empty() ? nlohmann::json() : nlohmann::json(q.granularity))
      .add("source_table", q.table);
  return o;
}

struct Range {
  std::string from, to;  // inclusive YYYY-MM-DD
};

// Cost per value of `dimension` in two ranges: value, current_cost, previous_cost, change,
// change_pct (NULL when there was nothing before). `order` is an ORDER BY clause.
Result compare_ranges(Connection& con, const CostQuery& base, const std::string& dimension,
                      const Range& current, const Range& previous, const std::string& order,
                      size_t limit) {
  std::string cost = warehouse::cost_column(base.cost);
  std::string dim = warehouse::dimension_expression(con, base.table, dimension);
  auto side = [&](const Range& r) {
    CostQuery q = base;
    q.from = r.from;
    q.to = r.to;
    return "SELECT " + dim + " AS value, sum(" + cost + ") AS c FROM " + quote_ident(base.table) +
           " " + warehouse::cost_where(con, q) + " GROUP BY 1";
  };
  std::string sql =
      "WITH cur AS (" + side(current) + "), prev AS (" + side(previous) +
      "), joined AS (SELECT value, coalesce(cur.c, 0) AS current_cost, coalesce(prev.c, 0) AS "
      "previous_cost FROM cur FULL JOIN prev USING (value)) "
      "SELECT value AS " +
      quote_ident(dimension) +
      ", current_cost, previous_cost, "
      "current_cost - previous_cost AS change, CASE WHEN previous_cost = 0 THEN NULL ELSE "
      "round(100 * CAST(current_cost - previous_cost AS DOUBLE) / CAST(previous_cost AS DOUBLE), "
      "1) "
      "END AS change_pct FROM joined ORDER BY " +
      order + ", 1 LIMIT " + std::to_string(limit);
  return con.query(sql, "comparing periods");
}

// The data's last day and the ranges the overview and the default movers compare.
struct Calendar {
  bool empty = true;
  std::string first_day, as_of, month_start, prev_month_start, prev_month_end, prev_same_end,
      trailing_start;
  int days_elapsed = 0, days_in_month = 0;
};

Calendar calendar(Connection& con, const CostQuery& q) {
  std::string t = quote_ident(q.time_column);
  Result r = con.query(
      "WITH d AS (SELECT CAST(min(" + t + ") AS DATE) AS first, CAST(max(" + t +
          ") AS DATE) AS last FROM " + quote_ident(q.table) +
          ") SELECT CAST(first AS VARCHAR), CAST(last AS VARCHAR), CAST(CAST(date_trunc('month', "
          "last) AS DATE) AS "
          "VARCHAR), CAST(CAST(date_trunc('month', last) - INTERVAL 1 MONTH AS DATE) AS VARCHAR), "
          "CAST(CAST(date_trunc('month', last) - INTERVAL 1 DAY AS DATE) AS VARCHAR), "
          "CAST(CAST(last - INTERVAL 1 MONTH AS DATE) AS VARCHAR), CAST(CAST(last - INTERVAL 6 DAY "
          "AS DATE) AS "
          "VARCHAR), day(last), day(last_day(last)) FROM d",
      "finding the data's last day");
  Calendar c;
  if (r.is_null(0, 1)) return c;
  c.empty = false;
  c.first_day = r.text(0, 0);
  c.as_of = r.text(0, 1);
  c.month_start = r.text(0, 2);
  c.prev_month_start = r.text(0, 3);
  c.prev_month_end = r.text(0, 4);
  c.prev_same_end = r.text(0, 5);
  c.trailing_start = r.text(0, 6);
  c.days_elapsed = static_cast<int>(r.int64(0, 7));
  c.days_in_month = static_cast<int>(r.int64(0, 8));
  return c;
}

std::string total_of(Connection& con, CostQuery q, const std::string& from, const std::string& to) {
  q.group_by.clear();
  q.granularity.clear();
  q.top = 0;
  q.from = from;
  q.to = to;
  return warehouse::query_costs(con, q).total_cost;
}

}  // namespace

Payload Api::costs(const Params& params) {
  auto use = lease_.acquire();
  auto& con = use.connection();
  CostQuery q = cost_query_from(con, params);
  split_currencies(con, q);
  warehouse::CostBreakdown b = warehouse::query_costs(con, q);
  JsonObject o = query_description(q, config_.get()->currency);
  o.raw("columns", columns_json(b.rows))
      .raw("rows", rows_json(b.rows))
      .raw("total",
           "{\"cost\": " + b.total_cost + ", \"rows\": " + std::to_string(b.total_rows) + "}");
  return {o.str(), std::move(b.rows), "costs"};
}

Payload Api::movers(const Params& params) {
  auto use = lease_.acquire();
  auto& con = use.connection();
  std::string dimension = params.get_or("dimension", "ServiceName");
  size_t limit = params.number("limit", 10, 1000);
  CostQuery q = cost_query_from(con, params, {dimension});
  if (!q.group_by.empty())
    throw UsageError("movers compares one dimension: use dimension=…, not group_by");
  Calendar cal = calendar(con, q);
  Range current{q.from.value_or(cal.month_start), q.to.value_or(cal.as_of)};
  Range previous{params.get_or("compare_from", cal.prev_month_start),
                 params.get_or("compare_to", cal.prev_same_end)};
  if (cal.empty && (!q.from || !q.to)) {
    return {JsonObject().add("rows", nlohmann::json::array()).str(), Result(), "movers"};
  }
  warehouse::range_start(previous.from, "compare_from");
  warehouse::range_start(previous.to, "compare_to");
  Result r = compare_ranges(con, q, dimension, current, previous, "abs(change) DESC", limit);
  JsonObject o;
  o.add("dimension", dimension)
      .add("cost", q.cost)
      .add("currency", config_.get()->currency)
      .add("current", {{"from", current.from}, {"to", current.to}})
      .add("previous", {{"from", previous.from}, {"to", previous.to}})
      .add("source_table", q.table)
      .raw("columns", columns_json(r))
      .raw("rows", rows_json(r));
  return {o.str(), std::move(r), "movers"};
}

Payload Api::overview(const Params& params) {
  auto use = lease_.acquire();
  auto& con = use.connection();
  CostQuery q;
  q.cost = params.get_or("cost", "billed");
  warehouse::cost_column(q.cost);
  model::use_rollup_when_possible(con, q);
  Calendar cal = calendar(con, q);
  JsonObject o;
  o.add("cost", q.cost).add("currency", config_.get()->currency).add("source_table", q.table);
  if (cal.empty) {
    o.add("empty", true);
    return {o.str(), std::nullopt, "overview"};
  }
  std::string mtd = total_of(con, q, cal.month_start, cal.as_of);
  std::string prev_same = total_of(con, q, cal.prev_month_start, cal.prev_same_end);
  std::string prev_full = total_of(con, q, cal.prev_month_start, cal.prev_month_end);
  std::string trailing = total_of(con, q, cal.trailing_start, cal.as_of);
  // Forecast: month to date plus the remaining days at the average of the last 7 days.
  int remaining = cal.days_in_month - cal.days_elapsed;
  Result f = con.query(
      fmt::format(
          "SELECT round(CAST({} AS DECIMAL(38,10)) + CAST({} AS DECIMAL(38,10)) * {} / 7, 2), "
          "round(CAST({} AS DECIMAL(38,10)) / 7, 2)",
          mtd, trailing, remaining, trailing),
      "forecasting");
  Range current{cal.month_start, cal.as_of}, previous{cal.prev_month_start, cal.prev_same_end};
  Result providers =
      compare_ranges(con, q, "ProviderName", current, previous, "current_cost DESC", 50);
  Result services =
      compare_ranges(con, q, "ServiceName", current, previous, "current_cost DESC", 10);
  Result movers = compare_ranges(con, q, "ServiceName", current, previous, "abs(change) DESC", 8);
  CostQuery daily = q;
  daily.group_by = {"ProviderName"};
  daily.granularity = "day";
  daily.from = cal.prev_month_start;
  daily.to = cal.as_of;
  warehouse::CostBreakdown days = warehouse::query_costs(con, daily);
  o.add("first_day", cal.first_day)
      .add("as_of", cal.as_of)
      .add("month_start", cal.month_start)
      .add("days_elapsed", cal.days_elapsed)
      .add("days_in_month", cal.days_in_month)
      .raw("month_to_date", mtd)
      .raw("previous_month_same_period", prev_same)
      .raw("previous_month_total", prev_full)
      .raw("forecast", f.text(0, 0))
      .raw("daily_run_rate", f.text(0, 1))
      .add("forecast_method",
           "month to date + remaining days x average daily cost of the last 7 days")
      .add("previous_period", {{"from", previous.from}, {"to", previous.to}})
      .raw("by_provider", rows_json(providers))
      .raw("top_services", rows_json(services))
      .raw("movers", rows_json(movers))
      .raw("daily", rows_json(days.rows));
  return {o.str(), std::move(days.rows), "overview-daily"};
}

Payload Api::meta(const Params&) {
  auto use = lease_.acquire();
  auto& con = use.connection();
  CostQuery q;
  bool rollup = model::use_rollup_when_possible(con, q);
  Calendar cal = calendar(con, q);
  Result tables =
      con.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'");
  auto has = [&](const std::string& name) {
    for (size_t i = 0; i < tables.row_count(); ++i) {
      if (tables.text(i, 0) == name) return true;
    }
    return false;
  };
  std::string table = has("cost_allocated") ? "cost_allocated" : "focus_costs";
  Result dims = con.query("SELECT column_name FROM information_schema.columns WHERE table_name = " +
                              quote_literal(table) +
                              " AND data_type = 'VARCHAR' AND column_name NOT IN ('Tags', "
                              "'SkuPriceDetails', 'x_LoadId') ORDER BY "
                              "ordinal_position",
                          "listing dimensions");
  std::vector<std::string> dimensions, fast;
  for (size_t i = 0; i < dims.row_count(); ++i) dimensions.push_back(dims.text(i, 0));
  if (rollup) {
    Result r = con.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'cost_daily'");
    for (size_t i = 0; i < r.row_count(); ++i) {
      std::string c = r.text(i, 0);
      if (std::find(dimensions.begin(), dimensions.end(), c) != dimensions.end()) fast.push_back(c);
    }
  }
  // Tag keys from a sample of tagged rows (a full scan of Tags would be slow on big tables).
  Result tags = con.query(
      "SELECT k FROM (SELECT unnest(json_keys(Tags)) AS k FROM (SELECT Tags FROM " +
          quote_ident(table) +
          " WHERE Tags IS NOT NULL LIMIT 200000)) GROUP BY k ORDER BY count(*) DESC, k LIMIT 50",
      "listing tag keys");
  std::vector<std::string> tag_keys;
  for (size_t i = 0; i < tags.row_count(); ++i) tag_keys.push_back("tag:" + tags.text(i, 0));
  JsonObject o;
  o.add("version", BILLINGFOOT_VERSION)
      .add("currency", config_.get()->currency)
      .add("first_day", cal.empty ? nlohmann::json() : nlohmann::json(cal.first_day))
      .add("as_of", cal.empty ? nlohmann::json() : nlohmann::json(cal.as_of))
      .add("rollup", rollup)
      .add("dimensions", dimensions)
      .add("rollup_dimensions", fast)
      .add("tag_keys", tag_keys)
      .add("features", {{"unit_costs", has("unit_costs") && !config_.get()->model.unit_costs.empty()},
                        {"anomalies", has("anomalies")},
                        {"budgets", has("budget_status")},
                        {"allocation", has("cost_allocated")}})
      .add("auth", !settings_.token.empty());
  return {o.str(), std::nullopt, "meta"};
}

}  // namespace billingfoot::server
