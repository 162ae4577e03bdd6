#include "app/demo/company.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

namespace billingfoot::app::demo {

Company::Company(uint64_t seed, Day as_of)
    : seed_(seed), timeline_(Timeline::ending(as_of, kMonths)) {}

const std::vector<Incident>& Company::incidents() const {
  // Placed by day index so that they always fall in complete months of the history.
  static const std::vector<Incident> all = {
      {"aws/ec2/shop-web", 128, 4, 3.2,
       "autoscaling loop on the storefront fleet after a bad deploy"},
      {"aws/cloudfront/hosting-cdn", 211, 3, 4.5, "bot traffic on customer sites"},
      {"gcp/bigquery/analysis", 302, 5, 5.0,
       "a new dashboard scanning the whole events table on every refresh"},
  };
  return all;
}

double Company::activity(std::string_view workload, const Shape& shape, Day day) const {
  Rng r = rng(workload);
  int index = timeline_.day_index(day);
  double growth = shape.growth + 0.01 * (2 * r.unit(-1) - 1);
  double trend = std::pow(1 + growth, timeline_.months_elapsed(day));
  double week = is_weekend(day) ? shape.weekend : 1.0;
  double noise = 1 + shape.noise * std::clamp(r.normal(index), -2.5, 2.5);
  double incident = 1.0;
  for (const auto& i : incidents()) {
    if (i.workload == workload && index >= i.first_day && index < i.first_day + i.days)
      incident = i.factor;
  }
  return trend * week * noise * incident;
}

namespace {

std::string recase(std::string_view value, double draw) {
  std::string out(value);
  if (draw < 0.03) {
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else if (draw < 0.08 && !out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

}  // namespace

std::string Company::tags(
    std::string_view resource_key, const Owner& owner,
    const std::vector<std::pair<std::string, std::string>>& provider_tags) const {
  Rng r = rng("tags/" + std::string(resource_key));
  nlohmann::ordered_json tags = nlohmann::ordered_json::object();
  if (!r.chance(0.08, 0)) {
    double key = r.unit(1);
    const char* team_key = key < 0.80 ? "team" : key < 0.92 ? "Team" : "owner-team";
    tags[team_key] = recase(owner.team, r.unit(2));
    if (!owner.product.empty() && !r.chance(0.06, 3))
      tags["product"] = recase(owner.product, r.unit(4));
    if (!r.chance(0.05, 5)) tags["env"] = recase(owner.env, r.unit(6));
  }
  for (const auto& [k, v] : provider_tags) tags[k] = v;
  return tags.empty() ? "" : tags.dump();
}

}  // namespace billingfoot::app::demo
