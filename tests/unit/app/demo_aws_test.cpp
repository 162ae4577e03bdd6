// The demo company's AWS side as AWS delivers it: a CUR 2.0 Data Export with several growing
// Parquet deliveries per month and a manifest each. The files are read back with DuckDB as
// plain Parquet; every expectation is computed here from the rows (money as exact decimals).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "app/demo/demo.hpp"
#include "support/cli.hpp"
#include "support/file_query.hpp"

namespace bt = billingfoot::testing;
namespace demo = billingfoot::app::demo;
namespace fs = std::filesystem;

namespace {

using Money = __int128;
const char* kAsOf = "2025-06-15";
const char* kS3Root = "s3://nimbus-billing-exports/cur/nimbus-cur2/";

Money m(const std::string& text) {
  return text.empty() ? 0 : bt::parse_decimal_e10(text);
}
std::string s(Money v) {
  return bt::format_e10(v);
}

struct Delivery {
  std::string folder;  // e.g. 20250616T040000Z
  std::string data_key, manifest_key;
  fs::path data, manifest;
  int64_t rows = 0;  // as the generator reports it
};

// The file alone: its path's BILLING_PERIOD= folder is not a column of it.
std::string read_parquet(const Delivery& d) {
  return "read_parquet(" + bt::sql_path(d.data.string()) + ", hive_partitioning = false)";
}

class DemoAwsExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    company_ = new demo::DemoCompany(
        demo::generate_demo({demo::kDefaultSeed, demo::parse_day(kAsOf, "as-of")}));
    dir_ = new bt::TempDir();
    demo::write_demo(dir_->path(), *company_);
    months_ = new std::map<std::string, std::vector<Delivery>>();
    static const std::regex data_re(
        R"(.*/(data|metadata)/BILLING_PERIOD=(\d{4}-\d{2})/(\w+)/nimbus-cur2-(00001\.snappy\.parquet|Manifest\.json))");
    std::map<std::string, std::map<std::string, Delivery>> found;
    for (const auto& provider : company_->providers) {
      if (provider.source != "aws") continue;
      for (const auto& file : provider.files) {
        std::smatch match;
        if (!std::regex_match(file.path, match, data_re)) {
          ADD_FAILURE() << "unexpected AWS file " << file.path;
          continue;
        }
        Delivery& d = found[match[2]][match[3]];
        d.folder = match[3];
        std::string key = file.path.substr(file.path.find(match[1].str() + "/BILLING_PERIOD="));
        if (match[1] == "data") {
          d.data_key = key;
          d.data = dir_->path() / file.path;
          d.rows = file.rows;
        } else {
          d.manifest_key = key;
          d.manifest = dir_->path() / file.path;
        }
      }
    }
    for (auto& [period, deliveries] : found) {
      for (auto& [folder, d] : deliveries) (*months_)[period].push_back(d);  // sorted by folder
    }
  }
  static void TearDownTestSuite() {
    delete months_;
    delete dir_;
    delete company_;
  }

  static const Delivery& newest(const std::string& period) { return months_->at(period).back(); }
  // read_parquet of the newest delivery of every month: the bills as they stand.
  static std::string current_bills() {
    std::string list;
    for (const auto& [period, deliveries] : *months_)
      list += (list.empty() ? "" : ", ") + bt::sql_path(deliveries.back().data.string());
    return "read_parquet([" + list + "], hive_partitioning = false)";
  }
  static bool complete(const std::string& period) { return period < "2025-06"; }

  static demo::DemoCompany* company_;
  static bt::TempDir* dir_;
  static std::map<std::string, std::vector<Delivery>>* months_;
};

demo::DemoCompany* DemoAwsExport::company_ = nullptr;
bt::TempDir* DemoAwsExport::dir_ = nullptr;
std::map<std::string, std::vector<Delivery>>* DemoAwsExport::months_ = nullptr;

std::vector<std::string> folders(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> out;
  for (const auto& d : deliveries) out.push_back(d.folder);
  return out;
}

}  // namespace

TEST_F(DemoAwsExport, DeliversEachMonthSeveralTimesWithAManifestListingTheDeliveryFile) {
  ASSERT_EQ(months_->size(), 13u);
  EXPECT_EQ(months_->begin()->first, "2024-06");
  EXPECT_EQ(months_->rbegin()->first, "2025-06");
  // After days 7, 14, 21, 28 and after the month's last day of data (early next morning).
  EXPECT_EQ(folders(months_->at("2025-05")),
            (std::vector<std::string>{"20250508T040000Z", "20250515T040000Z", "20250522T040000Z",
                                      "20250529T040000Z", "20250601T040000Z"}));
  EXPECT_EQ(folders(months_->at("2025-02")),
            (std::vector<std::string>{"20250208T040000Z", "20250215T040000Z", "20250222T040000Z",
                                      "20250301T040000Z"}));
  EXPECT_EQ(folders(months_->at("2025-06")),
            (std::vector<std::string>{"20250608T040000Z", "20250615T040000Z", "20250616T040000Z"}));

  std::set<std::string> executions;
  for (const auto& [period, deliveries] : *months_) {
    EXPECT_GE(deliveries.size(), 3u) << period;
    for (const auto& d : deliveries) {
      ASSERT_FALSE(d.data_key.empty()) << period << " " << d.folder;
      ASSERT_FALSE(d.manifest_key.empty()) << period << " " << d.folder;
      auto manifest = nlohmann::json::parse(bt::read_file(d.manifest));
      EXPECT_EQ(manifest["dataFiles"], nlohmann::json::array({kS3Root + d.data_key})) << d.manifest;
      EXPECT_EQ(manifest["billingPeriod"]["start"], period + "-01T00:00:00Z");
      executions.insert(manifest["executionId"].get<std::string>());
      // The manifest's columns are the file's, in order.
      auto described = bt::file_query("SELECT column_name FROM (DESCRIBE SELECT * FROM " +
                                      read_parquet(d) + ")");
      ASSERT_EQ(manifest["columns"].size(), described.size()) << d.manifest;
      for (size_t i = 0; i < described.size(); ++i)
        EXPECT_EQ(manifest["columns"][i]["name"], described[i][0]);
    }
  }
  int manifests = 0;
  for (const auto& [period, deliveries] : *months_)
    manifests += static_cast<int>(deliveries.size());
  EXPECT_EQ(static_cast<int>(executions.size()), manifests) << "one execution id per delivery";
}

TEST_F(DemoAwsExport, EveryDeliveryIsTheWholeMonthSoFarAndContainsThePreviousOne) {
  for (const auto& [period, deliveries] : *months_) {
    int64_t previous_rows = 0;
    for (size_t i = 0; i < deliveries.size(); ++i) {
      const Delivery& d = deliveries[i];
      auto r = bt::file_query(
          "SELECT count(*), count(DISTINCT identity_line_item_id), "
          "CAST(max(line_item_usage_start_date) FILTER (WHERE line_item_line_item_type LIKE "
          "'%Usage') AS DATE), CAST(min(bill_billing_period_start_date) AS DATE), "
          "count(bill_invoice_id), count(*) FILTER (WHERE line_item_line_item_type = 'Tax') FROM " +
          read_parquet(d));
      int64_t rows = std::stoll(r[0][0]);
      EXPECT_EQ(r[0][1], r[0][0]) << "line item ids are unique: " << d.data;
      EXPECT_GT(rows, previous_rows) << d.data;
      previous_rows = rows;
      // Data runs through the day before the delivery.
      demo::Day delivered = demo::parse_day(
          d.folder.substr(0, 4) + "-" + d.folder.substr(4, 2) + "-" + d.folder.substr(6, 2),
          "folder");
      EXPECT_EQ(r[0][2], demo::iso_date(delivered - std::chrono::days(1))) << d.data;
      EXPECT_EQ(r[0][3], period + "-01");
      bool final = complete(period) && i + 1 == deliveries.size();
      EXPECT_EQ(r[0][4] != "0", final) << "only the final delivery is invoiced: " << d.data;
      EXPECT_EQ(r[0][5] != "0", final) << "tax comes with the invoice: " << d.data;
      EXPECT_EQ(d.rows, i + 1 == deliveries.size() ? rows : 0) << d.data;
      if (i == 0) continue;
      auto missing = bt::file_query("SELECT count(*) FROM " + read_parquet(deliveries[i - 1]) +
                                    " WHERE identity_line_item_id NOT IN (SELECT "
                                    "identity_line_item_id FROM " +
                                    read_parquet(d) + ")");
      EXPECT_EQ(missing[0][0], "0") << d.data << " drops lines of the delivery before it";
    }
  }
}

TEST_F(DemoAwsExport, SavingsPlanFeeRecordsTheCommitmentTheCoveredUsageUsedEachDay) {
  auto rows = bt::file_query(
      "SELECT line_item_line_item_type, CAST(CAST(line_item_usage_start_date AS DATE) AS VARCHAR), "
      "CAST(line_item_unblended_cost AS VARCHAR), "
      "CAST(savings_plan_savings_plan_effective_cost AS VARCHAR), "
      "CAST(savings_plan_total_commitment_to_date AS VARCHAR), "
      "CAST(savings_plan_used_commitment AS VARCHAR), CAST(pricing_public_on_demand_cost AS "
      "VARCHAR) "
      "FROM " +
      current_bills() + " WHERE savings_plan_savings_plan_a_r_n IS NOT NULL");
  struct Day {
    Money covered_effective = 0, covered_unblended = 0, negated = 0, total = 0, used = 0;
    int fees = 0;
  };
  std::map<std::string, Day> days;
  int covered = 0;
  for (const auto& r : rows) {
    Day& d = days[r[1]];
    if (r[0] == "SavingsPlanCoveredUsage") {
      ++covered;
      d.covered_effective += m(r[3]);
      d.covered_unblended += m(r[2]);
      EXPECT_LT(m(r[3]), m(r[2])) << "the plan's rate is below the on-demand rate";
      EXPECT_LE(m(r[2]), m(r[6]));
    } else if (r[0] == "SavingsPlanNegation") {
      d.negated += m(r[2]);
    } else {
      ASSERT_EQ(r[0], "SavingsPlanRecurringFee");
      ++d.fees;
      d.total += m(r[4]);
      d.used += m(r[5]);
      EXPECT_EQ(m(r[2]), m(r[4])) << "the fee bills the day's commitment";
    }
  }
  EXPECT_GT(covered, 1000);
  EXPECT_EQ(days.size(), 380u) << "2024-06-01 .. 2025-06-15";
  int days_with_unused = 0;
  for (const auto& [day, d] : days) {
    ASSERT_EQ(d.fees, 1) << day;
    EXPECT_EQ(s(d.total), s(m("720"))) << day;  // $30 an hour
    EXPECT_EQ(s(d.used), s(d.covered_effective)) << day;
    EXPECT_EQ(s(d.covered_unblended + d.negated), s(0))
        << "negation cancels covered usage: " << day;
    days_with_unused += d.used < d.total;
  }
  EXPECT_GT(days_with_unused, 0) << "weekends leave part of the commitment unused";
}

TEST_F(DemoAwsExport, ReservationFeeBalancesCoveredAndUnusedHoursInEveryDelivery) {
  int fee_months = 0, upfront_fees = 0;
  for (const auto& [period, deliveries] : *months_) {
    for (const auto& d : deliveries) {
      auto rows = bt::file_query(
          "SELECT line_item_line_item_type, CAST(line_item_unblended_cost AS VARCHAR), "
          "CAST(reservation_effective_cost AS VARCHAR), "
          "CAST(reservation_amortized_upfront_fee_for_billing_period AS VARCHAR), "
          "CAST(reservation_unused_amortized_upfront_fee_for_billing_period AS VARCHAR), "
          "CAST(reservation_unused_recurring_fee AS VARCHAR) FROM " +
          read_parquet(d) + " WHERE reservation_reservation_a_r_n IS NOT NULL");
      Money used = 0, unused = 0, cost = 0;
      int fees = 0;
      for (const auto& r : rows) {
        if (r[0] == "DiscountedUsage") {
          EXPECT_EQ(m(r[1]), 0) << "the reservation's fees bill covered hours";
          used += m(r[2]);
        } else if (r[0] == "RIFee") {
          ++fees;
          cost += m(r[1]) + m(r[3]);
          unused += m(r[4]) + m(r[5]);
        } else {
          ASSERT_EQ(r[0], "Fee") << "the upfront payment";
          upfront_fees += &d == &deliveries.back();
          EXPECT_GT(m(r[1]), m("1000"));
        }
      }
      if (period == "2024-06") {
        EXPECT_TRUE(rows.empty()) << "the reservation starts in the second month";
        continue;
      }
      ASSERT_EQ(fees, 1) << d.data;
      EXPECT_EQ(s(used + unused), s(cost)) << d.data;
      bool last_of_complete_month = complete(period) && &d == &deliveries.back();
      EXPECT_EQ(unused == 0, last_of_complete_month) << "the database runs every hour: " << d.data;
    }
    fee_months += period != "2024-06";
  }
  EXPECT_EQ(fee_months, 12);
  EXPECT_EQ(upfront_fees, 1);
}

TEST_F(DemoAwsExport, ClosedMonthsAreTaxedPerAccountAndProductAndCarryCreditAndRefund) {
  auto rows = bt::file_query(
      "SELECT strftime(bill_billing_period_start_date, '%Y-%m'), line_item_usage_account_id, "
      "line_item_product_code, line_item_line_item_type, CAST(line_item_unblended_cost AS "
      "VARCHAR), "
      "line_item_usage_start_date < bill_billing_period_start_date FROM " +
      current_bills());
  std::map<std::tuple<std::string, std::string, std::string>, Money> basis, tax;
  int credits = 0, refunds = 0;
  for (const auto& r : rows) {
    auto key = std::make_tuple(r[0], r[1], r[2]);
    if (r[3] == "Tax") {
      EXPECT_TRUE(complete(r[0])) << r[0];
      EXPECT_EQ(tax.count(key), 0u) << "one tax line per account and product";
      tax[key] = m(r[4]);
      continue;
    }
    basis[key] += m(r[4]);
    if (r[3] == "Credit") {
      ++credits;
      EXPECT_EQ(m(r[4]), m("-2500"));
    }
    if (r[3] == "Refund") {
      ++refunds;
      EXPECT_LT(m(r[4]), 0);
      EXPECT_EQ(r[5], "true") << "the refund corrects usage of an earlier month";
      EXPECT_EQ(r[2], "AmazonCloudFront");
    }
  }
  EXPECT_EQ(credits, 1);
  EXPECT_EQ(refunds, 1);
  int taxed = 0;
  for (const auto& [key, billed] : basis) {
    if (!complete(std::get<0>(key))) continue;
    // 7.25% of what the account was billed for the product, to the cent (half away from zero).
    Money scaled = billed * 725;  // units of 1e-14
    Money cents = (scaled + (scaled < 0 ? -1 : 1) * 500'000'000'000) / 1'000'000'000'000;
    Money expected = cents * 100'000'000;
    auto it = tax.find(key);
    EXPECT_EQ(s(it == tax.end() ? 0 : it->second), s(expected))
        << std::get<0>(key) << " " << std::get<1>(key) << " " << std::get<2>(key);
    taxed += it != tax.end();
  }
  EXPECT_EQ(taxed, static_cast<int>(tax.size()));
  EXPECT_GT(taxed, 12 * 10);
}

TEST_F(DemoAwsExport, ResourceTagsUseCurKeysAndStayRealisticallyMessy) {
  auto keys =
      bt::file_query("SELECT DISTINCT unnest(map_keys(resource_tags)) FROM " + current_bills());
  std::set<std::string> found;
  for (const auto& r : keys) {
    found.insert(r[0]);
    EXPECT_TRUE(r[0].starts_with("user_") || r[0].starts_with("aws_")) << r[0];
  }
  for (const char* key : {"user_Name", "user_team", "user_Team", "user_owner-team", "user_env",
                          "aws_createdBy", "aws_eks:cluster-name"}) {
    EXPECT_TRUE(found.count(key)) << key;
  }
  // Some values are written in another case than the rest of the company writes them.
  auto recased = bt::file_query(
      "SELECT count(*) FROM (SELECT DISTINCT unnest(map_values(resource_tags)) AS v FROM " +
      current_bills() + ") WHERE v IN ('PROD', 'Prod', 'Hosting', 'Storefront', 'Shop-builder')");
  EXPECT_GT(std::stoll(recased[0][0]), 0);
  auto untagged = bt::file_query(
      "SELECT count(DISTINCT line_item_resource_id) FROM " + current_bills() +
      " WHERE line_item_resource_id LIKE 'i-%' AND NOT list_has_any(map_keys(resource_tags), "
      "['user_team', 'user_Team', 'user_owner-team'])");
  EXPECT_GT(std::stoll(untagged[0][0]), 0) << "some instances have no team tag";
}

TEST_F(DemoAwsExport, TheCompanysStoryShowsInTheBill) {
  // Amortized daily cost: covered and reserved usage at their effective cost, negations left out.
  std::string effective =
      "CASE line_item_line_item_type WHEN 'SavingsPlanCoveredUsage' THEN "
      "savings_plan_savings_plan_effective_cost WHEN 'DiscountedUsage' THEN "
      "reservation_effective_cost ELSE line_item_unblended_cost END";
  std::string daily = "SELECT CAST(line_item_usage_start_date AS DATE) AS day, sum(" + effective +
                      ") AS cost FROM " + current_bills() +
                      " WHERE line_item_line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', "
                      "'DiscountedUsage') AND ";

  // CloudFront follows customer traffic: quieter at weekends.
  auto cdn = bt::file_query(
      "SELECT avg(cost) FILTER (WHERE dayofweek(day) IN (0, 6)), "
      "avg(cost) FILTER (WHERE dayofweek(day) NOT IN (0, 6)) FROM (" +
      daily + "line_item_product_code = 'AmazonCloudFront' GROUP BY 1)");
  EXPECT_GT(std::stod(cdn[0][1]), 1.2 * std::stod(cdn[0][0]));

  // The storefront fleet's incident: a few days above twice the median of the weeks around them.
  auto shop = bt::file_query(daily +
                             "line_item_product_code = 'AmazonEC2' AND line_item_usage_account_id "
                             "= '415069283741' GROUP BY 1 ORDER BY 1");
  std::vector<double> costs;
  for (const auto& r : shop) costs.push_back(std::stod(r[1]));
  int spike_days = 0;
  for (size_t i = 7; i + 7 < costs.size(); ++i) {
    std::vector<double> window(costs.begin() + static_cast<long>(i) - 7,
                               costs.begin() + static_cast<long>(i) + 8);
    std::nth_element(window.begin(), window.begin() + 7, window.end());
    spike_days += costs[i] > 2 * window[7];
  }
  EXPECT_GE(spike_days, 2);
  EXPECT_LE(spike_days, 6);

  // Bedrock arrives mid-history.
  auto bedrock = bt::file_query("SELECT CAST(min(day) AS VARCHAR) FROM (" + daily +
                                "line_item_product_code = 'AmazonBedrock' GROUP BY 1)");
  EXPECT_GT(bedrock[0][0], "2024-09-01");
  EXPECT_LT(bedrock[0][0], "2025-03-01");

  // The business grows: the last full month bills more than the first.
  auto months = bt::file_query(
      "SELECT strftime(bill_billing_period_start_date, '%Y-%m'), sum(line_item_unblended_cost) "
      "FROM " +
      current_bills() + " GROUP BY 1 ORDER BY 1");
  ASSERT_EQ(months.size(), 13u);
  EXPECT_GT(std::stod(months[11][1]), 1.2 * std::stod(months[0][1]));
}

TEST_F(DemoAwsExport, AnEarlierAsOfDateRemovesTheDeliveriesAfterIt) {
  bt::TempDir dir;
  demo::write_demo(dir.path(), *company_);
  auto earlier = demo::generate_demo({demo::kDefaultSeed, demo::parse_day("2025-06-10", "as-of")});
  demo::WriteSummary summary = demo::write_demo(dir.path(), earlier);
  EXPECT_GT(summary.unchanged, 0) << "deliveries before the 10th stay as they were";
  fs::path june = dir / "exports/aws-cur/nimbus-cur2/data/BILLING_PERIOD=2025-06";
  fs::path june_manifests = dir / "exports/aws-cur/nimbus-cur2/metadata/BILLING_PERIOD=2025-06";
  EXPECT_TRUE(fs::exists(june / "20250608T040000Z"));
  EXPECT_TRUE(fs::exists(june / "20250611T040000Z"));
  EXPECT_FALSE(fs::exists(june / "20250615T040000Z"));
  EXPECT_FALSE(fs::exists(june / "20250616T040000Z"));
  EXPECT_FALSE(fs::exists(june_manifests / "20250616T040000Z"));
  EXPECT_GE(summary.removed, 4) << "two deliveries: data file and manifest each";
}
