// The AWS connector end to end through the real binary: the real legacy CUR sample from a
// local folder, and a generated CUR 2.0 Parquet export delivered several times a month to S3
// (moto_server on loopback). Expected totals are computed here from the fixture rows.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zip.h>

#include <functional>

#include "net/s3.hpp"
#include "support/cli.hpp"
#include "support/server_process.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;
using Money = __int128;

Money m(const std::string& text) { return parse_decimal_e10(text); }
std::string s(Money v) { return format_e10(v); }

// ---- the real legacy CUR sample -------------------------------------------------------------

fs::path legacy_sample() { return shared_testdata("aws-cur-legacy/sample-anonymous-aws-export-dataset.csv"); }

struct LegacyTotals {
  Money unblended = 0;
  int rows = 0, tax_rows = 0;
};

LegacyTotals legacy_totals() {
  auto table = parse_csv(read_file(legacy_sample()));
  size_t cost = 0, type = 0;
  for (size_t i = 0; i < table[0].size(); ++i) {
    if (table[0][i] == "lineItem/UnblendedCost") cost = i;
    if (table[0][i] == "lineItem/LineItemType") type = i;
  }
  LegacyTotals t;
  for (size_t r = 1; r < table.size(); ++r) {
    if (table[r].size() < table[0].size()) continue;
    t.unblended += table[r][cost].empty() ? 0 : m(table[r][cost]);
    t.tax_rows += table[r][type] == "Tax";
    ++t.rows;
  }
  return t;
}

std::string config(const std::string& location, const std::string& extra = "") {
  return "data_dir: ./.billingfoot\nsources:\n  - name: aws\n    type: aws_data_exports\n    location: " +
         location + "\n" + extra;
}

void zip_file(const fs::path& source, const fs::path& archive, const std::string& member) {
  int error = 0;
  zip_t* z = zip_open(archive.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(z, nullptr);
  zip_source_t* src = zip_source_file(z, source.c_str(), 0, -1);
  ASSERT_NE(src, nullptr);
  ASSERT_GE(zip_file_add(z, member.c_str(), src, ZIP_FL_OVERWRITE), 0);
  ASSERT_EQ(zip_close(z), 0);
}

TEST(AwsLegacyCur, RealSampleLoadsWithTotalsOfTheFileAndPassesValidation) {
  TempDir dir;
  fs::path assembly = dir / "cur" / "report" / "20231101-20231201" / "a1b2c3";
  fs::create_directories(assembly);
  ASSERT_EQ(std::system(("gzip -c '" + legacy_sample().string() + "' > '" + (assembly / "report-1.csv.gz").string() + "'").c_str()), 0);
  write_file(dir / "cur" / "report" / "20231101-20231201" / "report-Manifest.json",
             R"({"assemblyId": "a1b2c3", "reportKeys": ["exports/report/20231101-20231201/a1b2c3/report-1.csv.gz"],
                 "billingPeriod": {"start": "20231101T000000.000Z", "end": "20231201T000000.000Z"}})");
  write_file(dir / "billingfoot.yaml", config("./cur"));
  auto sync = run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(sync.status, 0) << sync.out << sync.err;
  EXPECT_NE(sync.out.find("2023-11"), std::string::npos) << sync.out;

  LegacyTotals want = legacy_totals();
  EXPECT_EQ(want.rows, 1281);
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs"), std::to_string(want.rows));
  EXPECT_EQ(m(query_scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")), want.unblended);
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE ChargeCategory = 'Tax'"),
            std::to_string(want.tax_rows));
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE ChargeCategory = 'Tax' AND "
                                     "x_LineItemType <> 'Tax'"), "0");
  // Account ids stay text with every digit.
  EXPECT_EQ(query_scalar(dir.path(), "SELECT min(SubAccountId) FROM focus_costs"), "123412340534");
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE ServiceCategory IS NULL OR "
                                     "BillingPeriodEnd <> TIMESTAMP '2023-12-01'"), "0");

  auto validate = run_cli({"validate"}, {}, dir.path());
  EXPECT_EQ(validate.status, 0) << validate.out << validate.err;
  EXPECT_NE(validate.out.find("(0 mandatory)"), std::string::npos) << validate.out;
}

TEST(AwsLegacyCur, ZipDeliveryWithoutManifestLoadsAndSaysItListedTheFolder) {
  TempDir dir;
  fs::path assembly = dir / "cur" / "report" / "20231101-20231201" / "asm";
  fs::create_directories(assembly);
  zip_file(legacy_sample(), assembly / "report-1.csv.zip", "report-1.csv");
  write_file(dir / "billingfoot.yaml", config("./cur"));
  auto sync = run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(sync.status, 0) << sync.out << sync.err;
  EXPECT_NE(sync.err.find("no manifest"), std::string::npos) << sync.err;
  EXPECT_NE(sync.err.find("listed the data folder"), std::string::npos) << sync.err;
  EXPECT_EQ(m(query_scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")), legacy_totals().unblended);
}

// ---- a generated CUR 2.0 export -------------------------------------------------------------

const char* kPayer = "000123456789";
const char* kWebAccount = "000111222333";
const char* kDataAccount = "444555666777";
const char* kSavingsPlan = "arn:aws:savingsplans::000123456789:savingsplan/sp-0001";
const char* kReservation = "arn:aws:ec2:us-east-1:000123456789:reserved-instances/ri-0001";

struct CurRow {
  std::string type, account, start, end, product, usage_type, cost;
  std::string resource, tags = "{}";
  std::string public_cost, sp_arn, sp_effective, sp_total, sp_used;
  std::string ri_arn, ri_effective, ri_amortized, ri_unused_upfront, ri_unused_recurring;
  std::string tax_type;
};

std::string day(const std::string& month, int d) { return month + "-" + (d < 10 ? "0" : "") + std::to_string(d); }

// What a month looks like after `days` days, as AWS re-delivers it: the whole month to date.
struct Month {
  std::string period;  // YYYY-MM
  std::string next;    // YYYY-MM of the following month
  std::vector<CurRow> rows;
  // Independent expectations.
  Money billed = 0, effective = 0, sp_commitment = 0, ri_commitment = 0;
  int rows_expected = 0;
};

Month make_month(const std::string& period, const std::string& next, int days, bool with_extras = true) {
  Month mo{period, next, {}};
  const Money T = m("1.5"), A = m("5"), F = m("10"), r = m("0.4"), ua = m("2");
  Money sum_r = 0;
  int negations = 0, unused = 0;
  for (int d = 1; d <= days; ++d) {
    std::string start = day(period, d) + " 00:00:00", end = day(period, d) + " 23:59:59";
    Money usage = m("1.25") + m("0.01") * d;
    mo.rows.push_back({"Usage", kWebAccount, start, end, "AmazonEC2", "USE1-BoxUsage:m5.large", s(usage), "i-0abc",
                       R"({"user_team":"web","user_Name":"web-1","aws_createdBy":"IAMUser:alice","user_empty":""})",
                       s(usage)});
    Money e = m("1.4") + m("0.001") * d, u = m("2");
    CurRow covered{"SavingsPlanCoveredUsage", kDataAccount, start, end, "AmazonEC2", "USE1-BoxUsage:c5.xlarge", s(u),
                   "i-0def", R"({"user_team":"data"})", s(u)};
    covered.sp_arn = kSavingsPlan;
    covered.sp_effective = s(e);
    mo.rows.push_back(covered);
    CurRow negation{"SavingsPlanNegation", kDataAccount, start, end, "AmazonEC2", "USE1-BoxUsage:c5.xlarge", s(-u), "i-0def"};
    negation.sp_arn = kSavingsPlan;
    mo.rows.push_back(negation);
    ++negations;
    CurRow fee{"SavingsPlanRecurringFee", kPayer, start, end, "ComputeSavingsPlans", "ComputeSP:1yrNoUpfront", s(T)};
    fee.sp_arn = kSavingsPlan;
    fee.sp_total = s(T);
    fee.sp_used = s(e);
    mo.rows.push_back(fee);
    ++unused;
    CurRow ri{"DiscountedUsage", kWebAccount, start, end, "AmazonRDS", "USE1-InstanceUsage:db.r5.large", "0", "db-1",
              R"({"user_team":"web"})", "1.1"};
    ri.ri_arn = kReservation;
    ri.ri_effective = s(r);
    mo.rows.push_back(ri);
    sum_r += r;
    mo.effective += usage;
    mo.billed += usage + T;  // covered + negation cancel
  }
  std::string first = day(period, 1) + " 00:00:00", second = day(period, 2) + " 00:00:00";
  CurRow ri_fee{"RIFee", kPayer, first, next + "-01 00:00:00", "AmazonRDS", "HeavyUsage:db.r5.large", s(F)};
  ri_fee.ri_arn = kReservation;
  ri_fee.ri_amortized = s(A);
  ri_fee.ri_unused_upfront = s(ua);
  ri_fee.ri_unused_recurring = s(A + F - sum_r - ua);
  mo.rows.push_back(ri_fee);
  ++unused;
  CurRow upfront{"Fee", kPayer, first, second, "AmazonRDS", "HeavyUsage:db.r5.large", "60"};
  upfront.ri_arn = kReservation;
  mo.rows.push_back(upfront);
  mo.billed += F + m("60");
  Money tax = m("0.07") * days;
  CurRow tax_row{"Tax", kWebAccount, first, next + "-01 00:00:00", "AmazonEC2", "", s(tax)};
  tax_row.tax_type = "VAT";
  mo.rows.push_back(tax_row);
  mo.billed += tax;
  mo.effective += tax;
  if (with_extras) {
    mo.rows.push_back({"Credit", kWebAccount, first, second, "AmazonEC2", "", "-5"});
    mo.rows.push_back({"Refund", kWebAccount, mo.period == "2025-03" ? "2025-02-10 00:00:00" : first,
                       mo.period == "2025-03" ? "2025-02-11 00:00:00" : second, "AmazonEC2", "", "-2.5"});
    mo.rows.push_back({"Usage", kDataAccount, first, second, "AmazonEC2", "USE1-SpotUsage:m5.large",
                       "0.33", "i-0spot", "{}", "0.9"});
    mo.billed += m("-5") + m("-2.5") + m("0.33");
    mo.effective += m("-5") + m("-2.5") + m("0.33");
  }
  mo.sp_commitment = T * days;
  mo.ri_commitment = A + F;
  mo.effective += mo.sp_commitment + mo.ri_commitment;
  mo.rows_expected = static_cast<int>(mo.rows.size()) - negations + unused;
  return mo;
}

std::string csv_field(const std::string& v) {
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Writes the rows as a CUR 2.0 Parquet file: typed like AWS's (DOUBLE costs, TIMESTAMP dates,
// MAP tags), every column present unless listed in `drop`.
void write_cur_parquet(const Month& mo, const fs::path& file, const std::vector<std::string>& drop = {}) {
  fs::path csv = file;
  csv += ".csv";
  std::string text =
      "identity_line_item_id,bill_billing_period_start_date,bill_billing_period_end_date,bill_payer_account_id,"
      "bill_payer_account_name,bill_invoice_id,bill_invoicing_entity,bill_billing_entity,line_item_line_item_type,"
      "line_item_usage_start_date,line_item_usage_end_date,line_item_usage_account_id,line_item_usage_account_name,"
      "line_item_product_code,line_item_usage_type,line_item_operation,line_item_resource_id,line_item_usage_amount,"
      "line_item_currency_code,line_item_unblended_rate,line_item_unblended_cost,line_item_line_item_description,"
      "line_item_tax_type,line_item_legal_entity,line_item_availability_zone,pricing_public_on_demand_cost,"
      "pricing_public_on_demand_rate,pricing_unit,pricing_rate_code,pricing_term,product_sku,product_region_code,"
      "product_product_family,reservation_reservation_arn,reservation_effective_cost,"
      "reservation_amortized_upfront_fee_for_billing_period,reservation_unused_amortized_upfront_fee_for_billing_period,"
      "reservation_unused_recurring_fee,savings_plan_savings_plan_arn,savings_plan_savings_plan_effective_cost,"
      "savings_plan_total_commitment_to_date,savings_plan_used_commitment,resource_tags,product\n";
  int id = 0;
  for (const auto& r : mo.rows) {
    std::string account_name = r.account == kWebAccount ? "web-prod" : r.account == kDataAccount ? "data-prod" : "payer";
    bool usage = r.type.find("Usage") != std::string::npos;
    std::vector<std::string> f = {
        mo.period + "-" + std::to_string(++id), mo.period + "-01 00:00:00", mo.next + "-01 00:00:00", kPayer,
        "Nimbus Payer", "", "Amazon Web Services EMEA SARL", "AWS", r.type, r.start, r.end, r.account, account_name,
        r.product, r.usage_type, usage ? "RunInstances" : "", r.resource, usage ? "1" : "", "USD",
        usage ? r.cost : "", r.cost, r.type + " charge", r.tax_type, "Amazon Web Services EMEA SARL",
        r.resource.empty() ? "" : "us-east-1a", r.public_cost, r.public_cost.empty() ? "" : r.public_cost,
        usage ? "Hrs" : "", usage ? "SKU1.RATE1" : "", r.usage_type.find("Spot") != std::string::npos ? "Spot" : "OnDemand",
        usage ? "SKU1" : "", r.tax_type.empty() ? "us-east-1" : "", usage ? "Compute Instance" : "", r.ri_arn,
        r.ri_effective, r.ri_amortized, r.ri_unused_upfront, r.ri_unused_recurring, r.sp_arn, r.sp_effective,
        r.sp_total, r.sp_used, r.tags,
        R"({"product_name":")" + std::string(r.product == "AmazonRDS" ? "Amazon Relational Database Service"
                                                                      : "Amazon Elastic Compute Cloud") + R"("})"};
    for (size_t i = 0; i < f.size(); ++i) text += (i ? "," : "") + csv_field(f[i]);
    text += "\n";
  }
  write_file(csv, text);
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  std::string except = drop.empty() ? "" : " EXCLUDE (" + join_names(drop) + ")";
  con.execute(
      "COPY (SELECT *" + except + " FROM (SELECT * REPLACE ("
      "CAST(bill_billing_period_start_date AS TIMESTAMP) AS bill_billing_period_start_date, "
      "CAST(bill_billing_period_end_date AS TIMESTAMP) AS bill_billing_period_end_date, "
      "CAST(line_item_usage_start_date AS TIMESTAMP) AS line_item_usage_start_date, "
      "CAST(line_item_usage_end_date AS TIMESTAMP) AS line_item_usage_end_date, "
      "CAST(line_item_unblended_cost AS DOUBLE) AS line_item_unblended_cost, "
      "CAST(line_item_usage_amount AS DOUBLE) AS line_item_usage_amount, "
      "CAST(pricing_public_on_demand_cost AS DOUBLE) AS pricing_public_on_demand_cost, "
      "CAST(savings_plan_savings_plan_effective_cost AS DOUBLE) AS savings_plan_savings_plan_effective_cost, "
      "CAST(reservation_effective_cost AS DOUBLE) AS reservation_effective_cost, "
      "json_transform(resource_tags, '\"MAP(VARCHAR, VARCHAR)\"') AS resource_tags, "
      "json_transform(product, '\"MAP(VARCHAR, VARCHAR)\"') AS product) "
      "FROM read_csv('" + csv.string() + "', all_varchar = true, header = true, nullstr = ''))) TO '" +
      file.string() + "' (FORMAT parquet)");
  fs::remove(csv);
}

class AwsDataExportsOnS3 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_program("moto_server")) GTEST_SKIP() << "moto_server is not installed (it is on the CI image)";
    moto_ = ServerProcess::start({"moto_server", "-H", "127.0.0.1", "-p", "{port}"});
    env_ = {{"AWS_ACCESS_KEY_ID", "testing"}, {"AWS_SECRET_ACCESS_KEY", "testing-secret"},
            {"AWS_SESSION_TOKEN", "testing-token"}, {"BILLINGFOOT_HTTP_BACKOFF_MS", "20"}};
    net::S3Options o;
    o.region = "eu-west-1";
    o.endpoint = moto_->url();
    o.credentials = {"testing", "testing-secret", ""};
    s3_ = std::make_unique<net::S3Client>(o);
    s3_->create_bucket("cost-bucket");
    write_file(dir_ / "billingfoot.yaml",
               config("s3://cost-bucket/exports/nimbus-cur2", "    region: eu-west-1\n    endpoint: " + moto_->url() + "\n"));
  }

  // Uploads one delivery of `mo` the way Data Exports writes it ("create new version").
  void deliver(const Month& mo, const std::string& delivery_id, const std::vector<std::string>& drop = {}) {
    std::string root = "exports/nimbus-cur2/";
    std::string data = "data/BILLING_PERIOD=" + mo.period + "/" + delivery_id + "/nimbus-cur2-00001.snappy.parquet";
    fs::path local = dir_ / ("upload-" + delivery_id + ".parquet");
    write_cur_parquet(mo, local, drop);
    s3_->put("cost-bucket", root + data, read_file(local));
    s3_->put("cost-bucket", root + "metadata/BILLING_PERIOD=" + mo.period + "/" + delivery_id + "/nimbus-cur2-Manifest.json",
             R"({"executionId": ")" + delivery_id + R"(", "billingPeriod": {"start": ")" + mo.period +
                 R"(-01T00:00:00.000Z"}, "dataFiles": ["s3://cost-bucket/)" + root + data + R"("]})");
  }

  CliResult sync(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"sync"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, env_, dir_.path());
  }
  std::string q(const std::string& sql) { return query_scalar(dir_.path(), sql); }

  void expect_month(const Month& mo) {
    std::string where = " FROM focus_costs WHERE x_BillingPeriod = '" + mo.period + "'";
    EXPECT_EQ(q("SELECT count(*)" + where), std::to_string(mo.rows_expected)) << mo.period;
    EXPECT_EQ(m(q("SELECT sum(BilledCost)" + where)), mo.billed) << mo.period;
    EXPECT_EQ(m(q("SELECT sum(EffectiveCost)" + where)), mo.effective) << mo.period;
    // FOCUS balance per commitment: used + unused effective cost = the commitment's cost.
    EXPECT_EQ(m(q("SELECT sum(EffectiveCost)" + where + " AND ChargeCategory = 'Usage' AND CommitmentDiscountId = '" +
                  kSavingsPlan + "'")), mo.sp_commitment);
    EXPECT_EQ(m(q("SELECT sum(EffectiveCost)" + where + " AND ChargeCategory = 'Usage' AND CommitmentDiscountId = '" +
                  kReservation + "'")), mo.ri_commitment);
  }

  std::unique_ptr<ServerProcess> moto_;
  std::unique_ptr<net::S3Client> s3_;
  std::map<std::string, std::string> env_;
  TempDir dir_;

};

TEST_F(AwsDataExportsOnS3, OnlyTheNewestOfThreeGrowingDeliveriesCounts) {
  Month feb = make_month("2025-02", "2025-03", 28);
  deliver(feb, "20250301T020000Z");
  deliver(make_month("2025-03", "2025-04", 7), "20250308T020000Z");
  deliver(make_month("2025-03", "2025-04", 14), "20250315T020000Z");
  deliver(make_month("2025-03", "2025-04", 21), "20250322T020000Z");
  Month mar = make_month("2025-03", "2025-04", 21);

  auto first = sync();
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  expect_month(feb);
  expect_month(mar);
  // Σ BilledCost equals Σ unblended cost of the newest delivery: what the invoice will say.
  Money unblended = 0;
  for (const auto& r : mar.rows) unblended += m(r.cost);
  EXPECT_EQ(m(q("SELECT sum(BilledCost) FROM focus_costs WHERE x_BillingPeriod = '2025-03'")), unblended);

  // A re-sync finds both deliveries unchanged and downloads nothing.
  auto again = sync();
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("2025-02  unchanged"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("2025-03  unchanged"), std::string::npos) << again.out;
  EXPECT_EQ(q("SELECT count(*) FROM focus_costs"), std::to_string(feb.rows_expected + mar.rows_expected));

  // A fourth delivery replaces March, and only March.
  Month mar4 = make_month("2025-03", "2025-04", 28);
  deliver(mar4, "20250329T020000Z");
  auto fourth = sync();
  ASSERT_EQ(fourth.status, 0) << fourth.err;
  EXPECT_NE(fourth.out.find("2025-02  unchanged"), std::string::npos) << fourth.out;
  EXPECT_NE(fourth.out.find("2025-03  loaded"), std::string::npos) << fourth.out;
  expect_month(feb);
  expect_month(mar4);
  // The landing zone keeps only the current delivery of March.
  int landed = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / ".billingfoot" / "landing" / "aws" / "2025-03")) {
    landed += e.path().extension() == ".parquet";
  }
  EXPECT_EQ(landed, 1);
}

TEST_F(AwsDataExportsOnS3, ANewDeliveryOfTheSameRowsIsUnchangedAndOneChangedTagReloadsTheMonth) {
  Month feb = make_month("2025-02", "2025-03", 28);
  deliver(feb, "20250301T020000Z");
  auto first = sync();
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  expect_month(feb);
  std::string where = " FROM focus_costs WHERE x_BillingPeriod = '2025-02'";
  std::string load = q("SELECT string_agg(DISTINCT x_LoadId, ',')" + where);

  // AWS delivers the month again with the same rows (a new delivery folder and manifest): the
  // rows are mapped again, found equal to those held, and the month keeps its load.
  deliver(feb, "20250302T020000Z");
  auto same = sync();
  ASSERT_EQ(same.status, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("2025-02  unchanged"), std::string::npos) << same.out;
  EXPECT_EQ(q("SELECT string_agg(DISTINCT x_LoadId, ',')" + where), load);
  expect_month(feb);

  // The same rows, costs and totals, but one resource tag changed: only the row hashes tell them
  // apart, and the month is reloaded.
  Month retagged = feb;
  retagged.rows[0].tags = R"({"user_team":"platform","user_Name":"web-1"})";
  deliver(retagged, "20250303T020000Z");
  auto changed = sync();
  ASSERT_EQ(changed.status, 0) << changed.out << changed.err;
  EXPECT_NE(changed.out.find("2025-02  loaded"), std::string::npos) << changed.out;
  expect_month(retagged);
  EXPECT_EQ(q("SELECT count(*)" + where + " AND (Tags->>'team') = 'platform'"), "1");
  std::string reloaded = q("SELECT string_agg(DISTINCT x_LoadId, ',')" + where);
  EXPECT_NE(reloaded, load);
  EXPECT_EQ(reloaded.find(','), std::string::npos) << reloaded;  // one load holds the month
  EXPECT_EQ(q("SELECT string_agg(status, ',' ORDER BY finished_at) FROM loads WHERE billing_period = '2025-02'"),
            "ok,skipped,ok");
}

TEST_F(AwsDataExportsOnS3, MapsChargesCommitmentsAndTagsToFocus) {
  deliver(make_month("2025-03", "2025-04", 7), "20250308T020000Z");
  auto r = sync();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto where = [](const std::string& type) { return " FROM focus_costs WHERE x_LineItemType = '" + type + "'"; };
  EXPECT_EQ(q("SELECT DISTINCT ChargeCategory" + where("Tax")), "Tax");
  EXPECT_EQ(q("SELECT DISTINCT ChargeCategory" + where("Credit")), "Credit");
  EXPECT_EQ(q("SELECT DISTINCT ChargeCategory || '/' || ChargeClass" + where("Refund")), "Usage/Correction");
  EXPECT_EQ(q("SELECT DISTINCT ChargeCategory || '/' || ChargeFrequency" + where("RIFee")), "Purchase/Recurring");
  EXPECT_EQ(q("SELECT DISTINCT ChargeCategory || '/' || ChargeFrequency || '/' || EffectiveCost" + where("Fee")),
            "Purchase/One-Time/0.0000000000");
  EXPECT_EQ(q("SELECT count(*)" + where("SavingsPlanNegation")), "0");
  EXPECT_EQ(q("SELECT DISTINCT BilledCost || '/' || PricingCategory || '/' || CommitmentDiscountStatus || '/' || "
              "CommitmentDiscountType" + where("SavingsPlanCoveredUsage")), "0.0000000000/Committed/Used/Savings Plan");
  EXPECT_EQ(q("SELECT DISTINCT CommitmentDiscountCategory" + where("DiscountedUsage")), "Usage");
  EXPECT_EQ(q("SELECT DISTINCT PricingCategory FROM focus_costs WHERE x_UsageType LIKE '%SpotUsage%'"), "Dynamic");
  EXPECT_EQ(q("SELECT count(*) FROM focus_costs WHERE CommitmentDiscountStatus = 'Unused'"), "8");
  // Tags: user tags unprefixed, AWS tags keep aws:, empty values dropped; Name → ResourceName.
  EXPECT_EQ(q("SELECT DISTINCT CAST(Tags AS VARCHAR)" + where("Usage") + " AND ResourceId = 'i-0abc'"),
            R"({"team":"web","Name":"web-1","aws:createdBy":"IAMUser:alice"})");
  EXPECT_EQ(q("SELECT DISTINCT ResourceName" + where("Usage") + " AND ResourceId = 'i-0abc'"), "web-1");
  EXPECT_EQ(q("SELECT DISTINCT SubAccountId || '/' || SubAccountName" + where("Usage") + " AND ResourceId = 'i-0abc'"),
            std::string(kWebAccount) + "/web-prod");
  EXPECT_EQ(q("SELECT DISTINCT ServiceName || '/' || ServiceCategory" + where("DiscountedUsage")),
            "Amazon Relational Database Service/Databases");
  EXPECT_EQ(q("SELECT DISTINCT InvoiceIssuerName || '/' || ProviderName || '/' || HostProviderName FROM focus_costs"),
            "Amazon Web Services EMEA SARL/AWS/AWS");
  EXPECT_EQ(q("SELECT DISTINCT ListCost" + where("SavingsPlanCoveredUsage")), "2.0000000000");

  auto validate = run_cli({"validate"}, {}, dir_.path());
  EXPECT_NE(validate.out.find("(0 mandatory)"), std::string::npos) << validate.out;
}

TEST_F(AwsDataExportsOnS3, SchemaDriftMissingOptionalColumnLoadsMissingRequiredColumnFailsCleanly) {
  Month mar = make_month("2025-03", "2025-04", 7);
  deliver(mar, "20250308T020000Z");
  ASSERT_EQ(sync().status, 0);

  // AWS drops an optional column: the month still loads, the issuer falls back to AWS's name.
  Month mar2 = make_month("2025-03", "2025-04", 14);
  deliver(mar2, "20250315T020000Z", {"bill_invoicing_entity"});
  auto drift = sync();
  ASSERT_EQ(drift.status, 0) << drift.err;
  expect_month(mar2);
  EXPECT_EQ(q("SELECT DISTINCT InvoiceIssuerName FROM focus_costs"), "Amazon Web Services, Inc.");

  // A delivery without the cost column is an error naming it; March keeps its rows.
  deliver(make_month("2025-03", "2025-04", 21), "20250322T020000Z", {"line_item_unblended_cost"});
  auto broken = sync();
  EXPECT_EQ(broken.status, 1) << broken.out;
  EXPECT_NE(broken.err.find("line_item_unblended_cost"), std::string::npos) << broken.err;
  EXPECT_NE(broken.err.find("20250322T020000Z/nimbus-cur2-00001.snappy.parquet"), std::string::npos) << broken.err;
  expect_month(mar2);
}

TEST_F(AwsDataExportsOnS3, MissingBucketIsAClearErrorAndLosesNothing) {
  deliver(make_month("2025-03", "2025-04", 7), "20250308T020000Z");
  ASSERT_EQ(sync().status, 0);
  std::string before = q("SELECT sum(BilledCost) FROM focus_costs");
  write_file(dir_ / "billingfoot.yaml",
             config("s3://no-such-bucket/exports/x", "    region: eu-west-1\n    endpoint: " + moto_->url() + "\n"));
  auto r = sync();
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no-such-bucket"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(q("SELECT sum(BilledCost) FROM focus_costs"), before);
}

TEST(AwsDataExports, S3LocationWithoutCredentialsIsAConfigurationError) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config("s3://bucket/prefix"));
  auto r = run_cli({"sync"}, {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}}, dir.path());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << r.err;
}

// Disk full while landing: the service account's file-size limit (ulimit -f) stands in for a
// full disk; the write fails with EFBIG as it would with ENOSPC. The new delivery is larger than
// the limit, the warehouse is not.
TEST_F(AwsDataExportsOnS3, DiskFullWhileLandingFailsClearlyAndLeavesTheWarehouseUntouched) {
  Month feb = make_month("2025-02", "2025-03", 28);
  deliver(feb, "20250301T020000Z");
  auto first = sync();
  ASSERT_EQ(first.status, 0) << first.err;
  std::string before = q("SELECT count(*) || '/' || sum(BilledCost) FROM focus_costs");
  auto warehouse_bytes = fs::file_size(dir_ / ".billingfoot" / "billingfoot.duckdb");

  // A newer delivery whose data file is far larger than the limit.
  const size_t limit_kb = warehouse_bytes / 1024 + 4096;
  std::string root = "exports/nimbus-cur2/";
  std::string data = "data/BILLING_PERIOD=2025-02/20250302T020000Z/nimbus-cur2-00001.snappy.parquet";
  std::string big((limit_kb + 4096) * 1024, 'x');
  s3_->put("cost-bucket", root + data, big);
  s3_->put("cost-bucket", root + "metadata/BILLING_PERIOD=2025-02/20250302T020000Z/nimbus-cur2-Manifest.json",
           R"({"executionId": "20250302T020000Z", "billingPeriod": {"start": "2025-02-01T00:00:00.000Z"}, "dataFiles": ["s3://cost-bucket/)" +
               root + data + R"("]})");

  std::string command = "cd '" + dir_.path().string() + "' && ulimit -f " + std::to_string(limit_kb) + " && ";
  for (const auto& [k, v] : env_) command += k + "='" + v + "' ";
  command += "'" + std::string(BILLINGFOOT_BINARY) + "' sync > out.txt 2> err.txt";
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // a clear failure, not a crash (SIGXFSZ)
  std::string err = read_file(dir_ / "err.txt"), out = read_file(dir_ / "out.txt");
  EXPECT_NE((out + err).find("2025-02"), std::string::npos) << out << err;
  EXPECT_NE(err.find("nimbus-cur2-00001.snappy.parquet"), std::string::npos) << err;  // names the file
  EXPECT_EQ(q("SELECT count(*) || '/' || sum(BilledCost) FROM focus_costs"), before);
  expect_month(feb);
  // No partial download is left to be taken for input.
  for (const auto& e : fs::recursive_directory_iterator(dir_ / ".billingfoot" / "landing")) {
    EXPECT_FALSE(e.is_regular_file() && fs::file_size(e.path()) >= limit_kb * 1024) << e.path();
  }
}

}  // namespace
}  // namespace billingfoot::testing
