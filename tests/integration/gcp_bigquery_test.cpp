// The Google Cloud connector against a fake BigQuery + OAuth server (tests/fakes/gcp_bigquery.py)
// over real sockets, through the real binary: service-account JWTs verified with the test key
// pair, tokens that expire, paged results, a 500, a rate limit, a job that is not complete at
// first, late rows and the errors a user must be able to act on.
#include <gtest/gtest.h>

#include "integration/gcp/gcp_fixture.hpp"
#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace gt = billingfoot::testing::gcp;
namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::string> kFastRetries = {{"BILLINGFOOT_HTTP_BACKOFF_MS", "1"}};

std::map<std::string, std::string> totals_held(const fs::path& dir) {
  auto r = bt::run_cli(
      {"query", "--format", "csv",
       "SELECT x_BillingPeriod, sum(BilledCost), count(*) FROM focus_costs GROUP BY 1 ORDER BY 1"},
      {}, dir);
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<std::string, std::string> out;
  auto rows = bt::parse_csv(r.out);
  for (size_t i = 1; i < rows.size(); ++i) {
    out[rows[i][0]] =
        bt::format_e10(bt::parse_decimal_e10(rows[i][1])) + " in " + rows[i][2] + " rows";
  }
  return out;
}

std::map<std::string, std::string> totals_expected(const std::string& jsonl) {
  std::map<std::string, std::string> out;
  for (const auto& [period, t] : gt::invoice_totals(jsonl)) {
    out[period] = bt::format_e10(t.invoice()) + " in " +
                  std::to_string(t.rows + t.separate_credits) + " rows";
  }
  return out;
}

std::string late_row(const std::string& period, const std::string& export_day,
                     const std::string& cost, const std::string& credits) {
  return "{\"billing_account_id\":\"01A2B3-C4D5E6-F7A8B9\",\"service\":{\"id\":\"24E6-581D-38E5\","
         "\"description\":"
         "\"BigQuery\"},\"sku\":{\"id\":\"3362-E469-6BEF\",\"description\":\"Analysis\"},\"usage_"
         "start_time\":\"" +
         period + "-15T00:00:00Z\",\"usage_end_time\":\"" + period +
         "-15T01:00:00Z\",\"project\":{\"id\":\"nimbus-data-prod\",\"name\":\"Nimbus Data "
         "(prod)\",\"labels\":[]},"
         "\"labels\":[],\"system_labels\":[],\"tags\":[],\"credits\":" +
         credits + ",\"export_time\":\"" + export_day + "T09:00:00Z\",\"cost\":" + cost +
         ",\"currency\":\"USD\",\"invoice\":{\"month\":\"" + period.substr(0, 4) +
         period.substr(5, 2) + "\"},\"cost_type\":\"regular\"}\n";
}

class GcpBigQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    rows_ = gt::fixture_rows();
    bt::write_file(dir_ / "table.jsonl", rows_);
    key_ = gt::make_test_key(dir_.path());
  }

  void start(const std::vector<std::string>& fake_args) {
    fake_ = std::make_unique<gt::FakeBigQuery>(key_, dir_ / "table.jsonl", fake_args,
                                               dir_ / "stats.json");
  }

  // billingfoot.yaml pointing at the fake; `auth` is the credentials part.
  void configure(const std::string& auth = "", const std::string& table = "") {
    std::string t = table.empty() ? "gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9" : table;
    bt::write_file(
        dir_ / "billingfoot.yaml",
        "data_dir: ./.billingfoot\nsources:\n  - name: gcp\n    type: gcp_billing_export\n"
        "    bigquery: {project: nimbus-billing, dataset: billing_export, table: " +
            t + ", location: US}\n" +
            (auth.empty() ? "    credentials_file: " + key_.key_file.string() + "\n" : auth) +
            "    token_endpoint: " + fake_->url() + "/token\n    api_endpoint: " + fake_->url() +
            "\n");
  }

  bt::CliResult sync(const std::vector<std::string>& extra = {},
                     const std::map<std::string, std::string>& env = kFastRetries) {
    std::vector<std::string> args = {"sync"};
    args.insert(args.end(), extra.begin(), extra.end());
    return bt::run_cli(args, env, dir_.path());
  }

  bt::TempDir dir_;
  std::string rows_;
  gt::TestKey key_;
  std::unique_ptr<gt::FakeBigQuery> fake_;
};

}  // namespace

TEST_F(GcpBigQuery, LoadsEveryMonthThroughExpiringTokensPagesA500ARateLimitAndASlowJob) {
  start({"--page-size", "2", "--token-uses", "3", "--fail-500-once", "--rate-limit-once",
         "--incomplete-once"});
  configure();
  auto r = sync();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(totals_held(dir_.path()), totals_expected(rows_));
  EXPECT_EQ(fake_->stat("jwt_rejected"), 0);
  EXPECT_GE(fake_->stat("tokens_issued"), 2)
      << "tokens expire after 3 requests: a new one was needed";
  EXPECT_GE(fake_->stat("unauthorized"), 1);
  EXPECT_EQ(fake_->stat("injected_500"), 1);
  EXPECT_EQ(fake_->stat("injected_rate_limit"), 1);
  EXPECT_EQ(fake_->stat("injected_incomplete"), 1);
  // Every page landed as JSON lines under <data_dir>/landing/<source>/<billing period>/.
  int landed = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / ".billingfoot/landing/gcp")) {
    if (e.path().extension() == ".jsonl") {
      std::string text = bt::read_file(e.path());
      landed += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    }
  }
  EXPECT_EQ(landed, 29);
  EXPECT_TRUE(fs::exists(
      dir_ / (".billingfoot/landing/gcp/" + gt::invoice_month(0) + "/page-00001.jsonl")));
}

TEST_F(GcpBigQuery, LoadedDataPassesFocusValidation) {
  start({"--page-size", "5"});
  configure();
  ASSERT_EQ(sync().status, 0);
  auto v = bt::run_cli({"validate"}, {}, dir_.path());
  EXPECT_EQ(v.status, 0) << v.out << v.err;
}

TEST_F(GcpBigQuery, LateRowsReloadTheLookbackMonthsAndOlderMonthsOnlyOnRequest) {
  start({"--page-size", "4"});
  configure();
  ASSERT_EQ(sync().status, 0);
  std::string old = gt::invoice_month(2), prev = gt::invoice_month(1), cur = gt::invoice_month(0);
  // Days after month end: a promotion credit lands in the previous month, a tax correction in
  // the one before (outside the default lookback of one month).
  std::string late =
      late_row(
          prev, cur + "-02", "0",
          "[{\"name\":\"Milestone credit\",\"amount\":-40.125,\"full_name\":\"Milestone credit\","
          "\"id\":\"Promo:1\",\"type\":\"PROMOTION\"}]") +
      late_row(old, cur + "-02", "3.33", "[]");
  bt::write_file(dir_ / "table.jsonl", rows_ + late);
  auto second = sync();
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(prev + "  loaded"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find(cur + "  unchanged"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find(old), std::string::npos)
      << "older months are not re-checked: " << second.out;
  auto now = totals_held(dir_.path());
  auto before = totals_expected(rows_), after = totals_expected(rows_ + late);
  EXPECT_EQ(now[prev], after[prev]);
  EXPECT_NE(now[prev], before[prev]);
  EXPECT_EQ(now[cur], before[cur]);
  EXPECT_EQ(now[old], before[old]);

  auto backfill = sync({"--from", old, "--to", old});
  ASSERT_EQ(backfill.status, 0) << backfill.out << backfill.err;
  EXPECT_NE(backfill.out.find(old + "  loaded"), std::string::npos) << backfill.out;
  EXPECT_EQ(totals_held(dir_.path()), after);

  auto quiet = sync();
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.out.find("loaded"), std::string::npos) << quiet.out;
}

TEST_F(GcpBigQuery, StandardExportLoadsWithoutResourceColumns) {
  start({"--standard"});
  configure();
  auto r = sync({}, {{"BILLINGFOOT_LOG_LEVEL", "info"}});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("standard export"), std::string::npos) << r.err;
  EXPECT_EQ(totals_held(dir_.path()), totals_expected(rows_));
  EXPECT_EQ(bt::query_scalar(dir_.path(),
                             "SELECT count(*) FROM focus_costs WHERE ResourceId IS NOT NULL AND "
                             "ChargeCategory <> 'Purchase'"),
            "0");
}

TEST_F(GcpBigQuery, AcceptsAnAccessTokenFromTheEnvironment) {
  start({"--static-token", "ya29.from-gcloud"});
  // No credentials in the file: GOOGLE_OAUTH_ACCESS_TOKEN, as `gcloud auth print-access-token`
  // gives it.
  configure("    lookback_months: 1\n");
  auto ok = sync({}, {{"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.from-gcloud"}});
  ASSERT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_EQ(fake_->stat("tokens_issued"), 0);
  EXPECT_EQ(totals_held(dir_.path()), totals_expected(rows_));

  auto expired = sync({"--full"}, {{"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.expired"}});
  EXPECT_EQ(expired.status, 1) << expired.out;
  EXPECT_NE(expired.err.find("gcloud auth print-access-token"), std::string::npos) << expired.err;
  EXPECT_EQ(expired.err.find("ya29.expired"), std::string::npos) << "tokens are never printed";
  EXPECT_EQ(totals_held(dir_.path()), totals_expected(rows_))
      << "a failed sync keeps what was loaded";
}

TEST_F(GcpBigQuery, AKeyTheTokenEndpointRejectsIsAClearErrorAndLosesNothing) {
  start({});
  configure();
  ASSERT_EQ(sync().status, 0);
  gt::TestKey other = gt::make_test_key(dir_.path(), "other");
  fs::copy_file(other.key_file, key_.key_file, fs::copy_options::overwrite_existing);
  auto r = sync({"--full"});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.err.find("refused the service account billing-reader@"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Invalid JWT Signature"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("PRIVATE KEY"), std::string::npos) << "the key is never printed";
  EXPECT_EQ(fake_->stat("jwt_rejected"), 1);
  EXPECT_EQ(totals_held(dir_.path()), totals_expected(rows_));
}

TEST_F(GcpBigQuery, AMissingTableIsNamedWithWhatToCheck) {
  start({});
  configure("", "gcp_billing_export_v1_WRONG");
  auto r = sync();
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.err.find("table nimbus-billing:billing_export.gcp_billing_export_v1_WRONG not found"),
            std::string::npos)
      << r.err;
  auto status = bt::run_cli({"status", "--format", "json"}, {}, dir_.path());
  EXPECT_NE(status.out.find("not found"), std::string::npos) << status.out;
}

TEST_F(GcpBigQuery, AMissingJobUserRoleIsNamed) {
  start({"--deny-jobs"});
  configure();
  auto r = sync();
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.err.find("roles/bigquery.jobUser on project nimbus-billing"), std::string::npos)
      << r.err;
}

TEST_F(GcpBigQuery, NoCredentialsIsAConfigurationError) {
  start({});
  configure("    lookback_months: 2\n");
  auto r = bt::run_cli({"sync"},
                       {{"GOOGLE_APPLICATION_CREDENTIALS", ""}, {"GOOGLE_OAUTH_ACCESS_TOKEN", ""}},
                       dir_.path());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("credentials_file"), std::string::npos) << r.err;
}
