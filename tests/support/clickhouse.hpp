#pragma once
// A real ClickHouse server (Debian's clickhouse-server package, 18.16 on Debian 12) for tests:
// a throwaway data directory and config on free loopback ports, UTC, a `billing` user with a
// password; stopped with its process group at destruction. ClickHouseCluster starts several
// such servers forming one cluster (their remote_servers config), one server per shard.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/cli.hpp"
#include "support/server_process.hpp"

namespace billingfoot::testing {

class ClickHouseServer {
 public:
  static constexpr const char* kUser = "billing";
  static constexpr const char* kPassword = "ch-test-secret";

  // Starts the server; throws std::runtime_error with its output when it does not come up.
  ClickHouseServer();
  // A server listening for the native protocol on `tcp_port` whose config also carries
  // `extra_config` (XML elements inside <yandex>, e.g. <remote_servers>).
  ClickHouseServer(int tcp_port, const std::string& extra_config);
  std::string url() const { return process_->url(); }
  int tcp_port() const { return tcp_port_; }
  // Runs one statement as `billing` and returns the body (TabSeparated for SELECT);
  // throws std::runtime_error with ClickHouse's message on failure.
  std::string query(const std::string& sql) const;
  void kill_hard();

  static bool available();

 private:
  TempDir dir_;
  int tcp_port_ = 0;
  std::unique_ptr<ServerProcess> process_;
};

// `shards` servers that all define the cluster `name`: shard N (system.clusters shard_num) is
// server N - 1; each shard is one replica reached as the `billing` user.
class ClickHouseCluster {
 public:
  explicit ClickHouseCluster(const std::string& name, size_t shards = 2);
  const std::string& name() const { return name_; }
  size_t size() const { return servers_.size(); }
  ClickHouseServer& shard(size_t index) { return *servers_.at(index); }  // 0-based
  const ClickHouseServer& shard(size_t index) const { return *servers_.at(index); }

 private:
  std::string name_;
  std::vector<std::unique_ptr<ClickHouseServer>> servers_;
};

// Per billing period (YYYY-MM) of a FOCUS CSV: its rows and exact BilledCost sum in units of
// 1e-10, computed from the file alone (not through billingfoot).
std::map<std::string, std::pair<int64_t, __int128>> focus_csv_totals_by_period(
    const std::filesystem::path& csv);

// Runs `billingfoot report --format json` with each of `variants` in `clickhouse_dir` (with
// `env`) and in `duckdb_dir`, and expects the same output from both.
void expect_reports_equal(const std::filesystem::path& clickhouse_dir,
                          const std::filesystem::path& duckdb_dir,
                          const std::map<std::string, std::string>& env,
                          const std::vector<std::vector<std::string>>& variants);

}  // namespace billingfoot::testing
