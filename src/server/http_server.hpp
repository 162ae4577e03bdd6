#pragma once
// `billingfoot serve`: the web dashboard at /, the JSON API under /api/v1/, /healthz and
// Prometheus /metrics, on cpp-httplib. Bearer-token authentication when a token is set, a
// request log on stdout (never the token), gzip/brotli for compressible responses, graceful
// stop on SIGTERM / SIGINT.
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "server/settings.hpp"
#include "server/warehouse_lease.hpp"

namespace billingfoot::server {

// The server on threads of its own, for `serve` and for `run` (which syncs in the same
// process). Binds in the constructor (throws InputError when it cannot) and prints
// "<program>: listening on http://…/"; the destructor stops it, letting in-flight requests
// finish. `extra_metrics` is appended to /metrics (the scheduler's run metrics).
class BackgroundServer {
 public:
  BackgroundServer(const config::SharedConfig& config, const ServerSettings& settings, WarehouseLease& lease,
                   const std::string& program, std::function<std::string()> extra_metrics = {});
  ~BackgroundServer();
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;
  bool running() const;  // false once the listener has ended on its own (an error)
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves until SIGTERM or SIGINT; returns the exit status. Prints "listening on http://…/"
// (with the real port when the configured one is 0) once it accepts connections.
int serve(const config::Config& config, const ServerSettings& settings);

}  // namespace billingfoot::server
