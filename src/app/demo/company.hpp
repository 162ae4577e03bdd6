#pragma once
// Nimbus Hosting, the demo company: a web-hosting and e-commerce business whose teams run
// products on AWS, Google Cloud, Azure and Datadog. This file holds what all providers share:
// who owns what, how busy each workload is on a given day (growth, weekly rhythm, noise,
// incidents), and how tags are written (realistically messy, so allocation has work to do).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/demo/calendar.hpp"
#include "app/demo/rng.hpp"

namespace billingfoot::app::demo {

// Who a resource belongs to; an empty product means shared infrastructure.
struct Owner {
  std::string_view team;
  std::string_view product;
  std::string_view env;  // prod | staging | dev
};

// How a workload's activity moves over time.
struct Shape {
  double growth;   // per month, on average (each workload varies ±1 point around it)
  double weekend;  // activity on Saturday and Sunday relative to a weekday
  double noise;    // day-to-day standard deviation, relative
};
inline constexpr Shape kTraffic{0.03, 0.68, 0.04};  // customer traffic: quieter weekends
inline constexpr Shape kOffice{0.035, 0.35, 0.10};  // analysts and CI: mostly weekdays
inline constexpr Shape kSteady{0.025, 1.0, 0.01};   // storage, always-on capacity

// A few days during which a workload costs a multiple of normal, for anomaly detection to find.
struct Incident {
  std::string_view workload;
  int first_day;  // index in the timeline
  int days;
  double factor;
  std::string_view story;
};

class Company {
 public:
  static constexpr std::string_view kName = "Nimbus Hosting";
  static constexpr int kMonths = 13;

  Company(uint64_t seed, Day as_of);

  uint64_t seed() const { return seed_; }
  const Timeline& timeline() const { return timeline_; }
  const std::vector<Incident>& incidents() const;

  // Relative activity of `workload` on `day`: about 1 on a weekday of the first month.
  double activity(std::string_view workload, const Shape& shape, Day day) const;

  // Tags of a resource as a JSON object ("" = untagged). Fixed per resource key; about one in
  // twelve resources is untagged, some use `Team` or `owner-team` for `team`, some write values
  // in another case. Provider tags (e.g. aws:eks:cluster-name) are kept even when untagged.
  std::string tags(
      std::string_view resource_key, const Owner& owner,
      const std::vector<std::pair<std::string, std::string>>& provider_tags = {}) const;

  Rng rng(std::string_view key) const { return Rng(seed_, key); }

 private:
  uint64_t seed_;
  Timeline timeline_;
};

}  // namespace billingfoot::app::demo
