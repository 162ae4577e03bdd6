#pragma once
// A real ClickHouse server (Debian's clickhouse-server package, 18.16 on Debian 12) for tests:
// a throwaway data directory and config on free loopback ports, UTC, a `billing` user with a
// password; stopped with its process group at destruction.
#include <memory>
#include <string>

#include "support/cli.hpp"
#include "support/server_process.hpp"

namespace billingfoot::testing {

class ClickHouseServer {
 public:
  static constexpr const char* kUser = "billing";
  static constexpr const char* kPassword = "ch-test-secret";

  // Starts the server; throws std::runtime_error with its output when it does not come up.
  ClickHouseServer();
  std::string url() const { return process_->url(); }
  // Runs one statement as `billing` and returns the body (TabSeparated for SELECT);
  // throws std::runtime_error with ClickHouse's message on failure.
  std::string query(const std::string& sql) const;
  void kill_hard();

  static bool available();

 private:
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace billingfoot::testing
