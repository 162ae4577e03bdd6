#include "analysis/budgets.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "analysis/cost_series.hpp"
#include "analysis/forecast.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::analysis {

namespace {

using std::chrono::days;

constexpr int kForecastHistoryDays = 56;

double to_double(const std::string& decimal) {
  return decimal.empty() ? 0 : std::stod(decimal);
}

// Forecast of the current period [start, end) as of `as_of` (see budgets.hpp).
void forecast_current(warehouse::Connection& con, const CostTables& tables,
                      const std::map<std::string, Day>& completeness, const ChargeFilter& all,
                      Day data_first, Day as_of, BudgetPeriodStatus& s) {
  ChargeFilter daily = all, periodic = all;
  daily.rows = ChargeFilter::Rows::Daily;
  periodic.rows = ChargeFilter::Rows::Periodic;

  auto recent = daily_costs(con, tables, "", daily, as_of - days(kForecastHistoryDays * 2), as_of);
  ScopeDays total = recent.count("total") ? recent["total"] : ScopeDays{};
  Day through = std::min(as_of, complete_through(completeness, total.sources).value_or(as_of));
  s.complete_through = through;

  Day history_first = std::max(data_first, through - days(kForecastHistoryDays - 1));
  DailySeries history = to_series(total, history_first, through);
  Day next = through + days(1);
  int horizon = static_cast<int>((s.period_end - next).count());
  int skip = static_cast<int>(std::max<int64_t>(0, (s.period_start - next).count()));
  ForecastSum daily_forecast = forecast_sum(history, horizon, skip);

  double known = to_double(period_cost(con, tables, periodic, s.period_start, s.period_end));
  if (through >= s.period_start)
    known += to_double(period_cost(con, tables, daily, s.period_start, next));

  // Periodic charges of the months still open: as much as last complete month had.
  Day this_month = month_start(as_of);
  double last_month_periodic =
      to_double(period_cost(con, tables, periodic, add_months(this_month, -1), this_month));
  for (Day m = month_start(std::max(s.period_start, next)); m < s.period_end;
       m = add_months(m, 1)) {
    double posted = to_double(period_cost(con, tables, periodic, m, add_months(m, 1)));
    known += std::max(0.0, last_month_periodic - posted);
  }
  s.forecast = known + daily_forecast.expected;
  s.forecast_low = known + daily_forecast.low;
  s.forecast_high = known + daily_forecast.high;
}

std::string money_text(double v) {
  return fmt::format("{:.4f}", v);
}

}  // namespace

std::string period_name(config::BudgetPeriod kind) {
  switch (kind) {
    case config::BudgetPeriod::Monthly:
      return "monthly";
    case config::BudgetPeriod::Quarterly:
      return "quarterly";
    case config::BudgetPeriod::Yearly:
      return "yearly";
  }
  return "monthly";
}

std::pair<Day, Day> period_bounds(config::BudgetPeriod kind, Day day) {
  Day m = month_start(day);
  int month = static_cast<int>(static_cast<unsigned>(std::chrono::year_month_day(m).month()));
  int length = 1;
  if (kind == config::BudgetPeriod::Quarterly) {
    m = add_months(m, -((month - 1) % 3));
    length = 3;
  } else if (kind == config::BudgetPeriod::Yearly) {
    m = add_months(m, -(month - 1));
    length = 12;
  }
  return {m, add_months(m, length)};
}

std::vector<BudgetPeriodStatus> compute_budgets(warehouse::Connection& con,
                                                const config::AnalysisConfig& cfg, Day as_of,
                                                int max_periods) {
  std::vector<BudgetPeriodStatus> out;
  if (cfg.budgets.empty()) return out;
  auto range = cost_day_range(con);
  Day data_first = range ? range->first : as_of;
  std::map<std::string, Day> completeness = complete_through_by_source(con, cfg.anomalies);
  CostTables tables(con, cfg.allocation_dimensions);

  for (const auto& b : cfg.budgets) {
    ChargeFilter all;
    all.cost = b.cost;
    all.scope = b.scope;
    auto current = period_bounds(b.period, as_of);
    std::vector<std::pair<Day, Day>> periods = {current};
    while (static_cast<int>(periods.size()) < max_periods && periods.back().first > data_first) {
      periods.push_back(period_bounds(b.period, periods.back().first - days(1)));
    }
    std::reverse(periods.begin(), periods.end());
    for (const auto& [start, end] : periods) {
      auto amount = b.amount_for(month_key(start));
      if (!amount) continue;
      BudgetPeriodStatus s;
      s.name = b.name;
      s.period = period_name(b.period);
      s.period_start = start;
      s.period_end = end;
      s.current = start == current.first;
      s.amount = *amount;
      s.cost_metric = b.cost;
      s.actual = period_cost(con, tables, all, start, end);
      double actual = to_double(s.actual);
      if (s.current) {
        forecast_current(con, tables, completeness, all, data_first, as_of, s);
      } else {
        s.forecast = s.forecast_low = s.forecast_high = actual;
        s.complete_through = end - days(1);
      }
      double amount_value = to_double(*amount);
      s.pct_used = amount_value > 0 ? actual / amount_value * 100 : 0;
      s.pct_forecast = amount_value > 0 ? s.forecast / amount_value * 100 : 0;
      s.forecast_overrun = std::max(0.0, s.forecast - amount_value);
      bool warned = std::any_of(b.alert_actual.begin(), b.alert_actual.end(),
                                [&](double f) { return actual >= f * amount_value; });
      s.state = actual >= amount_value      ? "over"
                : s.forecast > amount_value ? "at_risk"
                : warned                    ? "warning"
                                            : "ok";
      out.push_back(std::move(s));
    }
  }
  return out;
}

void store_budget_status(warehouse::Connection& con,
                         const std::vector<BudgetPeriodStatus>& statuses) {
  warehouse::Transaction tx(con);
  con.execute("DELETE FROM budget_status", "replacing budget_status");
  std::string now = warehouse::utc_now();
  for (const auto& s : statuses) {
    auto ins = con.prepare(
        "INSERT INTO budget_status (name, period_start, amount, actual, forecast, pct_used, "
        "forecast_overrun, period, "
        "period_end, forecast_low, forecast_high, pct_forecast, complete_through, state, "
        "cost_metric, is_current, "
        "computed_at) VALUES (?, CAST(? AS DATE), CAST(? AS DECIMAL(38,10)), CAST(? AS "
        "DECIMAL(38,10)), CAST(? AS "
        "DECIMAL(38,10)), round(?, 2), CAST(? AS DECIMAL(38,10)), ?, CAST(? AS DATE), CAST(? AS "
        "DECIMAL(38,10)), CAST(? "
        "AS DECIMAL(38,10)), round(?, 2), CAST(? AS DATE), ?, ?, CAST(? AS BOOLEAN), CAST(? AS "
        "TIMESTAMP))");
    ins.bind(1, s.name)
        .bind(2, iso_day(s.period_start))
        .bind(3, s.amount)
        .bind(4, s.actual)
        .bind(5, s.current ? money_text(s.forecast) : s.actual)
        .bind(6, s.pct_used)
        .bind(7, money_text(s.forecast_overrun))
        .bind(8, s.period)
        .bind(9, iso_day(s.period_end))
        .bind(10, s.current ? money_text(s.forecast_low) : s.actual)
        .bind(11, s.current ? money_text(s.forecast_high) : s.actual)
        .bind(12, s.pct_forecast);
    if (s.complete_through) {
      ins.bind(13, iso_day(*s.complete_through));
    } else {
      ins.bind_null(13);
    }
    ins.bind(14, s.state)
        .bind(15, s.cost_metric)
        .bind(16, static_cast<int64_t>(s.current))
        .bind(17, now)
        .execute();
  }
  tx.commit();
}

}  // namespace billingfoot::analysis
