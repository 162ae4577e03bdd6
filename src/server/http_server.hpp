#pragma once
// `billingfoot serve`: the web dashboard at /, the JSON API under /api/v1/, /healthz and
// Prometheus /metrics, on cpp-httplib. Bearer-token authentication when a token is set, a
// request log on stdout (never the token), gzip/brotli for compressible responses, graceful
// stop on SIGTERM / SIGINT.
#include <memory>

#include "config/config.hpp"
#include "server/settings.hpp"

namespace billingfoot::server {

// Serves until SIGTERM or SIGINT; returns the exit status. Prints "listening on http://…/"
// (with the real port when the configured one is 0) once it accepts connections.
int serve(const config::Config& config, const ServerSettings& settings);

}  // namespace billingfoot::server
