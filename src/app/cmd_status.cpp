#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "warehouse/source_status.hpp"

namespace billingfoot::app {

namespace {

// Alert deliveries whose last attempt failed (retried by the next `sync --alert`).
void print_failed_alerts(warehouse::Connection& con) {
  warehouse::Result failed = con.query(
      "SELECT channel, event, title, attempts, last_attempt_at, message FROM alert_deliveries WHERE status = 'failed' "
      "ORDER BY last_attempt_at DESC LIMIT 20",
      "reading failed alert deliveries");
  if (failed.row_count() == 0) return;
  std::cout << "\nalert deliveries failing (retried by the next `sync --alert`; see `alerts log`):\n";
  render(std::cout, failed, Format::Table);
}

int run_status(const Globals& globals, const std::string& format_text) {
  Format format = parse_format(format_text);
  config::Config cfg = load_config(globals);
  if (cfg.sources.empty()) {
    std::cout << "no sources configured in " << cfg.file.string() << "\n";
    return 0;
  }
  TableStyle style{{"billed_cost"}, ""};
  if (!std::filesystem::exists(warehouse_file(cfg))) {
    auto db = warehouse::Database::open(":memory:");
    auto con = db.connect();
    render(std::cout, warehouse::source_status(con, sources::configured_sources(cfg)), format, style);
    return 0;
  }
  auto wh = open_warehouse(cfg, Access::ReadOnly);
  render(std::cout, warehouse::source_status(wh.connection(), sources::configured_sources(cfg)), format,
         style);
  if (format == Format::Table) print_failed_alerts(wh.connection());
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
