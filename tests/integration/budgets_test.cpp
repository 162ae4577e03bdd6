// `billingfoot budgets` against hand-computed status: exact actuals, forecasts of daily and
// periodic charges, % used, overrun, scopes and schedules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli.hpp"
#include "support/cost_rows.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

// 2024-10-01 .. 2024-11-10: Compute (team web) 60 a day, Storage (team data) 40 a day, and
// October's tax, 50, billed once for the month (untagged).
class Budgets : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<bt::CostRow> rows;
    for (int d = 0; d < 41; ++d) {
      std::string day = bt::add_days("2024-10-01", d);
      rows.push_back(bt::usage(day, "Compute", "a", "vm", "60.00", R"({"team": "web"})"));
      rows.push_back(bt::usage(day, "Storage", "a", "b", "40.00", R"({"team": "data"})"));
    }
    rows.push_back(bt::booking("2024-10-01", "Compute", "a", "", "50.00", "Tax", "Recurring", "",
                               "2024-11-01"));
    bt::write_file(dir_ / "exports/costs.csv", bt::focus_csv(rows));
    bt::write_file(dir_ / "billingfoot.yaml", R"(sources:
  - {name: cloud, type: focus, location: ./exports}
budgets:
  - {name: total-monthly, period: monthly, amount: 3000, alert_at: {actual: 0.3, forecast: 1.0}}
  - {name: web-monthly, scope: {"tag:team": web}, amount: 2000}
  - {name: total-quarterly, period: quarterly, amount: 10000}
  - {name: scheduled, amount: 1000, amounts: {2024-11: 5000}}
)");
    auto r = bt::run_cli({"sync"}, {}, dir_.path());
    ASSERT_EQ(r.status, 0) << r.err;
  }
  json budgets(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"budgets", "--as-of", "2024-11-10", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = bt::run_cli(args, {}, dir_.path());
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out);
  }
  static const json& named(const json& list, const std::string& name,
                           const std::string& period_start) {
    for (const auto& b : list) {
      if (b["name"] == name && b["period_start"] == period_start) return b;
    }
    static const json none;
    ADD_FAILURE() << "no " << name << " " << period_start << " in " << list.dump(1);
    return none;
  }
  bt::TempDir dir_;
};

}  // namespace

TEST_F(Budgets, MonthlyStatusMatchesTheHandComputation) {
  json list = budgets();
  const json& b = named(list, "total-monthly", "2024-11-01");
  // Actual: 10 days × 100. Forecast: 1000 + 20 remaining days × 100 + October's tax again (50).
  EXPECT_EQ(bt::parse_decimal_e10(b["actual"].dump()), bt::parse_decimal_e10("1000"));
  EXPECT_NEAR(b["forecast"].get<double>(), 3050, 1e-6);
  EXPECT_NEAR(b["forecast_low"].get<double>(), 3050, 1e-6);  // a noiseless history: no spread
  EXPECT_NEAR(b["forecast_high"].get<double>(), 3050, 1e-6);
  EXPECT_NEAR(b["pct_used"].get<double>(), 33.33, 1e-9);
  EXPECT_NEAR(b["pct_forecast"].get<double>(), 101.67, 1e-9);
  EXPECT_NEAR(b["forecast_overrun"].get<double>(), 50, 1e-6);
  EXPECT_EQ(b["state"], "at_risk");
  EXPECT_EQ(b["period_end"], "2024-12-01");
  EXPECT_EQ(b["complete_through"], "2024-11-10");
}

TEST_F(Budgets, ScopedBudgetCountsOnlyItsTag) {
  json list = budgets();
  const json& b = named(list, "web-monthly", "2024-11-01");
  EXPECT_EQ(bt::parse_decimal_e10(b["actual"].dump()), bt::parse_decimal_e10("600"));
  EXPECT_NEAR(b["forecast"].get<double>(), 1800, 1e-6);  // 600 + 20 × 60; the tax is untagged
  EXPECT_NEAR(b["pct_used"].get<double>(), 30, 1e-9);
  EXPECT_NEAR(b["forecast_overrun"].get<double>(), 0, 1e-9);
  EXPECT_EQ(b["state"], "ok");
}

TEST_F(Budgets, QuarterAddsTheRemainingMonthsDailyAndPeriodicCharges) {
  json list = budgets();
  const json& b = named(list, "total-quarterly", "2024-10-01");
  // Actual: October 31 × 100 + 50 tax, November 1000 = 4150.
  EXPECT_EQ(bt::parse_decimal_e10(b["actual"].dump()), bt::parse_decimal_e10("4150"));
  // Forecast: 4150 + 51 days (Nov 11 .. Dec 31) × 100 + the tax of November and December.
  EXPECT_NEAR(b["forecast"].get<double>(), 4150 + 5100 + 100, 1e-6);
  EXPECT_EQ(b["period"], "quarterly");
}

TEST_F(Budgets, ScheduleOverridesTheAmountAndHistoryShowsClosedPeriods) {
  json all = budgets({"--history"});
  const json& november = named(all, "scheduled", "2024-11-01");
  EXPECT_EQ(bt::parse_decimal_e10(november["amount"].dump()), bt::parse_decimal_e10("5000"));
  const json& october = named(all, "scheduled", "2024-10-01");
  EXPECT_EQ(bt::parse_decimal_e10(october["amount"].dump()), bt::parse_decimal_e10("1000"));
  EXPECT_EQ(bt::parse_decimal_e10(october["actual"].dump()), bt::parse_decimal_e10("3150"));
  EXPECT_EQ(october["forecast"], october["actual"]);
  EXPECT_EQ(october["state"], "over");
  EXPECT_EQ(october["is_current"], false);
  // Stored for the dashboard, under the names DESIGN.md gives.
  EXPECT_EQ(
      bt::query_scalar(dir_.path(),
                       "SELECT count(*) FROM budget_status WHERE name = 'scheduled' AND "
                       "period_start = DATE '2024-10-01' AND actual = 3150 AND pct_used = 315"),
      "1");
}

TEST_F(Budgets, TableShowsCurrentPeriodsWithMoneyRounded) {
  auto r = bt::run_cli({"budgets", "--as-of", "2024-11-10"}, {}, dir_.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("total-monthly"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3,050.00"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("at_risk"), std::string::npos) << r.out;
}
