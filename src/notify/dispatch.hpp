#pragma once
// Sends events to the configured channels exactly once each: a (dedup key, channel) pair that
// alert_deliveries records as sent is skipped (also when a key the event covers was sent), so
// the same anomaly or budget threshold is not announced again on the next run. Failures are
// recorded there too (with attempts and the reason) and retried on the next run; `status` and
// `alerts log` show them.
#include <ostream>
#include <string>
#include <vector>

#include "config/analysis_config.hpp"
#include "notify/channels.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::notify {

struct DispatchSummary {
  int sent = 0;
  int already_sent = 0;  // skipped: delivered by an earlier run
  int failed = 0;
  std::vector<std::string> errors;  // "channel slack: anomaly:…: HTTP 500 …"
};

// Whether `channel` takes `event` (its events list and min_severity; test events always).
bool channel_takes(const config::AlertChannelConfig& channel, const AlertEvent& event);

DispatchSummary dispatch(warehouse::Connection& connection, const std::vector<AlertEvent>& events,
                         const std::vector<config::AlertChannelConfig>& channels,
                         std::ostream& out);

}  // namespace billingfoot::notify
