// Cost endpoints: costs over time, top movers, the overview, and what the data holds (meta).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/rollup.hpp"
#include "server/api.hpp"
#include "server/json_text.hpp"
#include "warehouse/clickhouse.hpp"
#include "warehouse/reader.hpp"

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

Api::Reading Api::read() {
  Reading r;
  if (settings_.clickhouse) {
    r.clickhouse_ = settings_.clickhouse();
    r.reader_ = warehouse::clickhouse_reader(*r.clickhouse_);
  } else {
    r.use_ = std::make_unique<WarehouseLease::Use>(lease_.acquire());
    r.reader_ = warehouse::duckdb_reader(r.use_->connection(), model::use_rollup_when_possible);
  }
  return r;
}

CostQuery Api::cost_query_from(warehouse::Reader& reader, const Params& params,
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
  if (reader.has_table("cost_allocated")) q.table = "cost_allocated";
  // Unknown dimensions are a 400, checked before choosing the table.
  for (const auto& d : q.group_by) reader.check_dimension(q.table, d);
  for (const auto& f : q.filters) reader.check_dimension(q.table, f.dimension);
  for (const auto& d : also_needs) reader.check_dimension(q.table, d);
  CostQuery probe = q;
  probe.group_by.insert(probe.group_by.end(), also_needs.begin(), also_needs.end());
  if (reader.use_rollup_when_possible(probe)) {
    q.table = probe.table;
    q.time_column = probe.time_column;
    q.rows_expression = probe.rows_expression;
  }
  return q;
}

namespace {

using warehouse::DayRange;
using warehouse::Reader;

// Amounts in different currencies are never added up: group by currency when there are several.
void split_currencies(Reader& reader, CostQuery& q) {
  for (const auto& d : q.group_by) {
    if (common::iequals(d, "BillingCurrency")) return;
  }
  if (reader.distinct_count(q.table, "BillingCurrency") > 1)
    q.group_by.push_back("BillingCurrency");
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

// The data's last day and the ranges the overview and the default movers compare.
struct Calendar {
  bool empty = true;
  std::string first_day, as_of, month_start, prev_month_start, prev_month_end, prev_same_end,
      trailing_start;
  int days_elapsed = 0, days_in_month = 0;
};

std::string day_text(std::chrono::year_month_day d) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

std::chrono::year_month_day parse_day(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(text.c_str(), "%d-%u-%u", &y, &m, &d) != 3) {
    throw std::runtime_error("unexpected date from the warehouse: '" + text + "'");
  }
  return std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
}

// Date arithmetic in C++, the same on every backend: a month back from the 31st is the last
// day of the shorter month (as SQL's date - INTERVAL 1 MONTH).
Calendar calendar(Reader& reader, const CostQuery& q) {
  using namespace std::chrono;
  Calendar c;
  auto span = reader.span(q);
  if (!span) return c;
  c.empty = false;
  c.first_day = span->from;
  c.as_of = span->to;
  year_month_day last = parse_day(span->to);
  year_month_day start = last.year() / last.month() / day{1};
  year_month prev = year_month{last.year(), last.month()} - months{1};
  c.month_start = day_text(start);
  c.prev_month_start = day_text(prev / day{1});
  c.prev_month_end = day_text(year_month_day{sys_days{start} - days{1}});
  day prev_last = year_month_day_last{prev.year(), month_day_last{prev.month()}}.day();
  c.prev_same_end = day_text(prev / std::min(last.day(), prev_last));
  c.trailing_start = day_text(year_month_day{sys_days{last} - days{6}});
  c.days_elapsed = static_cast<int>(static_cast<unsigned>(last.day()));
  c.days_in_month = static_cast<int>(
      static_cast<unsigned>(year_month_day_last{last.year(), month_day_last{last.month()}}.day()));
  return c;
}

std::string total_of(Reader& reader, CostQuery q, const std::string& from, const std::string& to) {
  q.group_by.clear();
  q.granularity.clear();
  q.top = 0;
  q.from = from;
  q.to = to;
  return reader.costs(q).total_cost;
}

}  // namespace

Payload Api::costs(const Params& params) {
  Reading session = read();
  Reader& reader = session.reader();
  CostQuery q = cost_query_from(reader, params);
  split_currencies(reader, q);
  warehouse::CostBreakdown b = reader.costs(q);
  JsonObject o = query_description(q, config_.get()->currency);
  o.raw("columns", columns_json(b.rows))
      .raw("rows", rows_json(b.rows))
      .raw("total",
           "{\"cost\": " + b.total_cost + ", \"rows\": " + std::to_string(b.total_rows) + "}");
  return {o.str(), std::move(b.rows), "costs"};
}

Payload Api::movers(const Params& params) {
  Reading session = read();
  Reader& reader = session.reader();
  std::string dimension = params.get_or("dimension", "ServiceName");
  size_t limit = params.number("limit", 10, 1000);
  CostQuery q = cost_query_from(reader, params, {dimension});
  if (!q.group_by.empty())
    throw UsageError("movers compares one dimension: use dimension=…, not group_by");
  Calendar cal = calendar(reader, q);
  DayRange current{q.from.value_or(cal.month_start), q.to.value_or(cal.as_of)};
  DayRange previous{params.get_or("compare_from", cal.prev_month_start),
                    params.get_or("compare_to", cal.prev_same_end)};
  if (cal.empty && (!q.from || !q.to)) {
    return {JsonObject().add("rows", nlohmann::json::array()).str(), Result(), "movers"};
  }
  warehouse::range_start(previous.from, "compare_from");
  warehouse::range_start(previous.to, "compare_to");
  Result r = reader.compare(q, dimension, current, previous, true, limit);
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
  Reading session = read();
  Reader& reader = session.reader();
  CostQuery q;
  q.cost = params.get_or("cost", "billed");
  warehouse::cost_column(q.cost);
  reader.use_rollup_when_possible(q);
  Calendar cal = calendar(reader, q);
  JsonObject o;
  o.add("cost", q.cost).add("currency", config_.get()->currency).add("source_table", q.table);
  if (cal.empty) {
    o.add("empty", true);
    return {o.str(), std::nullopt, "overview"};
  }
  std::string mtd = total_of(reader, q, cal.month_start, cal.as_of);
  std::string prev_same = total_of(reader, q, cal.prev_month_start, cal.prev_same_end);
  std::string prev_full = total_of(reader, q, cal.prev_month_start, cal.prev_month_end);
  std::string trailing = total_of(reader, q, cal.trailing_start, cal.as_of);
  // Forecast: month to date plus the remaining days at the average of the last 7 days.
  int remaining = cal.days_in_month - cal.days_elapsed;
  Result f = reader.scratch().query(
      fmt::format(
          "SELECT round(CAST({} AS DECIMAL(38,10)) + CAST({} AS DECIMAL(38,10)) * {} / 7, 2), "
          "round(CAST({} AS DECIMAL(38,10)) / 7, 2)",
          mtd, trailing, remaining, trailing),
      "forecasting");
  DayRange current{cal.month_start, cal.as_of}, previous{cal.prev_month_start, cal.prev_same_end};
  Result providers = reader.compare(q, "ProviderName", current, previous, false, 50);
  Result services = reader.compare(q, "ServiceName", current, previous, false, 10);
  Result movers = reader.compare(q, "ServiceName", current, previous, true, 8);
  CostQuery daily = q;
  daily.group_by = {"ProviderName"};
  daily.granularity = "day";
  daily.from = cal.prev_month_start;
  daily.to = cal.as_of;
  warehouse::CostBreakdown days = reader.costs(daily);
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
  Reading session = read();
  Reader& reader = session.reader();
  CostQuery q;
  std::string table = reader.has_table("cost_allocated") ? "cost_allocated" : "focus_costs";
  bool rollup = reader.use_rollup_when_possible(q);
  Calendar cal = calendar(reader, q);
  std::vector<std::string> dimensions, fast;
  for (const auto& c : reader.columns(table)) {
    if (c.type == "VARCHAR" && c.name != "Tags" && c.name != "SkuPriceDetails" &&
        c.name != "x_LoadId")
      dimensions.push_back(c.name);
  }
  if (rollup) {
    for (const auto& c : reader.columns(q.table)) {
      if (std::find(dimensions.begin(), dimensions.end(), c.name) != dimensions.end())
        fast.push_back(c.name);
    }
  }
  std::vector<std::string> tag_keys;
  for (const auto& k : reader.tag_keys(table, 50)) tag_keys.push_back("tag:" + k);
  JsonObject o;
  o.add("version", BILLINGFOOT_VERSION)
      .add("currency", config_.get()->currency)
      .add("warehouse", reader.backend())
      .add("first_day", cal.empty ? nlohmann::json() : nlohmann::json(cal.first_day))
      .add("as_of", cal.empty ? nlohmann::json() : nlohmann::json(cal.as_of))
      .add("rollup", rollup)
      .add("dimensions", dimensions)
      .add("rollup_dimensions", fast)
      .add("tag_keys", tag_keys)
      .add("features", {{"unit_costs", reader.has_table("unit_costs") &&
                                           !config_.get()->model.unit_costs.empty()},
                        {"anomalies", reader.has_table("anomalies")},
                        {"budgets", reader.has_table("budget_status")},
                        {"allocation", reader.has_table("cost_allocated")}})
      .add("auth", !settings_.token.empty());
  return {o.str(), std::nullopt, "meta"};
}

}  // namespace billingfoot::server
