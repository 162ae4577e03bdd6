#include "app/app.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "app/output.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "config/analysis_config.hpp"
#include "focus/catalogue.hpp"
#include "sources/source.hpp"

namespace billingfoot::app {

namespace fs = std::filesystem;

config::Config load_config(const Globals& globals) {
  config::Config cfg = config::load(config::default_config_path(globals.config_path));
  sources::validate_source_configs(cfg);
  config::parse_analysis_config(cfg);  // anomalies:, budgets:, alerts: are checked on every load
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
      {2, "business_metrics and unit_costs (cost_allocated is rebuilt by allocation)",
       R"(CREATE TABLE business_metrics (
  metric VARCHAR NOT NULL,
  date DATE NOT NULL,                  -- first day of the period at the metric's grain
  value DECIMAL(38,10) NOT NULL
  -- one VARCHAR column per dimension (product, region, …) is added by the first load using it
);
CREATE TABLE unit_costs (
  name VARCHAR NOT NULL,
  period_start DATE NOT NULL,
  cost DECIMAL(38,10) NOT NULL,
  metric_value DECIMAL(38,10),         -- NULL: the metric has no value for the period
  unit_cost DECIMAL(38,10),            -- cost × per / metric_value; NULL when metric is 0 or NULL
  cost_change DECIMAL(38,10),          -- since the previous period of the series
  metric_change DECIMAL(38,10),
  marginal_unit_cost DECIMAL(38,10)    -- cost_change × per / metric_change
);)"},
      {5, "cost_forecasts: provider projections of a month's cost (kept apart from focus_costs)",
       R"(CREATE TABLE cost_forecasts (
  source VARCHAR NOT NULL,
  billing_period VARCHAR NOT NULL,     -- YYYY-MM the forecast is for
  provider VARCHAR NOT NULL,
  billing_account_id VARCHAR,
  sub_account_id VARCHAR,
  sub_account_name VARCHAR,
  service_name VARCHAR,
  product VARCHAR,
  charge_type VARCHAR,
  forecast_cost DECIMAL(38,10) NOT NULL,
  currency VARCHAR NOT NULL,
  method VARCHAR NOT NULL,             -- provider_projection: the provider's own month-end projection
  recorded_at TIMESTAMP NOT NULL
);)"},
      {6, "anomalies, budget_status and alert_deliveries", R"(CREATE TABLE anomalies (
  anomaly_id VARCHAR PRIMARY KEY,
  dimension VARCHAR NOT NULL,          -- ServiceName, tag:team, an allocation dimension, …
  value VARCHAR NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,              -- inclusive
  expected_cost DECIMAL(38,10) NOT NULL,
  actual_cost DECIMAL(38,10) NOT NULL,
  impact DECIMAL(38,10) NOT NULL,      -- actual_cost - expected_cost
  severity VARCHAR NOT NULL,           -- low | medium | high | critical
  status VARCHAR NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  root_cause JSON,                     -- {"summary": …, "by": {dimension: [{value, actual, expected, delta, share}]}}
  detected_at TIMESTAMP NOT NULL,
  kind VARCHAR NOT NULL,               -- spike | sustained | new_spend | drop
  cost_metric VARCHAR NOT NULL,        -- billed | effective | list | contracted
  peak_score DOUBLE,                   -- largest robust z-score of its days
  judged_through DATE NOT NULL,        -- the scope's data was complete through this day
  updated_at TIMESTAMP NOT NULL,
  status_changed_at TIMESTAMP,
  status_note VARCHAR
);
CREATE TABLE budget_status (
  name VARCHAR NOT NULL,
  period_start DATE NOT NULL,
  amount DECIMAL(38,10) NOT NULL,
  actual DECIMAL(38,10) NOT NULL,
  forecast DECIMAL(38,10) NOT NULL,    -- period end; = actual for closed periods
  pct_used DOUBLE NOT NULL,            -- actual / amount × 100
  forecast_overrun DECIMAL(38,10) NOT NULL,  -- max(0, forecast - amount)
  period VARCHAR NOT NULL,             -- monthly | quarterly | yearly
  period_end DATE NOT NULL,            -- exclusive
  forecast_low DECIMAL(38,10) NOT NULL,   -- 90 % interval
  forecast_high DECIMAL(38,10) NOT NULL,
  pct_forecast DOUBLE NOT NULL,
  complete_through DATE,
  state VARCHAR NOT NULL,              -- ok | warning | at_risk | over
  cost_metric VARCHAR NOT NULL,
  is_current BOOLEAN NOT NULL,
  computed_at TIMESTAMP NOT NULL,
  PRIMARY KEY (name, period_start)
);
CREATE TABLE alert_deliveries (
  dedup_key VARCHAR NOT NULL,          -- one event, e.g. anomaly:<id> or budget:<name>:<period>:actual:0.8
  channel VARCHAR NOT NULL,            -- alerts[].name
  event VARCHAR NOT NULL,              -- anomaly | budget | test
  title VARCHAR NOT NULL,
  status VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
  attempts INTEGER NOT NULL,           -- HTTP attempts over all runs
  http_status INTEGER,
  first_attempt_at TIMESTAMP NOT NULL,
  last_attempt_at TIMESTAMP NOT NULL,
  message VARCHAR NOT NULL,            -- why it failed ('' when sent)
  PRIMARY KEY (dedup_key, channel)
);
COMMENT ON TABLE anomalies IS 'Cost anomalies per monitored scope (dimension = value): days, expected vs actual cost, impact, severity, status open / acknowledged / resolved, root cause; one row per anomaly for its whole life';
COMMENT ON COLUMN anomalies.impact IS 'actual_cost - expected_cost over start_date..end_date (inclusive)';
COMMENT ON COLUMN anomalies.root_cause IS 'JSON: summary (the main driver in words) and, per root-cause dimension, the top values by change with their share of the impact';
COMMENT ON COLUMN anomalies.judged_through IS 'The data of the scope was complete through this day when it was last judged';
COMMENT ON TABLE budget_status IS 'Each budget period up to the current one: amount, actual, forecast to period end with a 90 % interval, % used, forecast overrun';
COMMENT ON COLUMN budget_status.pct_used IS 'actual / amount x 100';
COMMENT ON COLUMN budget_status.forecast_overrun IS 'max(0, forecast - amount)';
COMMENT ON TABLE alert_deliveries IS 'One row per alert event and channel: sent or failed, attempts, last error; a sent key is never sent again';)"},
      {7, "runs: one row per sync of a source",
       R"(CREATE TABLE runs (
  run_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  status VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
  partitions_loaded BIGINT NOT NULL,
  partitions_unchanged BIGINT NOT NULL,
  partitions_failed BIGINT NOT NULL,
  rows BIGINT NOT NULL,
  message VARCHAR NOT NULL
);
COMMENT ON TABLE runs IS 'One row per sync of one source: when, outcome, billing periods loaded / unchanged / failed, rows loaded, errors';
COMMENT ON TABLE loads IS 'One row per (source, billing period) load attempt: fingerprint, rows, costs, status ok / failed / skipped';
COMMENT ON TABLE source_state IS 'Per-source state kept across syncs, e.g. delivery fingerprints';
COMMENT ON TABLE focus_costs IS 'One row per charge in FOCUS 1.2 (+1.3) columns, from every source; replaced per source and billing period';)"},
  };
  return migrations;
}

fs::path warehouse_file(const config::Config& config) { return config.data_dir / "billingfoot.duckdb"; }

namespace {

// One writing process per data directory: an advisory lock on <data_dir>/billingfoot.lock, held
// while a read-write warehouse of this process is open, with the holder's pid in the file for the
// message. Opening the warehouse again in the same process shares the lock.
class DataDirLock {
 public:
  explicit DataDirLock(int fd) : fd_(fd) {}
  ~DataDirLock() { ::close(fd_); }  // closing the descriptor releases the lock
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_;
};

std::shared_ptr<DataDirLock> lock_data_dir(const fs::path& data_dir) {
  static std::map<std::string, std::weak_ptr<DataDirLock>> held;  // data dir → its lock
  fs::create_directories(data_dir);
  std::string key = fs::weakly_canonical(data_dir).string();
  if (auto lock = held[key].lock()) return lock;
  fs::path lock_file = data_dir / "billingfoot.lock";
  int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError("cannot open " + lock_file.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? common::trim(std::string(buf, static_cast<size_t>(n))) : "unknown";
    ::close(fd);
    throw InputError("another billingfoot process (pid " + pid + ") is writing to " + data_dir.string() +
                     "; wait for it to finish or stop it");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  auto lock = std::make_shared<DataDirLock>(fd);
  held[key] = lock;
  return lock;
}

}  // namespace

std::shared_ptr<void> hold_data_dir(const config::Config& config) { return lock_data_dir(config.data_dir); }

warehouse::ClickHouse clickhouse_of(const config::Config& config) {
  const YAML::Node& w = config.warehouse.raw;
  auto get = [&](const char* key) {
    return w[key] && w[key].IsScalar() ? w[key].Scalar() : std::string();
  };
  warehouse::ClickHouseSettings settings;
  settings.url = get("url");
  settings.database = get("database");
  settings.user = get("user");
  settings.password = get("password");
  settings.cluster = get("cluster");
  if (w["shards"] && w["shards"].IsSequence()) {
    for (const auto& shard : w["shards"]) settings.shard_urls.push_back(shard.Scalar());
  }
  return warehouse::ClickHouse(std::move(settings));
}

void read_clickhouse_when_configured(const config::Config& config, server::ServerSettings& settings) {
  if (config.warehouse.type != "clickhouse") return;
  warehouse::ClickHouse ch = clickhouse_of(config);
  settings.clickhouse = [ch] { return std::make_unique<warehouse::ClickHouse>(ch); };
}

bool publish_and_print(const config::Config& config, warehouse::Warehouse& wh, std::ostream& out) {
  if (config.warehouse.type != "clickhouse") return true;
  auto ch = clickhouse_of(config);
  try {
    auto published = warehouse::publish_to_clickhouse(ch, wh.connection(), config.data_dir, {});
    for (const auto& p : published) {
      out << fmt::format("clickhouse  {}  {}  {:<9}  {} rows  {} {} billed\n", p.source, p.billing_period,
                         p.unchanged ? "unchanged" : "published", p.rows, format_money(p.billed_cost),
                         config.currency);
    }
    // The model tables follow, so readers of ClickHouse find allocation, rollup, unit costs,
    // anomalies and budgets there too.
    std::vector<std::string> own;
    for (const auto& src : config.sources) own.push_back(src.name);
    for (const auto& m : warehouse::mirror_models_to_clickhouse(ch, wh.connection(), config.data_dir, own)) {
      out << fmt::format("clickhouse  model {:<15}  {} partitions sent, {} unchanged{}  {} rows\n", m.table,
                         m.partitions_sent, m.partitions_unchanged,
                         m.partitions_dropped ? fmt::format(", {} dropped", m.partitions_dropped) : "", m.rows);
    }
    return true;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return false;
  }
}

std::unique_ptr<warehouse::OtherWriters> other_writers_of(const config::Config& config,
                                                          warehouse::Warehouse& wh,
                                                          std::ostream& out) {
  if (config.warehouse.type != "clickhouse") return nullptr;
  // Every column the whole-warehouse models group or filter by.
  config::AnalysisConfig analysis = config::parse_analysis_config(config);
  std::vector<std::string> dimensions = analysis.anomalies.dimensions;
  for (const auto& d : analysis.anomalies.root_cause_dimensions) dimensions.push_back(d);
  for (const auto& b : analysis.budgets) {
    for (const auto& [d, values] : b.scope) dimensions.push_back(d);
  }
  for (const auto& d : config.model.allocation.dimensions) dimensions.push_back(d.name);
  for (const auto& u : config.model.unit_costs) {
    for (const auto& c : u.cost_filter) dimensions.push_back(c.subject);
  }
  auto ch = clickhouse_of(config);
  auto others = std::make_unique<warehouse::OtherWriters>(ch, wh.connection(), dimensions,
                                                          config.data_dir);
  if (!others->sources().empty()) {
    out << fmt::format("models  with {} more source{} from ClickHouse: {} ({} day rows)\n",
                       others->sources().size(), others->sources().size() == 1 ? "" : "s",
                       common::join(others->sources(), ", "), others->rows());
  }
  if (!others->unallocated_sources().empty()) {
    spdlog::warn(
        "ClickHouse holds no allocated costs of {}: unit costs, anomalies and budgets by "
        "allocation dimension leave them out until their machine publishes cost_allocated",
        common::join(others->unallocated_sources(), ", "));
  }
  return others;
}

warehouse::Warehouse open_warehouse(const config::Config& config, Access access) {
  fs::path file = warehouse_file(config);
  // A running `serve` holds the file only while it answers requests; wait for it.
  warehouse::OpenOptions read_write;
  read_write.memory_limit = config.warehouse.memory_limit;
  read_write.lock_wait = std::chrono::seconds(120);
  if (access == Access::ReadWrite) {
    auto lock = lock_data_dir(config.data_dir);
    auto wh = warehouse::Warehouse::open(file, schema_migrations(), read_write);
    wh.hold_until_closed(std::move(lock));
    try {
      wh.compact_fragmented_tables();  // what the previous writers appended
    } catch (const std::exception& e) {
      // Housekeeping only (rolled back on failure): the sync goes on, the next open retries.
      spdlog::warn("compacting small tables failed: {}", e.what());
    }
    return wh;
  }
  if (!fs::exists(file)) {
    throw InputError("no warehouse at " + file.string() + " yet: run `billingfoot sync` first");
  }
  warehouse::OpenOptions read_only = read_write;
  read_only.read_only = true;
  read_only.lock_wait = std::chrono::seconds(30);  // a running sync holds the file
  bool outdated = false;
  {
    auto probe = warehouse::Warehouse::open(file, {}, read_only);
    outdated = probe.needs_migration(schema_migrations());
  }
  // Bring an older warehouse file up to date before reading it.
  if (outdated) {
    auto lock = lock_data_dir(config.data_dir);
    warehouse::Warehouse::open(file, schema_migrations(), read_write);
  }
  // SQL from users must not reach the filesystem.
  read_only.external_access = access == Access::ReadOnlyWritingFiles;
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
  add_catalog_command(app, globals, action);
  add_serve_command(app, globals, action);
  add_anomalies_command(app, globals, action);
  add_budgets_command(app, globals, action);
  add_alerts_command(app, globals, action);
  add_run_command(app, globals, action);
  add_export_command(app, globals, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  configure_logging(globals.log_level);
  // Past a file-size limit (ulimit -f, a quota) a write should fail with EFBIG and be reported
  // like a full disk, not kill the process.
  signal(SIGXFSZ, SIG_IGN);
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
