#pragma once
// Test support for the Google Cloud connector: fixture rows shaped like the BigQuery billing
// export, invoice totals computed from them independently of billingfoot (exact decimals,
// read with nlohmann's SAX parser so no number passes through a double), and the fake
// BigQuery + OAuth server (fake_bigquery.py) started on a free loopback port.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/server_process.hpp"

namespace billingfoot::testing::gcp {

// Invoice months relative to today (Google's invoice month follows US Pacific time): months
// back from the current one, as YYYY-MM.
std::string invoice_month(int months_back);

// The checked-in fixture (export_rows.jsonl.in) with {OLD}, {PREV}, {CUR} (YYYYMM) and
// {OLD_}, {PREV_}, {CUR_} (YYYY-MM) filled in for invoice months 2, 1 and 0 months back.
std::string fixture_rows();
std::filesystem::path fixture_dir();

// Σ cost + Σ credits.amount per invoice month (YYYY-MM) of export-shaped JSON lines, in units
// of 1e-10; also counts rows and credits per month.
struct MonthTotal {
  __int128 cost_e10 = 0;     // Σ cost
  __int128 credits_e10 = 0;  // Σ credits.amount
  int rows = 0;
  int credits = 0;
  int separate_credits = 0;  // PROMOTION, DISCOUNT or an unknown type: FOCUS Credit rows
  __int128 invoice() const { return cost_e10 + credits_e10; }
};
std::map<std::string, MonthTotal> invoice_totals(const std::string& jsonl);

// A throwaway RSA key pair made with the openssl command, and a service-account key file.
struct TestKey {
  std::filesystem::path private_pem, public_pem, key_file;
  std::string client_email = "billing-reader@nimbus-data-prod.iam.gserviceaccount.com";
};
TestKey make_test_key(const std::filesystem::path& dir, const std::string& name = "sa");

// tests/fakes/gcp_bigquery.py on a free loopback port, serving `rows_file` as the detailed
// export table nimbus-billing.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9;
// stopped at destruction.
class FakeBigQuery {
 public:
  FakeBigQuery(const TestKey& key, const std::filesystem::path& rows_file,
               const std::vector<std::string>& extra_args, const std::filesystem::path& stats_file);
  std::string url() const { return server_->url(); }
  // A counter from the --stats file (0 when absent).
  int stat(const std::string& name) const;

 private:
  std::unique_ptr<ServerProcess> server_;
  std::filesystem::path stats_;
};

}  // namespace billingfoot::testing::gcp
