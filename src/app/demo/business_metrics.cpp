// The demo company's business numbers, as its application database would export them
// (`\copy (SELECT …) TO … CSV HEADER` from PostgreSQL): daily active users per product, daily
// shop orders and hosted sites per month. They follow the same activity curves as the
// infrastructure that serves them, so unit costs come out stable with realistic wobble.
#include "app/demo/business_metrics.hpp"

#include <fmt/format.h>

#include <cmath>

namespace billingfoot::app::demo {

namespace {

struct Series {
  std::string_view product;
  std::string_view workload;  // the activity curve the numbers follow
  double base;                // on a weekday of the first month
};

GeneratedFile daily_csv(const Company& company, std::string path,
                        const std::vector<Series>& series) {
  GeneratedFile file{std::move(path), "date,product,value\n", 0};
  company.timeline().for_each_day([&](Day day) {
    for (const auto& s : series) {
      double value = std::round(s.base * company.activity(s.workload, kTraffic, day));
      file.content +=
          fmt::format("{},{},{}\n", iso_date(day), s.product, static_cast<int64_t>(value));
      ++file.rows;
    }
  });
  return file;
}

}  // namespace

std::vector<GeneratedFile> generate_business_metrics(const Company& company) {
  std::vector<GeneratedFile> files;
  files.push_back(daily_csv(company, "metrics/active_users.csv",
                            {{"shop-builder", "aws/ec2/shop-web", 18400},
                             {"web-hosting", "aws/ec2/hosting-web-eu", 52300},
                             {"email", "aws/ec2/mail-mx", 31700},
                             {"domains", "metrics/users/domains", 8900}}));
  files.push_back(
      daily_csv(company, "metrics/orders.csv", {{"shop-builder", "aws/ec2/shop-workers", 26500}}));
  GeneratedFile sites{"metrics/hosted_sites.csv", "date,product,value\n", 0};
  company.timeline().for_each_day(
      [](Day) {},
      [&](Day month) {
        double n = 212000 * company.activity("metrics/hosted-sites", kSteady, month);
        sites.content += fmt::format("{},web-hosting,{}\n", iso_date(month),
                                     static_cast<int64_t>(std::round(n)));
        ++sites.rows;
      });
  files.push_back(std::move(sites));
  return files;
}

std::string business_config() {
  return R"(
# Who owns what: teams and products from the (messy) tags, accounts for the rest.
allocation:
  tag_aliases: {team: [Team, owner-team]}
  tag_values:
    team: {case: lower}
    product: {case: lower}
    env: {case: lower}
  dimensions:
    - name: team
      default: unallocated
      rules:
        - {match: {"tag:team": {regex: "^(.+)$"}}, value: "$1"}
        - {match: {SubAccountName: nimbus-platform}, value: platform}
        - {match: {SubAccountName: nimbus-payments-prod}, value: payments}
        - {match: {SubAccountName: nimbus-shop-prod}, value: storefront}
        - {match: {SubAccountName: nimbus-data}, value: data}
    - name: product
      default: shared
      rules:
        - {match: {"tag:product": {regex: "^(.+)$"}}, value: "$1"}
        - {match: {team: {in: [storefront, search, payments]}}, value: shop-builder}
        - {match: {team: hosting}, value: web-hosting}
    - name: environment
      default: prod
      rules:
        - {match: {"tag:env": {regex: "^(prod|staging|dev)$"}}, value: "$1"}
        - {match: {SubAccountName: {prefix: nimbus-staging}}, value: staging}
        - {match: {SubAccountName: nimbus-dev}, value: dev}
  shared:
    # The platform team runs shared clusters and networking: its cost follows the teams' own.
    - {name: platform-overhead, match: {team: platform}, split_by: team, method: proportional}
    # The data team's warehouse serves both businesses, by agreement 60/40.
    - name: data-platform
      match: {team: data}
      split_by: product
      method: fixed
      weights: {shop-builder: 0.6, web-hosting: 0.4}
    # Untagged networking nobody claimed: split evenly rather than left unowned.
    - {name: untagged-networking, match: {team: unallocated, ServiceCategory: Networking}, split_by: team, method: even}

# Business numbers exported from the application database (PostgreSQL, CSV with header).
metrics:
  - {name: active_users, grain: day, aggregate: avg, csv: ./metrics/active_users.csv}
  - {name: orders, grain: day, csv: ./metrics/orders.csv}
  - {name: hosted_sites, grain: month, aggregate: max, csv: ./metrics/hosted_sites.csv}

unit_costs:
  - {name: cost_per_active_user, cost: {product: shop-builder}, metric: "active_users{product=shop-builder}", grain: month}
  - {name: cost_per_1000_orders, cost: {product: shop-builder}, metric: orders, per: 1000}
  - {name: platform_cost_per_1000_orders, cost: {x_SharedCost: platform-overhead}, metric: orders, per: 1000}
  - {name: hosting_cost_per_site, cost: {product: web-hosting}, metric: hosted_sites}
)";
}

}  // namespace billingfoot::app::demo
