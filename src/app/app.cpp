#include "app/app.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "common/errors.hpp"
#include "focus/catalogue.hpp"
#include "sources/source.hpp"

namespace billingfoot::app {

namespace fs = std::filesystem;

config::Config load_config(const Globals& globals) {
  config::Config cfg = config::load(config::default_config_path(globals.config_path));
  sources::validate_source_configs(cfg);
  return cfg;
}

const std::vector<warehouse::Migration>& schema_migrations() {
  static const std::vector<warehouse::Migration> migrations = {
      {1, "focus_costs, loads and source_state",
       focus::focus_costs_ddl() + ";\n" +
           R"(CREATE TABLE loads (
  load_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  billing_period VARCHAR NOT NULL,     -- YYYY-MM
  fingerprint VARCHAR NOT NULL,
  rows BIGINT NOT NULL,
  billed_cost DECIMAL(38,10),
  effective_cost DECIMAL(38,10),
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
  message VARCHAR NOT NULL
);
CREATE TABLE source_state (
  source VARCHAR NOT NULL,
  key VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (source, key)
);)"},
  };
  return migrations;
}

fs::path warehouse_file(const config::Config& config) { return config.data_dir / "billingfoot.duckdb"; }

warehouse::Warehouse open_warehouse(const config::Config& config, Access access) {
  fs::path file = warehouse_file(config);
  // A running `serve` holds the file only while it answers requests; wait for it.
  warehouse::OpenOptions read_write;
  read_write.lock_wait = std::chrono::seconds(120);
  if (access == Access::ReadWrite) return warehouse::Warehouse::open(file, schema_migrations(), read_write);
  if (!fs::exists(file)) {
    throw InputError("no warehouse at " + file.string() + " yet: run `billingfoot sync` first");
  }
  warehouse::OpenOptions read_only;
  read_only.read_only = true;
  read_only.lock_wait = std::chrono::seconds(30);  // a running sync holds the file
  bool outdated = false;
  {
    auto probe = warehouse::Warehouse::open(file, {}, read_only);
    outdated = probe.schema_version() < schema_migrations().back().version;
  }
  // Bring an older warehouse file up to date before reading it.
  if (outdated) warehouse::Warehouse::open(file, schema_migrations(), read_write);
  read_only.external_access = false;  // SQL from users must not reach the filesystem
  return warehouse::Warehouse::open(file, {}, read_only);
}

namespace {

void configure_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("billingfoot");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  auto lvl = spdlog::level::from_str(level);
  spdlog::set_level(lvl);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"billingfoot — cloud and SaaS cost data in one FOCUS table", "billingfoot"};
  app.require_subcommand(1);
  app.set_version_flag("--version", BILLINGFOOT_VERSION);
  Globals globals;
  app.add_option("--config", globals.config_path, "config file (default: $BILLINGFOOT_CONFIG or ./billingfoot.yaml)");
  app.add_option("--log-level", globals.log_level, "trace, debug, info, warn, error (default warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  if (const char* env = std::getenv("BILLINGFOOT_LOG_LEVEL")) globals.log_level = env;

  Action action;
  add_init_command(app, globals, action);
  add_sync_command(app, globals, action);
  add_status_command(app, globals, action);
  add_report_command(app, globals, action);
  add_query_command(app, globals, action);
  add_validate_command(app, globals, action);
  add_demo_command(app, globals, action);
  add_serve_command(app, globals, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  configure_logging(globals.log_level);
  try {
    return action ? action() : 2;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace billingfoot::app
