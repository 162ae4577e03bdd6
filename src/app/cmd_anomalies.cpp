// `billingfoot anomalies`: runs detection over what is loaded, stores it in `anomalies` and
// lists the anomalies; `anomalies ack|resolve|reopen ID` changes one's status.
#include <fmt/format.h>

#include <iostream>

#include "analysis/anomalies.hpp"
#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::app {

namespace {

struct AnomaliesArgs {
  std::optional<std::string> from, to;
  std::string status;
  std::string format = "table";
  bool no_detect = false;
};

struct StatusArgs {
  std::string id;
  std::string note;
};

std::optional<analysis::Day> day_flag(const std::optional<std::string>& text, const char* flag) {
  if (!text) return std::nullopt;
  return analysis::parse_day(*text, flag);
}

int run_anomalies(const Globals& globals, const AnomaliesArgs& args) {
  Format format = parse_format(args.format);
  analysis::DetectionRange range{day_flag(args.from, "--from"), day_flag(args.to, "--to")};
  if (range.from && range.to && *range.from > *range.to) throw UsageError("--from is after --to");
  config::Config cfg = load_config(globals);
  config::AnalysisConfig acfg = config::parse_analysis_config(cfg);
  auto wh = open_warehouse(cfg);
  auto& con = wh.connection();
  if (!args.no_detect) {
    // Over the whole warehouse (with other machines' sources on a shared ClickHouse).
    auto others = other_writers_of(cfg, wh, std::cerr);
    analysis::DetectionSummary d = analysis::detect_anomalies(con, acfg, range);
    if (format == Format::Table) {
      std::cout << fmt::format(
          "{} scopes ({}), {} days judged{}; {} anomalies found, {} new\n\n", d.scopes,
          common::join(acfg.anomalies.dimensions, ", "), d.judged_days,
          d.complete_through ? ", data complete through " + analysis::iso_day(*d.complete_through)
                             : "",
          d.found, d.added);
    }
  }
  // The root cause JSON is for machines; the table keeps its summary (top_cause).
  warehouse::Result rows =
      analysis::list_anomalies(con, range.from, range.to, args.status, format != Format::Table);
  if (format == Format::Table && rows.row_count() == 0) {
    std::cout << "no anomalies" << (args.status.empty() ? "" : " with status " + args.status)
              << "\n";
    return publish_and_print(cfg, wh, std::cerr) ? 0 : 1;
  }
  render(std::cout, rows, format, {{"expected_cost", "actual_cost", "impact"}, ""});
  // A ClickHouse warehouse's readers see the stored anomalies at once (progress on stderr).
  return publish_and_print(cfg, wh, std::cerr) ? 0 : 1;
}

int run_set_status(const Globals& globals, const StatusArgs& args, const std::string& status) {
  config::Config cfg = load_config(globals);
  auto wh = open_warehouse(cfg);
  analysis::set_anomaly_status(wh.connection(), args.id, status, args.note);
  std::cout << "anomaly " << args.id << " is " << status << "\n";
  return publish_and_print(cfg, wh, std::cerr) ? 0 : 1;
}

}  // namespace

void add_anomalies_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("anomalies",
                                 "detect cost anomalies in what is loaded, store and list them");
  auto args = std::make_shared<AnomaliesArgs>();
  cmd->add_option("--from", args->from, "first day, YYYY-MM-DD (judged and listed)");
  cmd->add_option("--to", args->to, "last day, YYYY-MM-DD");
  cmd->add_option("--status", args->status, "only open, acknowledged or resolved anomalies")
      ->check(CLI::IsMember({"open", "acknowledged", "resolved"}));
  cmd->add_option("--format", args->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_flag("--no-detect", args->no_detect, "list what is stored without running detection");
  cmd->require_subcommand(0, 1);

  struct Change {
    const char* name;
    const char* status;
    const char* help;
  };
  std::vector<CLI::App*> changes;
  for (const Change& c : {Change{"ack", "acknowledged",
                                 "acknowledge an anomaly: known, being handled (no more alerts)"},
                          Change{"resolve", "resolved", "mark an anomaly resolved"},
                          Change{"reopen", "open", "set an anomaly back to open"}}) {
    auto* sub = cmd->add_subcommand(c.name, c.help);
    auto status_args = std::make_shared<StatusArgs>();
    sub->add_option("ID", status_args->id, "anomaly_id (see `billingfoot anomalies`)")->required();
    sub->add_option("--note", status_args->note, "why (stored with the status)");
    std::string status = c.status;
    sub->callback([&globals, &action, status_args, status] {
      action = [&globals, status_args, status] {
        return run_set_status(globals, *status_args, status);
      };
    });
    changes.push_back(sub);
  }
  cmd->callback([&globals, &action, args, changes] {
    for (auto* c : changes) {
      if (c->parsed()) return;
    }
    action = [&globals, args] { return run_anomalies(globals, *args); };
  });
}

}  // namespace billingfoot::app
