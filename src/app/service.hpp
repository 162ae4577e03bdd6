#pragma once
// `billingfoot run`, the long-running service: syncs each source on its own cron schedule
// (UTC), one sync at a time, then brings the rollup and models up to date and runs anomaly /
// budget checks and alerts when those are configured; serves the dashboard and API from the
// same process when `server:` is configured (or --listen is given).
//
// - A failed source is retried with exponential backoff, never later than its next scheduled
//   run, and never holds up the others.
// - A source that has no successful run within its schedule's longest gap (never synced, or
//   the service was down) runs at start.
// - The data directory is locked for the life of the process: a second `run` or a `sync` on
//   the same directory is refused with the holder's pid.
// - SIGHUP reloads billingfoot.yaml; an invalid file is logged and the running configuration
//   kept. SIGTERM / SIGINT stop after the source being synced (each billing period commits
//   atomically); a second signal exits at once, and the uncommitted period is rolled back.
#include <chrono>
#include <optional>
#include <string>

#include "app/app.hpp"

namespace billingfoot::app {

struct ServiceOptions {
  std::optional<std::string> listen;  // serve here; else server.listen when server: is configured
  bool no_server = false;
  double time_scale = 1.0;  // virtual seconds per real second: drills run schedules faster
};

// The wait before retrying a source after `failures` consecutive failed runs (1 = first):
// base × 2^(failures-1), at most cap, times a jitter factor in [0.8, 1.2) from `jitter` in
// [0, 1).
std::chrono::seconds retry_delay(int failures, std::chrono::seconds base, std::chrono::seconds cap,
                                 double jitter);

int run_service(const Globals& globals, const ServiceOptions& options);

}  // namespace billingfoot::app
