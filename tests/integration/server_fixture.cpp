#include "server_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace billingfoot::testing {

CostFixture::CostFixture(const TempDir& dir, const std::string& server_yaml) {
  const std::vector<std::pair<std::string, std::string>> services = {
      {"AWS", "Amazon EC2"},
      {"AWS", "Amazon S3"},
      {"Google Cloud", "Compute Engine"},
      {"Google Cloud", "BigQuery"}};
  const std::vector<std::string> teams = {"web", "data", ""};
  std::string csv =
      "BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,BilledCost,"
      "EffectiveCost,ListCost,"
      "ContractedCost,ProviderName,ServiceName,ChargeCategory,BillingCurrency,Tags\n";
  int n = 0;
  for (int month = 9; month <= 10; ++month) {
    int days = month == 9 ? 30 : 20;
    for (int day = 1; day <= days; ++day) {
      for (size_t s = 0; s < services.size(); ++s) {
        ++n;
        char date[16], billed[32], effective[32];
        std::snprintf(date, sizeof date, "2024-%02d-%02d", month, day);
        // Amounts with many decimals, different per row, so a rounding or a lost row shows.
        std::snprintf(billed, sizeof billed, "%d.%010d", 10 + (n * 37) % 90,
                      (n * 7919) % 1000000000);
        std::snprintf(effective, sizeof effective, "%d.%04d", 8 + (n * 13) % 70, (n * 31) % 10000);
        FixtureRow r{date,   services[s].first, services[s].second, teams[n % teams.size()],
                     billed, effective};
        rows_.push_back(r);
        std::string tags = r.team.empty() ? "" : "\"{\"\"team\"\": \"\"" + r.team + "\"\"}\"";
        csv += "2024-" + std::string(month == 9 ? "09" : "10") + "-01T00:00:00Z,2024-" +
               std::string(month == 9 ? "10" : "11") + "-01T00:00:00Z," + r.day + "T00:00:00Z," +
               r.day + "T23:59:59Z," + r.billed + "," + r.effective + "," + r.billed + "," +
               r.billed + "," + r.provider + "," + r.service + ",Usage,USD," + tags + "\n";
      }
    }
  }
  write_file(dir / "exports/costs.csv", csv);
  write_file(dir / "billingfoot.yaml",
             "sources:\n  - name: cloud\n    type: focus\n    location: ./exports\n" + server_yaml);
  CliResult r = run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  synced = r.status == 0;
}

}  // namespace billingfoot::testing
