#include <iostream>
#include <regex>

#include "app/alerting.hpp"
#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "model/rollup.hpp"
#include "sources/source.hpp"

namespace billingfoot::app {

std::vector<const config::SourceConfig*> all_sources(const config::Config& cfg) {
  std::vector<const config::SourceConfig*> all;
  for (const auto& s : cfg.sources) all.push_back(&s);
  return all;
}

bool sync_and_print(const config::Config& cfg, warehouse::Warehouse& wh,
                    const std::vector<const config::SourceConfig*>& selected, const sources::SyncOptions& options) {
  size_t width = 0;
  for (const auto* src : selected) width = std::max(width, src->name.size());
  bool ok = true;
  for (const auto* src : selected) {
    sources::SyncResult result = sources::sync_source(cfg, *src, wh, options);
    print_sync_result(std::cout, src->name, width, result, cfg.currency);
    if (!result.error.empty()) std::cerr << "error: " << result.error << "\n";
    ok = ok && result.ok();
  }
  return ok;
}

model::RollupOptions rollup_options(const config::Config& cfg) {
  model::RollupOptions options;
  const YAML::Node dims = cfg.allocation.IsMap() ? cfg.allocation["dimensions"] : YAML::Node();
  if (dims.IsSequence()) {
    for (const auto& d : dims) {
      if (d.IsMap() && d["name"].IsScalar()) options.allocation_dimensions.push_back(d["name"].Scalar());
    }
  }
  return options;
}

namespace {

struct SyncArgs {
  std::vector<std::string> sources;
  std::optional<std::string> from, to;
  bool full = false;
  bool alert = false;
};

void check_period(const std::optional<std::string>& p, const char* flag) {
  static const std::regex month(R"(\d{4}-(0[1-9]|1[0-2]))");
  if (p && !std::regex_match(*p, month)) throw UsageError(std::string(flag) + " must be YYYY-MM, not '" + *p + "'");
}

int run_sync(const Globals& globals, const SyncArgs& args) {
  check_period(args.from, "--from");
  check_period(args.to, "--to");
  config::Config cfg = load_config(globals);
  std::vector<const config::SourceConfig*> selected;
  for (const auto& name : args.sources) {
    const auto* src = cfg.find_source(name);
    if (!src) throw UsageError("no source named '" + name + "' in " + cfg.file.string());
    selected.push_back(src);
  }
  if (args.sources.empty()) selected = all_sources(cfg);
  if (selected.empty()) throw UsageError(cfg.file.string() + ": no sources configured");

  auto wh = open_warehouse(cfg);
  bool ok = sync_and_print(cfg, wh, selected, {{args.from, args.to}, args.full});
  // Metrics are fetched on a full sync only: `--source X` means "only X".
  // Anomalies and budgets look at allocated cost too, so they run after the models.
  ok = update_models_and_print(cfg, wh, args.sources.empty(), [&] {
         return !args.alert || detect_and_alert(cfg, wh, std::cout);
       }) && ok;
  // The shared ClickHouse warehouse gets every month loaded here that it does not hold yet.
  ok = publish_and_print(cfg, wh, std::cout) && ok;
  return ok ? 0 : 1;
}

}  // namespace

void add_sync_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("sync", "extract, normalize and load cost data from the configured sources");
  auto args = std::make_shared<SyncArgs>();
  cmd->add_option("--source", args->sources, "only this source (repeatable)");
  cmd->add_option("--from", args->from, "first billing period, YYYY-MM");
  cmd->add_option("--to", args->to, "last billing period, YYYY-MM");
  cmd->add_flag("--full", args->full, "reload every period even when unchanged");
  cmd->add_flag("--alert", args->alert, "then detect anomalies, check budgets and send alerts");
  cmd->callback([&globals, &action, args] { action = [&globals, args] { return run_sync(globals, *args); }; });
}

}  // namespace billingfoot::app
