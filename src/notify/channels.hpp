#pragma once
// Alert delivery: one event, one channel. Slack incoming webhooks get a Block Kit message with
// a button to the dashboard view; generic webhooks get the JSON payload below, signed when the
// channel has a secret; stdout prints a few lines. HTTP goes through net::send_with_retry
// (5xx and 429 are retried with backoff, Retry-After honoured). Webhook URLs carry secrets
// (Slack's path is the credential): they never appear in messages, only channel names.
//
// Generic webhook payload (version 1), POSTed as application/json:
//   {"version": 1, "event": "anomaly" | "budget" | "test", "dedup_key": "…",
//    "severity": "low" | "medium" | "high" | "critical", "title": "…", "text": "…",
//    "link": "http://…", "sent_at": "2025-01-31T08:00:00Z", "data": {…event details…}}
// Headers: X-Billingfoot-Event, X-Billingfoot-Delivery (the dedup key, the same on every
// retry), X-Billingfoot-Timestamp (Unix seconds) and, with a secret,
// X-Billingfoot-Signature: sha256=HEX(HMAC-SHA256(secret, TIMESTAMP + "." + BODY)).
// Receivers recompute the signature over the raw body and reject stale timestamps.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "config/analysis_config.hpp"

namespace billingfoot::notify {

struct AlertEvent {
  std::string kind;       // anomaly | budget | test
  std::string dedup_key;  // the same event always has the same key
  // Keys of events this one also announces (the same incident seen in other scopes): when
  // any of them was delivered, so was this; delivering this delivers them.
  std::vector<std::string> covers;
  std::string severity;                                     // low | medium | high | critical
  std::string title;                                        // one line
  std::string text;                                         // a few plain lines
  std::vector<std::pair<std::string, std::string>> fields;  // label → value, shown as a grid
  std::string link_path;  // appended to the channel's dashboard_url, e.g. "/anomalies/ID"
  nlohmann::json data = nlohmann::json::object();  // machine-readable details
};

struct DeliveryOutcome {
  bool ok = false;
  long http_status = 0;  // 0: no HTTP response (stdout, network failure)
  int attempts = 0;      // HTTP responses received (the limit when the network failed)
  std::string message;   // why it failed
};

nlohmann::json slack_message(const AlertEvent& event, const config::AlertChannelConfig& channel);
std::string webhook_body(const AlertEvent& event, const config::AlertChannelConfig& channel,
                         const std::string& sent_at);
// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body);

// Sends one event; `out` receives stdout channels' text. Never throws for delivery failures.
DeliveryOutcome deliver(const AlertEvent& event, const config::AlertChannelConfig& channel,
                        std::ostream& out);

}  // namespace billingfoot::notify
