#include "notify/channels.hpp"

#include <chrono>
#include <ctime>

#include "common/hash.hpp"
#include "common/strings.hpp"
#include "net/http.hpp"

namespace billingfoot::notify {

using nlohmann::json;

namespace {

constexpr size_t kSlackHeaderLimit = 150;  // Block Kit plain_text header limit
constexpr size_t kSlackFieldLimit = 10;    // fields per section

// Slack mrkdwn treats &, < and > as control characters.
std::string slack_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::string link(const AlertEvent& event, const config::AlertChannelConfig& channel) {
  return channel.dashboard_url + (event.link_path.empty() ? "/" : event.link_path);
}

// Final outcome of an HTTP delivery: 2xx is delivered, anything else failed.
DeliveryOutcome post(const config::AlertChannelConfig& channel, const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers) {
  net::Request request;
  request.method = "POST";
  request.url = channel.url;
  request.url_is_secret = true;
  request.body = body;
  request.timeout = std::chrono::seconds(channel.timeout_seconds);
  request.connect_timeout = std::chrono::seconds(std::min(channel.timeout_seconds, 10));
  headers.emplace_back("Content-Type", "application/json");
  request.headers = std::move(headers);

  DeliveryOutcome outcome;
  net::RetryPolicy policy;
  policy.max_attempts = 4;
  policy.what = "alert channel " + channel.name;
  policy.decide = [&outcome](const net::Response& r) {
    ++outcome.attempts;
    return net::default_retry_decision(r);
  };
  try {
    net::Response response = net::send_with_retry(request, policy);
    outcome.http_status = response.status;
    outcome.ok = response.status >= 200 && response.status < 300;
    if (!outcome.ok) {
      std::string detail = response.body.substr(0, 200);
      outcome.message = "HTTP " + std::to_string(response.status) +
                        (detail.empty() ? "" : ": " + detail) + " after " +
                        std::to_string(outcome.attempts) + " attempt" +
                        (outcome.attempts == 1 ? "" : "s");
    }
  } catch (const net::NetworkError& e) {
    outcome.attempts = std::max(outcome.attempts, policy.max_attempts);
    // The URL can be the credential (Slack's path is): name the channel instead.
    outcome.message = e.what();
    std::string url = net::describe_url(channel.url);
    for (size_t at = outcome.message.find(url); !url.empty() && at != std::string::npos;
         at = outcome.message.find(url)) {
      outcome.message.replace(at, url.size(), "(the URL of channel " + channel.name + ")");
    }
  }
  return outcome;
}

}  // namespace

json slack_message(const AlertEvent& event, const config::AlertChannelConfig& channel) {
  std::string header = event.title.size() > kSlackHeaderLimit
                           ? event.title.substr(0, kSlackHeaderLimit - 1) + "…"
                           : event.title;
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", header}}}});
  if (!event.text.empty()) {
    blocks.push_back(
        {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", slack_escape(event.text)}}}});
  }
  json fields = json::array();
  for (const auto& [label, value] : event.fields) {
    if (fields.size() == kSlackFieldLimit) break;
    fields.push_back(
        {{"type", "mrkdwn"}, {"text", "*" + slack_escape(label) + "*\n" + slack_escape(value)}});
  }
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  blocks.push_back(
      {{"type", "actions"},
       {"elements",
        json::array({{{"type", "button"},
                      {"text", {{"type", "plain_text"}, {"text", "Open in billingfoot"}}},
                      {"url", link(event, channel)}}})}});
  blocks.push_back({{"type", "context"},
                    {"elements", json::array({{{"type", "mrkdwn"},
                                               {"text", "billingfoot · " + event.kind +
                                                            " · severity " + event.severity}}})}});
  return {{"text", event.title}, {"blocks", blocks}};
}

std::string webhook_body(const AlertEvent& event, const config::AlertChannelConfig& channel,
                         const std::string& sent_at) {
  json body = {{"version", 1},
               {"event", event.kind},
               {"dedup_key", event.dedup_key},
               {"severity", event.severity},
               {"title", event.title},
               {"text", event.text},
               {"link", link(event, channel)},
               {"sent_at", sent_at},
               {"data", event.data}};
  return body.dump();
}

std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body) {
  return "sha256=" + common::hmac_sha256_hex(secret, timestamp + "." + body);
}

DeliveryOutcome deliver(const AlertEvent& event, const config::AlertChannelConfig& channel,
                        std::ostream& out) {
  if (channel.type == "stdout") {
    out << "ALERT [" << event.severity << "] " << event.title << "\n";
    if (!event.text.empty()) out << "  " << event.text << "\n";
    for (const auto& [label, value] : event.fields) out << "  " << label << ": " << value << "\n";
    out << "  " << link(event, channel) << "\n";
    out.flush();
    return {true, 0, 1, ""};
  }
  if (channel.type == "slack") return post(channel, slack_message(event, channel).dump(), {});

  std::string timestamp = std::to_string(std::time(nullptr));
  std::string body = webhook_body(event, channel, common::iso_utc(std::chrono::system_clock::now()));
  std::vector<std::pair<std::string, std::string>> headers = channel.headers;
  headers.emplace_back("X-Billingfoot-Event", event.kind);
  headers.emplace_back("X-Billingfoot-Delivery", event.dedup_key);
  headers.emplace_back("X-Billingfoot-Timestamp", timestamp);
  if (!channel.secret.empty())
    headers.emplace_back("X-Billingfoot-Signature",
                         webhook_signature(channel.secret, timestamp, body));
  return post(channel, body, std::move(headers));
}

}  // namespace billingfoot::notify
