// anomalies:, budgets: and alerts: — defaults, and errors that name file:line:col and key.
#include "config/analysis_config.hpp"

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "config/config.hpp"

namespace bc = billingfoot::config;
using billingfoot::UsageError;

namespace {

bc::AnalysisConfig parse(const std::string& text) {
  return bc::parse_analysis_config(bc::parse(text, "/srv/cost/billingfoot.yaml"));
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(AnalysisConfig, DefaultsMonitorProviderServiceAccountAndAllocationDimensions) {
  auto cfg = parse("allocation:\n  dimensions:\n    - {name: team}\n    - {name: product}\n");
  EXPECT_EQ(
      cfg.anomalies.dimensions,
      (std::vector<std::string>{"ProviderName", "ServiceName", "SubAccountId", "team", "product"}));
  EXPECT_EQ(cfg.anomalies.cost, "effective");
  EXPECT_EQ(cfg.anomalies.exclude_charge_categories,
            (std::vector<std::string>{"Credit", "Adjustment", "Tax", "Purchase"}));
  EXPECT_FALSE(cfg.anomalies.include_corrections);
  EXPECT_TRUE(cfg.budgets.empty());
  EXPECT_TRUE(cfg.alerts.empty());
}

TEST(AnalysisConfig, ParsesEverySection) {
  auto cfg = parse(R"(anomalies:
  dimensions: [ServiceName, "tag:team"]
  min_impact: 100
  min_relative: 0.3
  direction: both
  data_delay_days: {datadog_usage: 4, aws-payer: 2}
  exclude_charge_categories: [Tax]
budgets:
  - {name: platform-monthly, scope: {team: platform}, period: monthly, amount: 12000, alert_at: {actual: [0.5, 0.8], forecast: 1.0}}
  - name: q
    period: quarterly
    amounts: {2025-01: 30000.50, 2025-04: 32000}
    scope: {ServiceName: [A, B]}
alerts:
  - {type: slack, webhook_url: "https://hooks.example/T/B/X"}
  - {type: webhook, url: "http://127.0.0.1:9/h", secret: s3cret, min_severity: high, events: anomaly}
  - {type: webhook, url: "http://127.0.0.1:9/i"}
  - {type: stdout}
server: {listen: "127.0.0.1:9090"}
)");
  EXPECT_EQ(cfg.anomalies.dimensions, (std::vector<std::string>{"ServiceName", "tag:team"}));
  EXPECT_EQ(cfg.anomalies.min_impact, 100);
  EXPECT_EQ(cfg.anomalies.direction, bc::Direction::Both);
  EXPECT_EQ(cfg.anomalies.data_delay_days.at("aws-payer"), 2);
  EXPECT_EQ(cfg.anomalies.exclude_charge_categories, (std::vector<std::string>{"Tax"}));
  ASSERT_EQ(cfg.budgets.size(), 2u);
  EXPECT_EQ(cfg.budgets[0].scope[0].first, "team");
  EXPECT_EQ(cfg.budgets[0].alert_actual, (std::vector<double>{0.5, 0.8}));
  EXPECT_EQ(cfg.budgets[0].amount_for("2031-07"), "12000");
  EXPECT_EQ(cfg.budgets[1].period, bc::BudgetPeriod::Quarterly);
  EXPECT_EQ(cfg.budgets[1].amount_for("2025-01"), "30000.50");
  EXPECT_FALSE(cfg.budgets[1].amount_for("2025-07"));
  EXPECT_EQ(cfg.budgets[1].scope[0].second, (std::vector<std::string>{"A", "B"}));
  ASSERT_EQ(cfg.alerts.size(), 4u);
  EXPECT_EQ(cfg.alerts[0].name, "slack");
  EXPECT_EQ(cfg.alerts[0].dashboard_url, "http://127.0.0.1:9090");
  EXPECT_EQ(cfg.alerts[1].name, "webhook");
  EXPECT_EQ(cfg.alerts[1].events, (std::vector<std::string>{"anomaly"}));
  EXPECT_EQ(cfg.alerts[2].name, "webhook-2");
  EXPECT_EQ(cfg.alerts[3].type, "stdout");
}

TEST(AnalysisConfig, ErrorsNameFileLineColumnAndKey) {
  std::string e = error_of("anomalies:\n  treshold: 3\n");
  EXPECT_NE(e.find("billingfoot.yaml:2:3: anomalies.treshold: unknown key"), std::string::npos)
      << e;
  e = error_of("budgets:\n  - {name: a, amount: 10, perod: monthly}\n");
  EXPECT_NE(e.find("billingfoot.yaml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("budgets[0].perod: unknown key"), std::string::npos) << e;
  e = error_of("alerts:\n  - type: slack\n    webhook_url: https://x\n    chanel: '#cost'\n");
  EXPECT_NE(e.find("billingfoot.yaml:4:5: alerts[0].chanel: unknown key"), std::string::npos) << e;
}

TEST(AnalysisConfig, BadValuesAreRefused) {
  EXPECT_NE(error_of("anomalies: {direction: sideways}\n")
                .find("anomalies.direction: must be one of both, down, up"),
            std::string::npos);
  EXPECT_NE(error_of("anomalies: {min_impact: -5}\n").find("anomalies.min_impact"),
            std::string::npos);
  EXPECT_NE(error_of("anomalies: {exclude_charge_categories: [Tax, Refund]}\n").find("Refund"),
            std::string::npos);
  EXPECT_NE(error_of("budgets:\n  - {name: a}\n").find("needs amount (every period) or amounts"),
            std::string::npos);
  EXPECT_NE(error_of("budgets:\n  - {name: a, amount: 1e5}\n")
                .find("budgets[0].amount: must be a plain number"),
            std::string::npos);
  EXPECT_NE(error_of("budgets:\n  - {name: a, period: quarterly, amounts: {2025-02: 5}}\n")
                .find("is not the first month of a quarterly period"),
            std::string::npos);
  EXPECT_NE(error_of("budgets:\n  - {name: a, amount: 1}\n  - {name: a, amount: 2}\n")
                .find("duplicate budget name a"),
            std::string::npos);
  EXPECT_NE(error_of("alerts:\n  - {type: teams, url: https://x}\n")
                .find("alerts[0].type: must be one of"),
            std::string::npos);
  EXPECT_NE(error_of("alerts:\n  - {type: slack, url: https://x}\n")
                .find("alerts[0].url: is not a key of type slack"),
            std::string::npos);
  EXPECT_NE(error_of("alerts:\n  - {type: webhook, url: ftp://x}\n")
                .find("must be an http:// or https:// URL"),
            std::string::npos);
  EXPECT_NE(error_of("alerts:\n  - {type: slack, webhook_url: https://x, secret: s}\n")
                .find("only webhook channels are signed"),
            std::string::npos);
}
