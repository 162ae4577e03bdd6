// allocation:, metrics: and unit_costs: in billingfoot.yaml: shapes, defaults and errors that
// name file:line:col and the key.
#include "config/model_config.hpp"

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "config/config.hpp"

namespace config = billingfoot::config;

namespace {

std::string error_of(const std::string& yaml) {
  try {
    config::parse(yaml, "/tmp/billingfoot.yaml");
  } catch (const billingfoot::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelConfig, ParsesRulesSharedCostsMetricsAndUnitCosts) {
  auto cfg = config::parse(R"(
allocation:
  tag_aliases: {team: [Team, owner-team]}
  tag_values: {team: {case: lower, aliases: {store-front: storefront}}}
  dimensions:
    - name: team
      rules:
        - {match: {"tag:team": {regex: "^(.+)$"}}, value: "$1"}
        - {match: {SubAccountId: ["1", "2"], ServiceName: Datadog}, value: platform}
  shared:
    - {name: p, match: {team: platform}, split_by: team, method: fixed, weights: {a: 0.25, b: 0.75}}
metrics:
  - {name: orders, grain: month, postgres: {dsn: "host=x", query: "SELECT 1"}}
  - {name: users, csv: ./m/users.csv, aggregate: avg}
unit_costs:
  - {name: per_order, cost: {team: shop}, metric: "orders{product=shop, region=eu}", per: 1000}
)",
                           "/srv/cfg/billingfoot.yaml");
  const auto& a = cfg.model.allocation;
  ASSERT_TRUE(a.configured);
  ASSERT_EQ(a.dimensions.size(), 1u);
  EXPECT_EQ(a.dimensions[0].default_value, "unallocated");
  ASSERT_EQ(a.dimensions[0].rules.size(), 2u);
  EXPECT_EQ(a.dimensions[0].rules[1].match[0].op, config::Condition::Op::In);
  EXPECT_EQ(a.dimensions[0].rules[1].match[1].op, config::Condition::Op::Equals);
  EXPECT_EQ(a.shared[0].weights.size(), 2u);
  EXPECT_EQ(cfg.model.metrics[0].kind, config::MetricConfig::Kind::Postgres);
  EXPECT_EQ(cfg.model.metrics[1].csv_path, "/srv/cfg/m/users.csv");
  EXPECT_EQ(cfg.model.metrics[1].grain, "day");
  const auto& u = cfg.model.unit_costs[0];
  EXPECT_EQ(u.metric, "orders");
  ASSERT_EQ(u.metric_filter.size(), 2u);
  EXPECT_EQ(u.metric_filter[1], (std::pair<std::string, std::string>{"region", "eu"}));
  EXPECT_EQ(u.per, "1000");
  EXPECT_EQ(u.grain, "month");
}

TEST(ModelConfig, ErrorsNameLineColumnAndKey) {
  EXPECT_EQ(error_of("allocation:\n  dimensions:\n    - name: team\n      rulez: []\n"),
            "billingfoot.yaml:4:7: allocation.dimensions[0].rulez: unknown key (known keys: "
            "default, name, rules)");
  EXPECT_NE(error_of("allocation:\n  dimensions:\n    - name: a\n      rules: [{match: {b: x}, "
                     "value: y}]\n    - name: b\n")
                .find("allocation.dimensions[0].rules[0].match.b: a rule may use only dimensions "
                      "defined before"),
            std::string::npos);
  EXPECT_NE(error_of("allocation:\n  dimensions:\n    - name: t\n      rules: [{match: {X: x}, "
                     "value: \"$1\"}]\n")
                .find("uses $N but the rule has no regex"),
            std::string::npos);
  EXPECT_NE(
      error_of("allocation:\n  dimensions: [{name: t}]\n  shared:\n    - {name: s, match: {t: x}, "
               "split_by: t, "
               "method: fixed, weights: {a: 0.6, b: 0.3}}\n")
          .find("billingfoot.yaml:4:69: allocation.shared[0].weights: weights must add up to 1"),
      std::string::npos);
  EXPECT_NE(error_of("allocation:\n  dimensions: [{name: t}]\n  shared: [{name: s, match: {t: x}, "
                     "split_by: team, method: even}]\n")
                .find("'team' is not a dimension"),
            std::string::npos);
  EXPECT_NE(error_of("metrics:\n  - {name: m, csv: a.csv, http: {url: \"http://x\"}}\n")
                .find("exactly one of csv, postgres, http"),
            std::string::npos);
  EXPECT_NE(
      error_of("metrics:\n  - {name: m, csv: a.csv}\nunit_costs:\n  - {name: u, metric: nope}\n")
          .find("billingfoot.yaml:4:23: unit_costs[0].metric: no metric named 'nope'"),
      std::string::npos);
  EXPECT_NE(error_of("metrics:\n  - {name: m, grain: month, csv: a.csv}\nunit_costs:\n  - {name: "
                     "u, metric: m, grain: day}\n")
                .find("metric m is monthly"),
            std::string::npos);
}
