#pragma once
// Shared plumbing of the commands: global options, config loading, opening the warehouse.
#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "config/config.hpp"
#include "model/rollup.hpp"
#include "server/settings.hpp"
#include "sources/source.hpp"
#include "warehouse/clickhouse.hpp"
#include "warehouse/other_writers.hpp"
#include "warehouse/source_status.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::app {

struct Globals {
  std::optional<std::string> config_path;
  std::string log_level = "warn";
};

// The command to run after parsing; returns the exit status.
using Action = std::function<int()>;

// Loads billingfoot.yaml (see config::default_config_path) and validates the sources.
config::Config load_config(const Globals& globals);

// Every version of the warehouse schema, oldest first.
const std::vector<warehouse::Migration>& schema_migrations();

enum class Access { ReadWrite, ReadOnly, ReadOnlyWritingFiles };
// The ClickHouse warehouse of `warehouse: {type: clickhouse, url, database, user, password}`.
warehouse::ClickHouse clickhouse_of(const config::Config& config);
// With a ClickHouse warehouse, the server reads cost data from it (settings.clickhouse).
void read_clickhouse_when_configured(const config::Config& config, server::ServerSettings& settings);
// With a ClickHouse warehouse: publishes what the local warehouse loaded and ClickHouse does
// not hold yet, printing one line per partition. Returns false (after printing the error) when
// publishing failed; true, printing nothing, with the DuckDB warehouse.
bool publish_and_print(const config::Config& config, warehouse::Warehouse& wh, std::ostream& out);
// With a ClickHouse warehouse: the costs of the sources other machines publish there, made
// visible on `wh`'s connection for the models over the whole warehouse (unit costs, anomalies,
// budgets) while the returned object lives; prints what it brought to `out` when there is any.
// nullptr with the DuckDB warehouse. Throws when ClickHouse cannot be read.
std::unique_ptr<warehouse::OtherWriters> other_writers_of(const config::Config& config,
                                                          warehouse::Warehouse& wh,
                                                          std::ostream& out);
// Opens <data_dir>/billingfoot.duckdb. ReadOnly also disables file access from SQL and fails
// with a clear message when nothing has been synced yet. ReadOnlyWritingFiles is ReadOnly for
// our own SQL that writes files (export's COPY … TO): never give it SQL from users.
warehouse::Warehouse open_warehouse(const config::Config& config, Access access = Access::ReadWrite);
std::filesystem::path warehouse_file(const config::Config& config);
// Takes the data directory's writer lock (as opening the warehouse for writing does) and holds
// it while the returned handle lives; throws InputError naming the holder's pid when another
// process has it.
std::shared_ptr<void> hold_data_dir(const config::Config& config);

// Syncs the selected sources, printing one line per billing period; false when any failed.
bool sync_and_print(const config::Config& cfg, warehouse::Warehouse& wh,
                    const std::vector<const config::SourceConfig*>& selected, const sources::SyncOptions& options);
std::vector<const config::SourceConfig*> all_sources(const config::Config& cfg);
// Which allocation dimensions the daily rollup keeps (from the config's allocation section).
model::RollupOptions rollup_options(const config::Config& cfg);

// After a sync: loads the business metrics (when `with_metrics`), then brings allocation, the
// daily rollup and unit costs up to date, printing one line per step, then runs `then` (the
// anomaly and budget checks) while the costs other machines published to a shared ClickHouse
// warehouse are visible, so they are fetched once for both; false when any step failed (`then`
// is skipped when those costs cannot be read).
bool update_models_and_print(const config::Config& cfg, warehouse::Warehouse& wh, bool with_metrics,
                             const std::function<bool()>& then = {});
// Before reading: recomputes allocation / unit costs when rules or data changed since they
// were computed (opens the warehouse for writing only then).
void ensure_models_current(const config::Config& cfg);

// Each adds its subcommand to `app`; when chosen, `action` is set to run it.
void add_init_command(CLI::App& app, Globals& globals, Action& action);
void add_sync_command(CLI::App& app, Globals& globals, Action& action);
void add_status_command(CLI::App& app, Globals& globals, Action& action);
void add_report_command(CLI::App& app, Globals& globals, Action& action);
void add_query_command(CLI::App& app, Globals& globals, Action& action);
void add_validate_command(CLI::App& app, Globals& globals, Action& action);
void add_demo_command(CLI::App& app, Globals& globals, Action& action);
void add_catalog_command(CLI::App& app, Globals& globals, Action& action);
void add_serve_command(CLI::App& app, Globals& globals, Action& action);

// Serves the dashboard and API for `cfg` until SIGTERM (serve, demo); `listen` overrides
// server.listen.
int serve_dashboard(const config::Config& cfg, const std::optional<std::string>& listen);
void add_anomalies_command(CLI::App& app, Globals& globals, Action& action);
void add_budgets_command(CLI::App& app, Globals& globals, Action& action);
void add_alerts_command(CLI::App& app, Globals& globals, Action& action);
void add_run_command(CLI::App& app, Globals& globals, Action& action);
void add_export_command(CLI::App& app, Globals& globals, Action& action);

// Runs the program as `billingfoot ARGS…`; returns the exit status (0, 1 or 2).
int run(int argc, char** argv);

}  // namespace billingfoot::app
