// Killing billingfoot with SIGKILL in the middle of a load must leave the previous data of
// that billing period intact, and the next sync must work.
#include <gtest/gtest.h>

#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;

namespace {

std::string month_file(const std::string& cost, int rows) {
  std::string text =
      "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ServiceName\n";
  for (int i = 0; i < rows; ++i) {
    text += "1,USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,2024-09-05T00:00:00Z,2024-09-06T00:00:00Z,Usage," + cost +
            "," + cost + ",VM\n";
  }
  return text;
}

std::string scalar(const fs::path& dir, const std::string& sql) { return bt::query_scalar(dir, sql); }

class CrashSafety : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(CrashSafety, SigkillDuringLoadKeepsThePreviousPeriod) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/sep.csv", month_file("1.00", 100));
  bt::write_file(dir / "billingfoot.yaml",
                 "sources:\n  - name: files\n    type: focus\n    location: ./exports\n");
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);
  ASSERT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), "100.0000000000");

  // A new delivery of the same month; the loader is stopped inside its transaction and killed.
  bt::write_file(dir / "exports/sep.csv", month_file("3.00", 500));
  auto child = bt::start_cli({"sync"}, {{"BILLINGFOOT_FAILPOINT", GetParam()}}, dir.path());
  ASSERT_TRUE(child.wait_for_stderr(std::string("failpoint ") + GetParam() + " reached", 60000)) << child.seen;
  child.kill_hard();

  EXPECT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), "100.0000000000");
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "100");
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM loads WHERE status = 'ok'"), "1");

  // The next sync completes the replacement.
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), "1500.0000000000");
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "500");
}

INSTANTIATE_TEST_SUITE_P(InsideTheLoadTransaction, CrashSafety,
                         ::testing::Values("replace_partition.after_delete", "replace_partition.after_insert",
                                           "replace_partition.before_commit"));
