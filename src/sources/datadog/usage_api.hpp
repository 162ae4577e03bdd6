#pragma once
// Datadog's Usage Metering API v2 over the shared HTTP client: GETs authenticated with the
// DD-API-KEY / DD-APPLICATION-KEY headers, Datadog's rate-limit protocol (on 429 wait
// X-RateLimit-Reset seconds), backoff with jitter on 5xx, and errors that say what to fix
// (a 403 names the usage_read / billing_read permissions).
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/http.hpp"
#include "sources/datadog/settings.hpp"

namespace billingfoot::sources::datadog {

using Query = std::vector<std::pair<std::string, std::string>>;

// Retry 429 after X-RateLimit-Reset seconds plus up to 10% jitter (exponential backoff when the
// header is missing), 5xx with exponential backoff; everything else is final.
std::optional<std::chrono::milliseconds> retry_decision(const net::Response& response);

// "GET /api/v2/usage/hourly_usage?filter[...]=..." — the query carries no secret (the keys
// travel in headers), so errors can show it.
std::string describe_request(const std::string& path, const Query& query);

class UsageApi {
 public:
  explicit UsageApi(const Settings& settings) : settings_(settings) {}
  // The 2xx body of GET <api_base><path>?<query>. Throws InputError naming the source, the
  // request and the problem (and what to do about it).
  std::string get(const std::string& path, const Query& query) const;

 private:
  const Settings& settings_;
};

}  // namespace billingfoot::sources::datadog
