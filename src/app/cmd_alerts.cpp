// `billingfoot alerts test` sends a test message to every configured channel (or one);
// `billingfoot alerts log` lists what was delivered or failed.
#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "notify/dispatch.hpp"

namespace billingfoot::app {

namespace {

struct TestArgs {
  std::string channel;
};

struct LogArgs {
  std::string format = "table";
  bool failed = false;
};

int run_alerts_test(const Globals& globals, const TestArgs& args) {
  config::Config cfg = load_config(globals);
  config::AnalysisConfig acfg = config::parse_analysis_config(cfg);
  std::vector<config::AlertChannelConfig> channels;
  for (const auto& c : acfg.alerts) {
    if (args.channel.empty() || c.name == args.channel) channels.push_back(c);
  }
  if (acfg.alerts.empty())
    throw UsageError("no alert channels configured (alerts: in " + cfg.file.string() + ")");
  if (channels.empty()) throw UsageError("no alert channel named '" + args.channel + "'");

  notify::AlertEvent event;
  event.kind = "test";
  event.dedup_key = "test:" + warehouse::utc_now();
  event.severity = "low";
  event.title = "billingfoot test alert";
  event.text = "Alerts from billingfoot reach this channel.";
  event.fields = {{"Config", cfg.file.filename().string()}};
  auto wh = open_warehouse(cfg);
  notify::DispatchSummary sent = notify::dispatch(wh.connection(), {event}, channels, std::cout);
  for (const auto& c : channels) std::cout << "channel " << c.name << " (" << c.type << ")\n";
  for (const auto& e : sent.errors) std::cerr << "error: " << e << "\n";
  std::cout << sent.sent << " sent, " << sent.failed << " failed\n";
  return sent.failed ? 1 : 0;
}

int run_alerts_log(const Globals& globals, const LogArgs& args) {
  Format format = parse_format(args.format);
  config::Config cfg = load_config(globals);
  auto wh = open_warehouse(cfg, Access::ReadOnly);
  std::string sql =
      "SELECT channel, event, dedup_key, title, status, attempts, http_status, first_attempt_at, "
      "last_attempt_at, "
      "message FROM alert_deliveries" +
      std::string(args.failed ? " WHERE status = 'failed'" : "") +
      " ORDER BY last_attempt_at DESC, channel";
  render(std::cout, wh.connection().query(sql, "reading alert_deliveries"), format);
  return 0;
}

}  // namespace

void add_alerts_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("alerts", "alert channels: send a test message, show deliveries");
  cmd->require_subcommand(1);
  auto* test =
      cmd->add_subcommand("test", "send a test message to every alert channel (or --channel NAME)");
  auto test_args = std::make_shared<TestArgs>();
  test->add_option("--channel", test_args->channel,
                   "only this channel (alerts[].name, default the type)");
  test->callback([&globals, &action, test_args] {
    action = [&globals, test_args] { return run_alerts_test(globals, *test_args); };
  });
  auto* log = cmd->add_subcommand("log", "deliveries: sent and failed alerts, newest first");
  auto log_args = std::make_shared<LogArgs>();
  log->add_option("--format", log_args->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  log->add_flag("--failed", log_args->failed, "only failed deliveries");
  log->callback([&globals, &action, log_args] {
    action = [&globals, log_args] { return run_alerts_log(globals, *log_args); };
  });
}

}  // namespace billingfoot::app
