#include "sources/datadog/usage_api.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "common/errors.hpp"

namespace billingfoot::sources::datadog {

namespace {

// Datadog error bodies are {"errors": ["..."]}; anything else is shown as (shortened) text.
std::string datadog_says(const std::string& body) {
  std::string said;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("errors") && json["errors"].is_array()) {
    for (const auto& e : json["errors"]) {
      said += (said.empty() ? "" : "; ") + (e.is_string() ? e.get<std::string>() : e.dump());
    }
  } else {
    said = body;
  }
  if (said.size() > 300) said = said.substr(0, 300) + "…";
  return said.empty() ? "(no details)" : said;
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_decision(const net::Response& response) {
  if (response.status == 429) {
    std::string reset = response.header("x-ratelimit-reset");
    try {
      long seconds = std::stol(reset);
      if (seconds >= 0 && seconds <= 3600) {
        static thread_local std::mt19937 rng{std::random_device{}()};
        long wait_ms = seconds * 1000;
        long jitter = std::uniform_int_distribution<long>(0, std::max(50L, wait_ms / 10))(rng);
        return std::chrono::milliseconds(wait_ms + jitter);
      }
    } catch (const std::exception&) {
      // No usable X-RateLimit-Reset: fall back to exponential backoff.
    }
    return std::chrono::milliseconds(0);
  }
  if (response.status >= 500) return std::chrono::milliseconds(0);
  return std::nullopt;
}

std::string describe_request(const std::string& path, const Query& query) {
  std::string text = "GET " + path;
  for (size_t i = 0; i < query.size(); ++i) {
    text += (i == 0 ? "?" : "&") + query[i].first + "=" + query[i].second;
  }
  return text;
}

std::string UsageApi::get(const std::string& path, const Query& query) const {
  net::Request request;
  request.url = settings_.api_base + path;
  for (size_t i = 0; i < query.size(); ++i) {
    request.url += (i == 0 ? "?" : "&") + net::url_encode(query[i].first) + "=" +
                   net::url_encode(query[i].second);
  }
  request.headers = {{"DD-API-KEY", settings_.api_key},
                     {"DD-APPLICATION-KEY", settings_.app_key},
                     {"Accept", "application/json"}};
  request.timeout = std::chrono::seconds(120);
  net::RetryPolicy policy;
  policy.decide = retry_decision;
  policy.max_attempts = 6;
  policy.what = "source " + settings_.name + ": " + describe_request(path, query);

  net::Response response;
  try {
    response = net::send_with_retry(request, policy);
  } catch (const net::NetworkError& e) {
    throw InputError("source " + settings_.name + ": cannot reach Datadog at " +
                     settings_.api_base + ": " + e.what());
  }
  if (response.status >= 200 && response.status < 300) return response.body;

  std::string what = "source " + settings_.name + ": Datadog answered " +
                     describe_request(path, query) + " with HTTP " +
                     std::to_string(response.status);
  std::string said = datadog_says(response.body);
  switch (response.status) {
    case 400:
      throw InputError(what + " (bad request): " + said);
    case 401:
      throw InputError(
          what + " (unauthorized): the API key or application key is not valid for " +
          settings_.api_base +
          " (keys belong to one Datadog site; check site:, api_key, app_key). Datadog said: " +
          said);
    case 403:
      throw InputError(
          what + " (forbidden): the application key's user needs the usage_read permission " +
          "(hourly usage) and usage_read + billing_read (cost endpoints), and cost is " +
          "only available to a parent-level organization. Datadog said: " + said);
    case 429:
      throw InputError(what + " (rate limited) on every attempt (" +
                       std::to_string(policy.max_attempts) + "); try again after " +
                       response.header("x-ratelimit-reset") + " s. Datadog said: " + said);
    default:
      throw InputError(what +
                       (response.status >= 500
                            ? " (server error, gave up after " +
                                  std::to_string(policy.max_attempts) + " attempts)"
                            : "") +
                       ": " + said);
  }
}

}  // namespace billingfoot::sources::datadog
