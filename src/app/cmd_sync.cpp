#include <iostream>
#include <regex>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "sources/source.hpp"

namespace billingfoot::app {

namespace {

struct SyncArgs {
  std::vector<std::string> sources;
  std::optional<std::string> from, to;
  bool full = false;
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
  if (args.sources.empty()) {
    for (const auto& s : cfg.sources) selected.push_back(&s);
  }
  if (selected.empty()) throw UsageError(cfg.file.string() + ": no sources configured");

  auto wh = open_warehouse(cfg);
  sources::SyncOptions options{{args.from, args.to}, args.full};
  size_t width = 0;
  for (const auto* src : selected) width = std::max(width, src->name.size());
  bool failed = false;
  for (const auto* src : selected) {
    sources::SyncResult result = sources::sync_source(cfg, *src, wh, options);
    print_sync_result(std::cout, src->name, width, result, cfg.currency);
    if (!result.ok()) failed = true;
    if (!result.error.empty()) std::cerr << "error: " << result.error << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_sync_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("sync", "extract, normalize and load cost data from the configured sources");
  auto args = std::make_shared<SyncArgs>();
  cmd->add_option("--source", args->sources, "only this source (repeatable)");
  cmd->add_option("--from", args->from, "first billing period, YYYY-MM");
  cmd->add_option("--to", args->to, "last billing period, YYYY-MM");
  cmd->add_flag("--full", args->full, "reload every period even when unchanged");
  cmd->callback([&globals, &action, args] { action = [&globals, args] { return run_sync(globals, *args); }; });
}

}  // namespace billingfoot::app
