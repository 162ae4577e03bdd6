#pragma once
// billingfoot.yaml: loading, ${ENV} expansion and validation. Errors are UsageErrors (exit 2)
// that name the file, line and key, e.g. "billingfoot.yaml:7:5: sources[1].locaton: unknown key".
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/model_config.hpp"

namespace billingfoot::config {

// Where a value came from, for error messages.
struct Origin {
  std::filesystem::path file;
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
  std::string key;  // dotted path, e.g. "sources[0].location"
  std::string describe() const;  // "billingfoot.yaml:7:5: sources[0].location"
};

struct WarehouseConfig {
  std::string type = "duckdb";  // duckdb | clickhouse
  // DuckDB's memory limit (e.g. "1536MB", "4GB"): beyond it, a large sync spills to
  // billingfoot.duckdb.tmp instead of growing (a 10-million-row CUR month stages ~24 GB).
  std::string memory_limit = "1536MB";
  YAML::Node raw;               // the whole mapping, for backends that need more keys
};

// One entry of `sources:`. Keys every source shares are parsed here; the type-specific ones
// stay in `raw` and are checked by the source type (sources/registry).
struct SourceConfig {
  std::string name;
  std::string type;
  std::optional<std::string> location;  // as written (after ${ENV}); see resolve_path
  std::optional<std::string> schedule;
  YAML::Node raw;
  Origin origin;                                 // the entry itself
  Origin origin_of(const std::string& key) const;  // a key inside it (or the entry)
};

struct Config {
  std::filesystem::path file;  // absolute path of the config file
  std::filesystem::path base_dir;  // paths in the file are relative to this
  std::filesystem::path data_dir;  // absolute
  WarehouseConfig warehouse;
  std::string currency = "USD";
  std::vector<SourceConfig> sources;
  // Sections owned by later layers (allocation, metrics, …): kept as parsed YAML.
  YAML::Node allocation, metrics, unit_costs, budgets, alerts, server, anomalies;
  ModelConfig model;  // allocation, metrics and unit_costs, parsed and checked
  YAML::Node root;

  std::filesystem::path resolve_path(const std::string& path) const;
  const SourceConfig* find_source(const std::string& name) const;
};

// A configuration readers share while it may be replaced (`billingfoot run` reloads the file
// on SIGHUP); each reader keeps the snapshot it got for as long as it needs it.
class SharedConfig {
 public:
  explicit SharedConfig(Config config) : current_(std::make_shared<const Config>(std::move(config))) {}
  std::shared_ptr<const Config> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(Config config) {
    auto next = std::make_shared<const Config>(std::move(config));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> current_;
};

// Reads and validates the file. Throws UsageError with file:line context.
Config load(const std::filesystem::path& file);
// Same, from text (for tests and `init`); `file` is used for messages and relative paths.
Config parse(const std::string& text, const std::filesystem::path& file);

// Which file to use: --config if given, else $BILLINGFOOT_CONFIG, else ./billingfoot.yaml.
std::filesystem::path default_config_path(const std::optional<std::string>& flag);

// Replaces ${NAME} with the environment variable's value ($$ is a literal $). Throws
// UsageError naming `origin` when a variable is unset or the syntax is broken.
std::string expand_env(const std::string& text, const Origin& origin);

// The commented starter file `billingfoot init` writes.
std::string starter_config();

}  // namespace billingfoot::config
