// `billingfoot demo` end to end through the real binary: it generates, syncs and reports; the
// warehouse holds exactly what the generated files say; a second run finds nothing new.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "integration/gcp/gcp_fixture.hpp"
#include "support/cli.hpp"
#include "support/file_query.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kDemoArgs = {"demo",    "--dir",      "company",
                                            "--as-of", "2025-06-15", "--no-serve"};

// The AWS export's current bill of each month: the data file of its newest delivery folder
// (folders are named by delivery time), by billing period.
std::map<std::string, fs::path> newest_cur_files(const fs::path& exports) {
  std::map<std::string, fs::path> newest;
  fs::path data = exports / "aws-cur/nimbus-cur2/data";
  for (const auto& partition : fs::directory_iterator(data)) {
    std::string period =
        partition.path().filename().string().substr(std::string("BILLING_PERIOD=").size());
    for (const auto& delivery : fs::directory_iterator(partition.path())) {
      fs::path file = delivery.path() / "nimbus-cur2-00001.snappy.parquet";
      if (newest[period].empty() || file > newest[period]) newest[period] = file;
    }
  }
  return newest;
}

// Σ BilledCost over every generated FOCUS CSV file (the test's own CSV parser), the invoice total
// (Σ cost + Σ credits) of every Google Cloud billing export file, Datadog's landed cost
// responses (per product its `total` charge; the parts add up to it), plus what AWS bills:
// Σ line_item_unblended_cost of each month's newest CUR delivery (covered usage and its negation
// cancel there, as on the invoice).
__int128 billed_in_files(const fs::path& exports, int* files) {
  __int128 sum = 0;
  for (const auto& entry : fs::recursive_directory_iterator(exports)) {
    std::string name = entry.path().filename().string();
    if (name == "historical_cost.json" || name == "estimated_cost.json") {
      ++*files;
      auto body = nlohmann::json::parse(bt::read_file(entry.path()));
      for (const auto& c : body["data"][0]["attributes"]["charges"]) {
        if (c["charge_type"] == "total") sum += bt::parse_decimal_e10(c["cost"].dump());
      }
      continue;
    }
    if (entry.path().extension() == ".jsonl") {
      ++*files;
      for (const auto& [month, total] :
           billingfoot::testing::gcp::invoice_totals(bt::read_file(entry.path()))) {
        sum += total.invoice();
      }
      continue;
    }
    if (entry.path().extension() != ".csv") continue;
    ++*files;
    auto table = bt::parse_csv(bt::read_file(entry.path()));
    size_t column = std::find(table[0].begin(), table[0].end(), "BilledCost") - table[0].begin();
    EXPECT_LT(column, table[0].size()) << entry.path();
    for (size_t r = 1; r < table.size(); ++r) sum += bt::parse_decimal_e10(table[r][column]);
  }
  for (const auto& [period, file] : newest_cur_files(exports)) {
    ++*files;
    auto rows =
        bt::file_query("SELECT CAST(line_item_unblended_cost AS VARCHAR) FROM read_parquet(" +
                       bt::sql_path(file.string()) + ")");
    for (const auto& r : rows) sum += bt::parse_decimal_e10(r[0]);
  }
  return sum;
}

// The sync lines of the demo's output: "<source>  <YYYY-MM>  <status> …".
std::vector<std::pair<std::string, std::string>> sync_lines(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::istringstream in(out);
  std::string source, period, status;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    if (words >> source >> period >> status && period.size() == 7 && period[4] == '-') {
      lines.emplace_back(source + " " + period, status);
    }
  }
  return lines;
}

class DemoCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bt::TempDir();
    first_ = new bt::CliResult(bt::run_cli(kDemoArgs, {}, dir_->path()));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete dir_;
  }
  static bt::TempDir* dir_;
  static bt::CliResult* first_;
};

bt::TempDir* DemoCommand::dir_ = nullptr;
bt::CliResult* DemoCommand::first_ = nullptr;

}  // namespace

TEST_F(DemoCommand, GeneratesSyncsAndPointsToTheDashboard) {
  ASSERT_EQ(first_->status, 0) << first_->out << first_->err;
  EXPECT_TRUE(fs::exists(*dir_ / "company/billingfoot.yaml"));
  auto lines = sync_lines(first_->out);
  EXPECT_EQ(lines.size(), 4u * 13u) << first_->out;
  for (const auto& [period, status] : lines) EXPECT_EQ(status, "loaded") << period;
  EXPECT_NE(first_->out.find("Billed cost by ProviderName, 2025-05"), std::string::npos)
      << first_->out;
  // --no-serve: it says how to serve the dashboard instead of serving it.
  EXPECT_NE(first_->out.find(" serve --listen 127.0.0.1:8080"), std::string::npos) << first_->out;
}

TEST_F(DemoCommand, WarehouseTotalEqualsTheSumOfTheGeneratedFiles) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  int files = 0;
  __int128 expected = billed_in_files(*dir_ / "company/exports", &files);
  EXPECT_EQ(files, 4 * 13);
  auto query = bt::run_cli({"--config", (*dir_ / "company/billingfoot.yaml").string(), "query",
                            "--format", "csv", "SELECT sum(BilledCost) FROM focus_costs"});
  ASSERT_EQ(query.status, 0) << query.err;
  auto rows = bt::parse_csv(query.out);
  ASSERT_EQ(rows.size(), 2u) << query.out;
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(rows[1][0])), bt::format_e10(expected));
}

TEST_F(DemoCommand, AwsCommitmentsAreAmortizedInTheWarehouseAsTheExportSays) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  // From the export: what each commitment costs per month (Savings Plan: its fees; reservation:
  // its recurring fee plus the month's share of the upfront payment), and how many FOCUS rows
  // the month must become (negations go, each fee with an unused part adds an Unused row).
  std::map<std::string, __int128> expected;
  int64_t expected_rows = 0;
  for (const auto& [period, file] : newest_cur_files(*dir_ / "company/exports")) {
    auto rows = bt::file_query(
        "SELECT line_item_line_item_type, coalesce(savings_plan_savings_plan_a_r_n, "
        "reservation_reservation_a_r_n), CAST(line_item_unblended_cost AS VARCHAR), "
        "CAST(reservation_amortized_upfront_fee_for_billing_period AS VARCHAR), "
        "CAST(savings_plan_total_commitment_to_date - savings_plan_used_commitment AS VARCHAR), "
        "CAST(reservation_unused_amortized_upfront_fee_for_billing_period + "
        "reservation_unused_recurring_fee AS VARCHAR) FROM read_parquet(" +
        bt::sql_path(file.string()) + ")");
    for (const auto& r : rows) {
      expected_rows += r[0] != "SavingsPlanNegation";
      if (r[0] != "SavingsPlanRecurringFee" && r[0] != "RIFee") continue;
      expected[period + " " + r[1]] +=
          bt::parse_decimal_e10(r[2]) + (r[3].empty() ? 0 : bt::parse_decimal_e10(r[3]));
      const std::string& unused = r[0] == "RIFee" ? r[5] : r[4];
      expected_rows += !unused.empty() && bt::parse_decimal_e10(unused) != 0;
    }
  }
  ASSERT_EQ(expected.size(), 13u + 12u)
      << "a Savings Plan every month, a reservation from the second";

  auto query = bt::run_cli(
      {"--config", (*dir_ / "company/billingfoot.yaml").string(), "query", "--format", "csv",
       "SELECT x_BillingPeriod || ' ' || CommitmentDiscountId, sum(EffectiveCost) "
       "FROM focus_costs WHERE ChargeCategory = 'Usage' AND CommitmentDiscountId "
       "IS NOT NULL GROUP BY 1 ORDER BY 1"});
  ASSERT_EQ(query.status, 0) << query.err;
  auto rows = bt::parse_csv(query.out);
  ASSERT_EQ(rows.size(), expected.size() + 1) << query.out;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(rows[i][1])),
              bt::format_e10(expected[rows[i][0]]))
        << rows[i][0];
  }
  EXPECT_EQ(bt::query_scalar(*dir_ / "company",
                             "SELECT count(*) FROM focus_costs WHERE x_SourceName = 'aws'"),
            std::to_string(expected_rows));
}

TEST_F(DemoCommand, SecondRunFindsEveryPeriodUnchanged) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  auto again = bt::run_cli(kDemoArgs, {}, dir_->path());
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  auto lines = sync_lines(again.out);
  EXPECT_EQ(lines.size(), 4u * 13u) << again.out;
  for (const auto& [period, status] : lines) EXPECT_EQ(status, "unchanged") << period;
}

TEST(DemoCommandUsage, RejectsAListenAddressWithoutAPort) {
  bt::TempDir dir;
  auto r = bt::run_cli({"demo", "--dir", "company", "--listen", "localhost", "--no-serve"}, {},
                       dir.path());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "company"));
}

TEST(DemoCommandUsage, RejectsAnAsOfThatIsNotADate) {
  bt::TempDir dir;
  auto r = bt::run_cli({"demo", "--dir", "company", "--as-of", "2025-02-30", "--no-serve"}, {},
                       dir.path());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--as-of"), std::string::npos) << r.err;
}

TEST_F(DemoCommand, DatadogIsSyncedFromLandedApiResponses) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  auto config = bt::read_file(*dir_ / "company/billingfoot.yaml");
  EXPECT_NE(config.find("type: datadog_usage"), std::string::npos) << config;
  auto q = [&](const std::string& sql) {
    return bt::query_scalar(*dir_ / "company", sql);
  };
  EXPECT_EQ(q("SELECT string_agg(DISTINCT x_BillingPeriod || ':' || x_CostStatus, ' ' ORDER BY x_BillingPeriod || "
              "':' || x_CostStatus) FROM focus_costs WHERE x_SourceName = 'datadog' AND x_BillingPeriod >= '2025-04'"),
            "2025-04:final 2025-05:estimated 2025-06:estimated");
  EXPECT_EQ(q("SELECT string_agg(DISTINCT ServiceCategory || ' / ' || ServiceSubcategory, ',') FROM focus_costs "
              "WHERE x_SourceName = 'datadog'"),
            "Management and Governance / Observability");
  // Daily rows: every day of a closed month, spread by hourly usage.
  EXPECT_EQ(q("SELECT count(DISTINCT ChargePeriodStart) FROM focus_costs WHERE x_SourceName = 'datadog' AND "
              "x_BillingPeriod = '2025-03'"),
            "31");
  EXPECT_EQ(q("SELECT count(*) FROM focus_costs WHERE x_SourceName = 'datadog' AND x_AllocationBasis NOT LIKE "
              "'hourly_usage:%'"),
            "0");
  EXPECT_NE(q("SELECT sum(forecast_cost) FROM cost_forecasts WHERE source = 'datadog' AND billing_period = '2025-06'"), "");
}
