#pragma once
// Prometheus metrics of the server (text exposition format 0.0.4): request counts by route and
// status, a latency histogram by route, and the data freshness gauges /metrics adds from the
// warehouse.
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace billingfoot::server {

class Metrics {
 public:
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  // The request metrics as exposition text (# HELP / # TYPE lines included).
  std::string render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts per upper bound in kBuckets
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// A label value escaped for the exposition format (backslash, quote, newline).
std::string prometheus_label(const std::string& value);

}  // namespace billingfoot::server
