// `billingfoot budgets`: every budget's status — actual, forecast with its interval, % used,
// forecast overrun — stored in budget_status and printed for the current periods.
#include <iostream>

#include "analysis/budgets.hpp"
#include "app/app.hpp"
#include "app/output.hpp"

namespace billingfoot::app {

namespace {

struct BudgetsArgs {
  std::string format = "table";
  std::optional<std::string> as_of;
  bool history = false;
};

int run_budgets(const Globals& globals, const BudgetsArgs& args) {
  Format format = parse_format(args.format);
  analysis::Day as_of =
      args.as_of ? analysis::parse_day(*args.as_of, "--as-of") : analysis::today_utc();
  config::Config cfg = load_config(globals);
  config::AnalysisConfig acfg = config::parse_analysis_config(cfg);
  if (acfg.budgets.empty()) {
    std::cout << "no budgets configured (budgets: in " << cfg.file.filename().string() << ")\n";
    return 0;
  }
  auto wh = open_warehouse(cfg);
  auto& con = wh.connection();
  {
    // Over the whole warehouse (with other machines' sources on a shared ClickHouse).
    auto others = other_writers_of(cfg, wh, std::cerr);
    analysis::store_budget_status(con, analysis::compute_budgets(con, acfg, as_of));
  }
  std::string sql =
      "SELECT name, period, period_start, amount, actual, pct_used, forecast, forecast_low, "
      "forecast_high, "
      "pct_forecast, forecast_overrun, state, complete_through" +
      std::string(format == Format::Table ? "" : ", period_end, cost_metric, is_current") +
      " FROM budget_status" + (args.history ? "" : " WHERE is_current") +
      " ORDER BY name, period_start";
  warehouse::Result rows = con.query(sql, "reading budget_status");
  if (format == Format::Table) {
    std::cout << "Budgets as of " << analysis::iso_day(as_of) << " (" << cfg.currency
              << "; forecast to period end with a 90% interval)\n\n";
  }
  render(
      std::cout, rows, format,
      {{"amount", "actual", "forecast", "forecast_low", "forecast_high", "forecast_overrun"}, ""});
  // A ClickHouse warehouse's readers see the new budget status at once (progress on stderr).
  return publish_and_print(cfg, wh, std::cerr) ? 0 : 1;
}

}  // namespace

void add_budgets_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd =
      app.add_subcommand("budgets", "budget status: actual, forecast, % used, forecast overrun");
  auto args = std::make_shared<BudgetsArgs>();
  cmd->add_option("--format", args->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("--as-of", args->as_of,
                  "the day the current period contains, YYYY-MM-DD (default: today, UTC)");
  cmd->add_flag("--history", args->history,
                "every period since the data starts, not only the current ones");
  cmd->callback([&globals, &action, args] {
    action = [&globals, args] { return run_budgets(globals, *args); };
  });
}

}  // namespace billingfoot::app
