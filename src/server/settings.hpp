#pragma once
// How `billingfoot serve` runs: the `server:` section of billingfoot.yaml, overridden by
// --listen. Listening beyond loopback requires a bearer token (refused at start otherwise).
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "warehouse/clickhouse.hpp"

namespace billingfoot::server {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 8080;           // 0 = any free port (tests)
  std::string text() const;  // "127.0.0.1:8080", "[::1]:8080"
};

struct ServerSettings {
  ListenAddress listen;
  std::string token;                       // "" = no authentication (loopback only)
  std::filesystem::path dashboards_dir;    // dashboards as code: *.yaml
  std::filesystem::path web_dir;           // the built dashboard (index.html, assets/)
  size_t max_rows = 10000;                 // row limit of SQL results (query API, SQL panels)
  std::chrono::seconds query_timeout{30};  // time limit of one SQL statement
  // A read-only handle on the warehouse is closed after this long without requests, so a
  // `sync` in another process can take the file.
  std::chrono::milliseconds idle_close{300};
  // Set for a ClickHouse warehouse: a client per request; cost data, derived tables and SQL are
  // then read from ClickHouse (sources, loads and runs stay this machine's, in the local file).
  std::function<std::unique_ptr<warehouse::ClickHouse>()> clickhouse;
};

// HOST:PORT, [IPv6]:PORT; throws UsageError naming `what` otherwise.
ListenAddress parse_listen(const std::string& text, const std::string& what);

// 127.0.0.0/8, ::1 and localhost.
bool is_loopback(const std::string& host);

// Reads cfg.server (keys: listen, token, dashboards, max_rows, query_timeout_seconds);
// `listen_flag` wins over server.listen. Throws UsageError for unknown keys, bad values, and a
// non-loopback address without a token.
ServerSettings server_settings(const config::Config& cfg,
                               const std::optional<std::string>& listen_flag);

// Where the built web dashboard is: $BILLINGFOOT_WEB_DIR, else <binary dir>/web (build tree),
// else <binary dir>/../share/billingfoot/web (installed). Empty when none has index.html.
std::filesystem::path find_web_dir();

}  // namespace billingfoot::server
