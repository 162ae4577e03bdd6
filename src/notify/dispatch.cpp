#include "notify/dispatch.hpp"

#include <algorithm>

#include "warehouse/warehouse.hpp"

namespace billingfoot::notify {

bool channel_takes(const config::AlertChannelConfig& channel, const AlertEvent& event) {
  if (event.kind == "test") return true;
  if (std::find(channel.events.begin(), channel.events.end(), event.kind) == channel.events.end())
    return false;
  return config::severity_rank(event.severity) >= config::severity_rank(channel.min_severity);
}

namespace {

bool already_sent(warehouse::Connection& con, const std::string& key, const std::string& channel) {
  auto q = con.prepare(
      "SELECT count(*) FROM alert_deliveries WHERE dedup_key = ? AND channel = ? AND status = "
      "'sent'");
  return q.bind(1, key).bind(2, channel).execute().int64(0, 0) > 0;
}

void record(warehouse::Connection& con, const std::string& key, const AlertEvent& event,
            const std::string& channel, const DeliveryOutcome& outcome,
            const std::string& started_at) {
  auto q = con.prepare(R"(
INSERT INTO alert_deliveries (dedup_key, channel, event, title, status, attempts, http_status, first_attempt_at,
                              last_attempt_at, message)
VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?)
ON CONFLICT (dedup_key, channel) DO UPDATE SET status = excluded.status,
  attempts = alert_deliveries.attempts + excluded.attempts, http_status = excluded.http_status,
  last_attempt_at = excluded.last_attempt_at, message = excluded.message, title = excluded.title)");
  q.bind(1, key)
      .bind(2, channel)
      .bind(3, event.kind)
      .bind(4, event.title)
      .bind(5, outcome.ok ? "sent" : "failed")
      .bind(6, static_cast<int64_t>(outcome.attempts));
  if (outcome.http_status) {
    q.bind(7, static_cast<int64_t>(outcome.http_status));
  } else {
    q.bind_null(7);
  }
  q.bind(8, started_at).bind(9, warehouse::utc_now()).bind(10, outcome.message).execute();
}

}  // namespace

DispatchSummary dispatch(warehouse::Connection& con, const std::vector<AlertEvent>& events,
                         const std::vector<config::AlertChannelConfig>& channels,
                         std::ostream& out) {
  DispatchSummary summary;
  for (const auto& event : events) {
    for (const auto& channel : channels) {
      if (!channel_takes(channel, event)) continue;
      bool sent = already_sent(con, event.dedup_key, channel.name);
      for (const auto& key : event.covers) sent = sent || already_sent(con, key, channel.name);
      if (sent) {
        ++summary.already_sent;
        continue;
      }
      std::string started = warehouse::utc_now();
      DeliveryOutcome outcome = deliver(event, channel, out);
      record(con, event.dedup_key, event, channel.name, outcome, started);
      if (outcome.ok) {
        for (const auto& key : event.covers)
          record(con, key, event, channel.name, outcome, started);
      }
      if (outcome.ok) {
        ++summary.sent;
      } else {
        ++summary.failed;
        summary.errors.push_back("alert channel " + channel.name + ": " + event.dedup_key + ": " +
                                 outcome.message);
      }
    }
  }
  return summary;
}

}  // namespace billingfoot::notify
