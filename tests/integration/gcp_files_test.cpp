// The Google Cloud connector in file mode (`location:` a folder exported from the billing
// export table), through the real binary: exact invoice totals per month, the FOCUS mapping,
// conformance, late rows, bad files, and the other export formats.
#include <gtest/gtest.h>

#include "integration/gcp/gcp_fixture.hpp"
#include "support/cli.hpp"
#include "warehouse/duckdb.hpp"

namespace bt = billingfoot::testing;
namespace gt = billingfoot::testing::gcp;
namespace fs = std::filesystem;

namespace {

std::string config_for(const std::string& location) {
  return "data_dir: ./.billingfoot\nsources:\n  - name: gcp\n    type: gcp_billing_export\n"
         "    billing_account_name: Nimbus Hosting\n    location: " +
         location + "\n";
}

// Σ BilledCost and rows per billing period of source gcp, as billingfoot holds them.
std::map<std::string, std::pair<std::string, std::string>> held(const fs::path& dir) {
  auto r = bt::run_cli({"query", "--format", "csv",
                        "SELECT x_BillingPeriod, sum(BilledCost), count(*) FROM focus_costs WHERE "
                        "x_SourceName = 'gcp' GROUP BY 1 ORDER BY 1"},
                       {}, dir);
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<std::string, std::pair<std::string, std::string>> out;
  auto rows = bt::parse_csv(r.out);
  for (size_t i = 1; i < rows.size(); ++i) {
    out[rows[i][0]] = {bt::format_e10(bt::parse_decimal_e10(rows[i][1])), rows[i][2]};
  }
  return out;
}

// What the fixture says each month must hold: Σ cost + Σ credits, and one row per export row
// plus one per credit that FOCUS makes a Credit row.
std::map<std::string, std::pair<std::string, std::string>> expected(const std::string& jsonl) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const auto& [period, t] : gt::invoice_totals(jsonl)) {
    out[period] = {bt::format_e10(t.invoice()), std::to_string(t.rows + t.separate_credits)};
  }
  return out;
}

int count_lines_with(const std::string& out, const std::string& word) {
  int n = 0;
  for (size_t at = out.find(word); at != std::string::npos; at = out.find(word, at + 1)) ++n;
  return n;
}

class GcpFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    rows_ = gt::fixture_rows();
    // Two files, as `bq extract` splits a large table.
    size_t half = rows_.find('\n', rows_.size() / 2) + 1;
    bt::write_file(dir_ / "exports/billing-000000000000.json", rows_.substr(0, half));
    bt::write_file(dir_ / "exports/billing-000000000001.json", rows_.substr(half));
    bt::write_file(dir_ / "billingfoot.yaml", config_for("./exports"));
  }
  std::string scalar(const std::string& sql) { return bt::query_scalar(dir_.path(), sql); }
  bt::CliResult sync(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"sync"};
    args.insert(args.end(), extra.begin(), extra.end());
    return bt::run_cli(args, {}, dir_.path());
  }

  bt::TempDir dir_;
  std::string rows_;
};

}  // namespace

TEST_F(GcpFiles, EveryInvoiceMonthTotalsCostPlusCreditsExactly) {
  auto r = sync();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(count_lines_with(r.out, " loaded "), 3) << r.out;
  EXPECT_EQ(held(dir_.path()), expected(rows_));
  EXPECT_EQ(
      scalar("SELECT count(DISTINCT x_SourceType) || ' ' || min(x_SourceType) FROM focus_costs"),
      "1 gcp_billing_export");
}

TEST_F(GcpFiles, ASecondSyncOfTheSameFilesChangesNothing) {
  ASSERT_EQ(sync().status, 0);
  auto again = sync();
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(count_lines_with(again.out, " unchanged "), 3) << again.out;
  EXPECT_EQ(held(dir_.path()), expected(rows_));
}

TEST_F(GcpFiles, BillingPeriodIsTheInvoiceMonthInUtcWithAnExclusiveEnd) {
  ASSERT_EQ(sync().status, 0);
  std::string cur = gt::invoice_month(0);
  EXPECT_EQ(
      scalar(
          "SELECT string_agg(DISTINCT strftime(BillingPeriodStart, '%Y-%m-%dT%H:%M:%SZ') || ' ' || "
          "strftime(BillingPeriodEnd, '%Y-%m-%dT%H:%M:%SZ')) FROM focus_costs WHERE "
          "x_BillingPeriod = '" +
          cur + "'"),
      cur + "-01T00:00:00Z " +
          scalar("SELECT strftime(DATE '" + cur + "-01' + INTERVAL 1 MONTH, '%Y-%m-%d')") +
          "T00:00:00Z");
  EXPECT_EQ(scalar("SELECT count(*) FROM focus_costs WHERE BillingPeriodEnd <= BillingPeriodStart"),
            "0");
  // Late usage stays in the month it was invoiced in: the correction of last month's usage.
  EXPECT_EQ(scalar("SELECT count(*) FROM focus_costs WHERE x_BillingPeriod = '" + cur +
                   "' AND ChargePeriodStart < BillingPeriodStart AND ChargeClass = 'Correction'"),
            "1");
}

TEST_F(GcpFiles, DiscountCreditsFoldIntoTheChargeAndPromotionsBecomeCreditRows) {
  ASSERT_EQ(sync().status, 0);
  std::string cur = "x_BillingPeriod = '" + gt::invoice_month(0) + "'";
  // Fixture, current month: N2 core cost 140.432097 with a sustained use discount of -28.08642.
  EXPECT_EQ(scalar("SELECT BilledCost || ' ' || ContractedCost || ' ' || x_FoldedCredits || ' ' || "
                   "PricingCategory "
                   "FROM focus_costs WHERE " +
                   cur +
                   " AND ResourceName = 'gke-data-pool-1' AND ChargeCategory = 'Usage' AND "
                   "ChargeClass IS NULL"),
            "112.3456770000 140.4320970000 -28.0864200000 Standard");
  EXPECT_EQ(
      scalar(
          "SELECT string_agg(x_CreditType || ':' || BilledCost || ':' || ServiceName, ' ' ORDER BY "
          "x_CreditType) FROM focus_costs WHERE ChargeCategory = 'Credit' AND " +
          cur),
      "DISCOUNT:-2.4875000000:Cloud Storage PROMOTION:-12.5000000000:BigQuery");
  EXPECT_EQ(scalar("SELECT count(*) FROM focus_costs WHERE ChargeCategory = 'Credit' AND (SkuId IS "
                   "NOT NULL OR "
                   "PricingQuantity IS NOT NULL OR EffectiveCost <> BilledCost)"),
            "0");
}

TEST_F(GcpFiles, CommitmentsTaxAdjustmentsAndSpotAreCategorized) {
  ASSERT_EQ(sync().status, 0);
  std::string cur = " AND x_BillingPeriod = '" + gt::invoice_month(0) + "'";
  EXPECT_EQ(scalar("SELECT CommitmentDiscountStatus || ' ' || CommitmentDiscountCategory || ' ' || "
                   "PricingCategory "
                   "|| ' ' || CommitmentDiscountQuantity || ' ' || CommitmentDiscountUnit || ' ' "
                   "|| BilledCost FROM "
                   "focus_costs WHERE ResourceName = 'search-node-7'" +
                   cur),
            "Used Usage Committed 2893.7500000000 hour 37.2312500000");
  EXPECT_EQ(
      scalar(
          "SELECT ChargeFrequency || ' ' || (ResourceId = CommitmentDiscountId) || ' ' || "
          "ResourceType || "
          "' ' || CommitmentDiscountCategory FROM focus_costs WHERE ChargeCategory = 'Purchase'" +
          cur),
      "Recurring true Commitment Usage");
  EXPECT_EQ(
      scalar("SELECT ChargeFrequency || ' ' || coalesce(SkuId, 'no-sku') || ' ' || "
             "coalesce(PricingCategory, "
             "'no-pricing') || ' ' || BilledCost FROM focus_costs WHERE ChargeCategory = 'Tax'" +
             cur),
      "One-Time no-sku no-pricing 9.7100000000");
  EXPECT_EQ(scalar("SELECT x_CostType FROM focus_costs WHERE ChargeCategory = 'Adjustment'" + cur),
            "rounding_error");
  EXPECT_EQ(
      scalar("SELECT PricingCategory FROM focus_costs WHERE ResourceName = 'batch-spot-3'" + cur),
      "Dynamic");
  EXPECT_EQ(scalar("SELECT coalesce(SubAccountId, 'none') || ' ' || ServiceCategory || ' ' || "
                   "ServiceSubcategory "
                   "FROM focus_costs WHERE ServiceName = 'Support'" +
                   cur),
            "none Management and Governance Support");
}

TEST_F(GcpFiles, AccountsPlacesResourcesAndTagsAreMapped) {
  ASSERT_EQ(sync().status, 0);
  std::string row =
      " FROM focus_costs WHERE ResourceName = 'gke-data-pool-1' AND ChargeClass IS NULL AND "
      "x_BillingPeriod = '" +
      gt::invoice_month(0) + "'";
  EXPECT_EQ(
      scalar("SELECT BillingAccountId || ' / ' || BillingAccountName || ' / ' || SubAccountId || ' "
             "/ ' || "
             "SubAccountName || ' / ' || SubAccountType" +
             row),
      "01A2B3-C4D5E6-F7A8B9 / Nimbus Hosting / nimbus-data-prod / Nimbus Data (prod) / Project");
  EXPECT_EQ(
      scalar(
          "SELECT RegionId || ' ' || RegionName || ' ' || AvailabilityZone || ' ' || ResourceType" +
          row),
      "europe-west1 Belgium europe-west1-b instances");
  EXPECT_EQ(scalar("SELECT ProviderName || '/' || PublisherName || '/' || InvoiceIssuerName || '/' "
                   "|| ServiceName "
                   "|| '/' || ServiceCategory || '/' || SkuId || '/' || SkuPriceId" +
                   row),
            "Google Cloud/Google Cloud/Google Cloud/Compute "
            "Engine/Compute/2D5A-7FF5-9D9B/2D5A-7FF5-9D9B");
  // Resource labels bare, system labels as they are, tags and project labels prefixed.
  EXPECT_EQ(scalar("SELECT CAST(Tags AS VARCHAR)" + row),
            "{\"team\":\"data\",\"env\":\"prod\",\"goog-k8s-cluster-name\":\"data-prod\","
            "\"compute.googleapis.com/machine_spec\":\"n2-standard-8\",\"tag/123456789012/"
            "env\":\"production\","
            "\"project/cost-center\":\"analytics\",\"project/team\":\"data\"}");
  EXPECT_EQ(scalar("SELECT Tags->>'$.pii' FROM focus_costs WHERE ServiceName = 'BigQuery' AND "
                   "ChargeCategory = "
                   "'Usage' LIMIT 1"),
            "true");
  // A multi-region (location "EU") has no region.
  EXPECT_EQ(scalar("SELECT count(*) FROM focus_costs WHERE ServiceName = 'BigQuery' AND RegionId "
                   "IS NOT NULL"),
            "0");
  EXPECT_EQ(
      scalar("SELECT DISTINCT x_CurrencyConversionRate || ' ' || BillingCurrency FROM focus_costs"),
      "1.0000000000 USD");
}

TEST_F(GcpFiles, ValidatePassesEveryMandatoryRule) {
  ASSERT_EQ(sync().status, 0);
  auto v = bt::run_cli({"validate"}, {}, dir_.path());
  EXPECT_EQ(v.status, 0) << v.out << v.err;
  EXPECT_EQ(v.out.find("NOT CONFORMANT"), std::string::npos) << v.out;
}

TEST_F(GcpFiles, ALateCreditReloadsOnlyTheMonthItLandsIn) {
  ASSERT_EQ(sync().status, 0);
  std::string prev = gt::invoice_month(1);
  std::string late =
      "{\"billing_account_id\":\"01A2B3-C4D5E6-F7A8B9\",\"service\":{\"id\":\"24E6-581D-38E5\","
      "\"description\":\"BigQuery\"},\"sku\":{\"id\":\"3362-E469-6BEF\",\"description\":"
      "\"Analysis\"},"
      "\"usage_start_time\":\"" +
      prev + "-20 00:00:00 UTC\",\"usage_end_time\":\"" + prev +
      "-20 01:00:00 UTC\",\"project\":{\"id\":\"nimbus-data-prod\",\"name\":\"Nimbus Data "
      "(prod)\"},"
      "\"export_time\":\"" +
      gt::invoice_month(0) +
      "-01 09:00:00 UTC\",\"cost\":0,\"currency\":\"USD\",\"credits\":[{\"name\":\"Milestone "
      "credit\",\"amount\":-25.75,\"type\":\"PROMOTION\",\"id\":\"Promo:9\"}],\"invoice\":{"
      "\"month\":\"" +
      prev.substr(0, 4) + prev.substr(5, 2) + "\"},\"cost_type\":\"regular\"}\n";
  bt::write_file(dir_ / "exports/billing-000000000002.json", late);
  auto r = sync();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(prev + "  loaded"), std::string::npos) << r.out;
  EXPECT_EQ(count_lines_with(r.out, " unchanged "), 2) << r.out;
  EXPECT_EQ(held(dir_.path()), expected(rows_ + late));
  EXPECT_NE(held(dir_.path())[prev], expected(rows_)[prev]);
}

TEST_F(GcpFiles, ATruncatedFileFailsNamingItAndKeepsWhatWasLoaded) {
  ASSERT_EQ(sync().status, 0);
  auto before = held(dir_.path());
  std::string first_line = rows_.substr(0, rows_.find('\n'));
  bt::write_file(dir_ / "exports/billing-000000000002.json",
                 first_line.substr(0, first_line.size() / 2));
  auto r = sync();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("source gcp"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("billing-000000000002.json"), std::string::npos) << r.err;
  EXPECT_EQ(held(dir_.path()), before);
}

TEST_F(GcpFiles, AFileThatIsNotABillingExportIsRefused) {
  bt::write_file(dir_ / "exports/billing-000000000002.json",
                 "{\"name\":\"something else\",\"value\":3}\n");
  auto r = sync();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("billing-000000000002.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invoice.month"), std::string::npos) << r.err;
  EXPECT_TRUE(held(dir_.path()).empty());
}

TEST_F(GcpFiles, ParquetAndCsvExportsLoadTheSameTotals) {
  // Written by DuckDB from the same rows: Parquet with real TIMESTAMP and nested types, CSV with
  // nested fields as JSON text (a CSV export cannot hold records).
  auto db = billingfoot::warehouse::Database::open(":memory:");
  auto con = db.connect();
  std::string json_file = (dir_ / "rows.jsonl").string();
  bt::write_file(json_file, rows_);
  std::string read =
      "(SELECT * REPLACE (CAST(usage_start_time AS TIMESTAMPTZ) AS usage_start_time, "
      "CAST(usage_end_time AS TIMESTAMPTZ) AS usage_end_time, CAST(export_time AS TIMESTAMPTZ) AS "
      "export_time) FROM read_json('" +
      json_file + "', format = 'newline_delimited'))";
  fs::create_directories(dir_ / "parquet");
  fs::create_directories(dir_ / "csv");
  con.execute("COPY " + read + " TO '" + (dir_ / "parquet/billing.parquet").string() +
              "' (FORMAT parquet)");
  con.execute(
      "COPY (SELECT * REPLACE (to_json(service) AS service, to_json(sku) AS sku, to_json(project) "
      "AS "
      "project, to_json(labels) AS labels, to_json(system_labels) AS system_labels, "
      "to_json(location) AS "
      "location, to_json(resource) AS resource, to_json(tags) AS tags, to_json(price) AS price, "
      "to_json(usage) AS usage, to_json(credits) AS credits, to_json(invoice) AS invoice, "
      "to_json(adjustment_info) AS adjustment_info, to_json(subscription) AS subscription, "
      "to_json(consumption_model) AS consumption_model) FROM " +
      read + ") TO '" + (dir_ / "csv/billing.csv").string() + "' (FORMAT csv, HEADER)");
  for (const char* folder : {"parquet", "csv"}) {
    bt::TempDir other;
    fs::copy(dir_ / folder, other / "exports");
    bt::write_file(other / "billingfoot.yaml", config_for("./exports"));
    auto r = bt::run_cli({"sync"}, {}, other.path());
    ASSERT_EQ(r.status, 0) << folder << "\n" << r.out << r.err;
    EXPECT_EQ(held(other.path()), expected(rows_)) << folder;
    EXPECT_EQ(bt::query_scalar(other.path(),
                               "SELECT count(*) FROM focus_costs WHERE ChargeClass = 'Correction'"),
              "2")
        << folder;
  }
}
