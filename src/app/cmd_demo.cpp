// `billingfoot demo`: generates the demo company Nimbus Hosting (13 months of AWS, Google Cloud,
// Azure and Datadog bills), writes its billingfoot.yaml, syncs it like `sync` does and shows
// where the money went last month.
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "app/alerting.hpp"
#include "app/app.hpp"
#include "app/demo/demo.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "server/settings.hpp"
#include "sources/source.hpp"
#include "warehouse/cost_query.hpp"

namespace billingfoot::app {

namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string dir = "demo-company";
  std::string listen = "127.0.0.1:8080";
  bool no_serve = false;
  std::optional<std::string> as_of;
  uint64_t seed = demo::kDefaultSeed;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_generated(const demo::DemoCompany& company, const demo::WriteSummary& written,
                     double seconds) {
  size_t width = 0;
  for (const auto& p : company.providers) width = std::max(width, p.source.size());
  for (const auto& p : company.providers) {
    int64_t rows = 0;
    for (const auto& f : p.files) rows += f.rows;
    std::cout << fmt::format("  {:<{}}  {:>2} files  {:>8} rows\n", p.source, width, p.files.size(),
                             rows);
  }
  std::cout << fmt::format(
      "  {} files written, {} unchanged{} ({:.1f} s)\n\n", written.written, written.unchanged,
      written.removed ? fmt::format(", {} removed", written.removed) : "", seconds);
}

void print_breakdown(warehouse::Connection& con, const std::string& by, const std::string& month,
                     const std::string& currency, const std::string& table = "focus_costs") {
  warehouse::CostQuery query;
  query.table = table;
  query.group_by = {by};
  query.from = query.to = month;
  warehouse::CostBreakdown breakdown = warehouse::query_costs(con, query);
  std::cout << "Billed cost by " << by << ", " << month << "\n\n";
  render(std::cout, breakdown.rows, Format::Table,
         {{"cost"}, "TOTAL " + format_money(breakdown.total_cost) + " " + currency});
  std::cout << "\n";
}

int run_demo(const DemoArgs& args) {
  server::parse_listen(args.listen, "--listen");
  demo::Day as_of = args.as_of ? demo::parse_day(*args.as_of, "--as-of") : demo::today_utc();
  fs::path dir = fs::absolute(args.dir);

  auto started = std::chrono::steady_clock::now();
  demo::DemoCompany company = demo::generate_demo({args.seed, as_of});
  demo::WriteSummary written = demo::write_demo(dir, company);
  std::cout << "Nimbus Hosting, " << demo::iso_date(company.timeline.first) << " .. "
            << demo::iso_date(as_of) << " (seed " << args.seed << ") in " << dir.string() << "\n";
  print_generated(company, written, seconds_since(started));

  Globals globals;
  globals.config_path = (dir / "billingfoot.yaml").string();
  config::Config cfg = load_config(globals);
  {
    // The read-write handle is closed before serving: the server opens the file read-only.
    started = std::chrono::steady_clock::now();
    auto wh = open_warehouse(cfg);
    bool ok = sync_and_print(cfg, wh, all_sources(cfg), {});
    ok = update_models_and_print(cfg, wh, true) && ok;
    std::cout << fmt::format("synced in {:.1f} s\n\n", seconds_since(started));
    if (!ok) return 1;
    if (!detect_and_alert(cfg, wh, std::cout)) return 1;
    std::cout << "\n";

    std::string last_month = demo::month_key(demo::add_months(as_of, -1));
    print_breakdown(wh.connection(), "ProviderName", last_month, cfg.currency);
    print_breakdown(wh.connection(), "ServiceName", last_month, cfg.currency);
    if (cfg.model.allocation.configured) {
      print_breakdown(wh.connection(), "team", last_month, cfg.currency, "cost_allocated");
    }
    if (!cfg.model.unit_costs.empty()) {
      std::cout << "Unit costs: billingfoot --config " << cfg.file.string() << " report --unit "
                << cfg.model.unit_costs.front().name << "\n";
    }
  }
  std::cout << "Explore: billingfoot --config " << cfg.file.string()
            << " report --by ServiceName --granularity month\n";
  std::cout << "Anomalies and budgets: billingfoot --config " << cfg.file.string()
            << " anomalies --status open | budgets\n";
  if (args.no_serve) {
    std::cout << "Dashboard: billingfoot --config " << cfg.file.string() << " serve --listen " << args.listen
              << "\n";
    return 0;
  }
  std::cout << "Dashboard: http://" << args.listen << "/  (Ctrl-C stops it)\n" << std::flush;
  return serve_dashboard(cfg, args.listen);
}

}  // namespace

void add_demo_command(CLI::App& app, Globals&, Action& action) {
  auto* cmd = app.add_subcommand("demo", "generate a realistic demo company, sync it and show it");
  auto args = std::make_shared<DemoArgs>();
  cmd->add_option("--dir", args->dir,
                  "folder for the demo's exports, config and warehouse (default ./demo-company)");
  cmd->add_option("--listen", args->listen, "HOST:PORT of the dashboard (default 127.0.0.1:8080)");
  cmd->add_flag("--no-serve", args->no_serve, "do not serve the dashboard after syncing");
  cmd->add_option("--as-of", args->as_of, "last day of data, YYYY-MM-DD (default: today, UTC)");
  cmd->add_option("--seed", args->seed,
                  "random seed; the same seed and --as-of give identical files");
  cmd->callback([&action, args] { action = [args] { return run_demo(*args); }; });
}

}  // namespace billingfoot::app
