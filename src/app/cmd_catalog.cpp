// `billingfoot catalog`: documentation of every warehouse table and column, from our own
// schema knowledge (the FOCUS catalogue and table comments), with counts and examples.
#include <iostream>

#include "app/app.hpp"
#include "common/errors.hpp"
#include "model/catalog.hpp"

namespace billingfoot::app {

namespace {

int run_catalog(const Globals& globals, const std::string& format) {
  if (format != "md" && format != "json") throw UsageError("--format must be md or json, not '" + format + "'");
  config::Config cfg = load_config(globals);
  auto wh = open_warehouse(cfg, Access::ReadOnly);
  auto catalog = model::build_catalog(wh.connection());
  if (format == "json") {
    std::cout << catalog.dump(2) << "\n";
  } else {
    std::cout << model::catalog_markdown(catalog);
  }
  return 0;
}

}  // namespace

void add_catalog_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("catalog", "data catalog of every table and column");
  auto format = std::make_shared<std::string>("md");
  cmd->add_option("--format", *format, "md (default) or json");
  cmd->callback([&globals, &action, format] { action = [&globals, format] { return run_catalog(globals, *format); }; });
}

}  // namespace billingfoot::app
