// `billingfoot report` and `status` through the binary, with totals computed by the test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli.hpp"

namespace bt = billingfoot::testing;

namespace {

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text =
        "BillingPeriodStart,ChargePeriodStart,BilledCost,EffectiveCost,ServiceName,Tags,BillingCurrency\n"
        "2024-09-01T00:00:00Z,2024-09-01T00:00:00Z,100.004,90,Compute,\"{\"\"team\"\": \"\"web\"\"}\",USD\n"
        "2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,50,50,Storage,\"{\"\"team\"\": \"\"data\"\"}\",USD\n"
        "2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,1234.5,1000,Compute,,USD\n"
        "2024-10-01T00:00:00Z,2024-10-01T00:00:00Z,7,7,Storage,\"{\"\"team\"\": \"\"data\"\"}\",USD\n";
    bt::write_file(dir_ / "exports/a.csv", text);
    bt::write_file(dir_ / "billingfoot.yaml", "sources:\n  - name: f\n    type: focus\n    location: ./exports\n");
    ASSERT_EQ(bt::run_cli({"sync"}, {}, dir_.path()).status, 0);
  }
  bt::CliResult run(const std::vector<std::string>& args) { return bt::run_cli(args, {}, dir_.path()); }
  bt::TempDir dir_;
};

}  // namespace

TEST_F(Report, BreakdownIsSortedByCostWithATotalLine) {
  auto r = run({"report", "--by", "ServiceName", "--from", "2024-09", "--to", "2024-09", "--cost", "effective"});
  ASSERT_EQ(r.status, 0) << r.err;
  size_t compute = r.out.find("Compute"), storage = r.out.find("Storage");
  ASSERT_NE(compute, std::string::npos) << r.out;
  EXPECT_LT(compute, storage) << r.out;
  EXPECT_NE(r.out.find("1,090.00"), std::string::npos) << r.out;          // 90 + 1000
  EXPECT_NE(r.out.find("TOTAL 1,140.00 USD (3 rows)"), std::string::npos) << r.out;  // October excluded
}

TEST_F(Report, TagDimensionShowsUntaggedSpend) {
  auto r = run({"report", "--by", "tag:team", "--format", "csv"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = bt::parse_csv(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"tag:team", "cost", "rows"}));
  EXPECT_EQ(rows[1][0], "(untagged)");
  EXPECT_EQ(rows[1][1], "1234.5000000000");
  EXPECT_EQ(rows[2][0], "web");
  EXPECT_EQ(rows[3][0], "data");
  EXPECT_EQ(rows[3][1], "57.0000000000");
}

TEST_F(Report, JsonHasExactRowsAndTotalPerMonth) {
  auto r = run({"report", "--by", "ServiceName", "--granularity", "month", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["cost"], "billed");
  EXPECT_EQ(j["granularity"], "month");
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0]["period"], "2024-09-01");
  EXPECT_EQ(j["rows"][0]["ServiceName"], "Compute");
  EXPECT_DOUBLE_EQ(j["rows"][0]["cost"].get<double>(), 1334.504);
  EXPECT_EQ(j["rows"][2]["period"], "2024-10-01");
  EXPECT_DOUBLE_EQ(j["total"]["cost"].get<double>(), 1391.504);
  EXPECT_EQ(j["total"]["rows"], 4);
}

TEST_F(Report, DailyGranularityAndUnknownDimension) {
  auto day = run({"report", "--by", "ServiceName", "--granularity", "day", "--format", "csv"});
  ASSERT_EQ(day.status, 0) << day.err;
  EXPECT_NE(day.out.find("2024-09-02,Compute,1234.5"), std::string::npos) << day.out;
  auto bad = run({"report", "--by", "Nope"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown dimension 'Nope'"), std::string::npos) << bad.err;
}

TEST_F(Report, StatusShowsPeriodsRowsAndFreshness) {
  auto r = run({"status", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["source"], "f");
  EXPECT_EQ(j[0]["state"], "ok");
  EXPECT_EQ(j[0]["periods"], 2);
  EXPECT_EQ(j[0]["rows"], 4);
  EXPECT_EQ(j[0]["period_range"], "2024-09 .. 2024-10");
  EXPECT_EQ(j[0]["freshness"], "just now");
}
