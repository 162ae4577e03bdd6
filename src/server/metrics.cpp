#include "server/metrics.hpp"

#include <fmt/format.h>

namespace billingfoot::server {

namespace {
const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::observe(const std::string& route, const std::string& method, int status,
                      double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  if (h.buckets.empty()) h.buckets.assign(kBuckets.size(), 0);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out =
      "# HELP billingfoot_http_requests_total HTTP requests answered, by route, method and "
      "status.\n"
      "# TYPE billingfoot_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format(
        "billingfoot_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
        prometheus_label(route), prometheus_label(method), status, n);
  }
  out +=
      "# HELP billingfoot_http_request_duration_seconds Time to answer a request, by route.\n"
      "# TYPE billingfoot_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::string label = prometheus_label(route);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format(
          "billingfoot_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{:g}\"}} {}\n",
          label, kBuckets[i], h.buckets[i]);
    }
    out += fmt::format(
        "billingfoot_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
        h.count);
    out += fmt::format("billingfoot_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n",
                       label, h.sum);
    out += fmt::format("billingfoot_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       label, h.count);
  }
  return out;
}

}  // namespace billingfoot::server
