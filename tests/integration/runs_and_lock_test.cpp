// Every sync is recorded in `runs`, and one data directory has one writer at a time.
#include <gtest/gtest.h>

#include "support/cli.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;

std::string config_for(const fs::path& location) {
  return "data_dir: ./.billingfoot\nsources:\n  - name: sample\n    type: focus\n    location: " + location.string() +
         "\n  - name: broken\n    type: focus\n    location: ./missing-folder\n";
}

TEST(Runs, EverySyncOfEverySourceIsRecordedWithItsOutcome) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config_for(shared_testdata("focus-1.0-sample/focus_sample.csv")));
  auto first = run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(first.status, 1);  // the broken source fails, the sample loads
  auto second = run_cli({"sync", "--source", "sample"}, {}, dir.path());
  EXPECT_EQ(second.status, 0) << second.err;

  std::string periods = query_scalar(dir.path(), "SELECT count(DISTINCT x_BillingPeriod) FROM focus_costs");
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM runs"), "3");
  EXPECT_EQ(query_scalar(dir.path(),
                         "SELECT partitions_loaded || '/' || partitions_unchanged || '/' || rows FROM runs WHERE "
                         "source = 'sample' ORDER BY started_at, finished_at LIMIT 1"),
            periods + "/0/1000");
  EXPECT_EQ(query_scalar(dir.path(),
                         "SELECT status || '/' || partitions_loaded || '/' || partitions_unchanged FROM runs WHERE "
                         "source = 'sample' ORDER BY finished_at DESC LIMIT 1"),
            "ok/0/" + periods);
  std::string broken = query_scalar(dir.path(), "SELECT status || ': ' || message FROM runs WHERE source = 'broken'");
  EXPECT_TRUE(broken.starts_with("failed: ")) << broken;
  EXPECT_NE(broken.find("missing-folder"), std::string::npos) << broken;
}

TEST(DataDirLock, ASecondWriterIsRefusedWithTheHoldersPid) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config_for(shared_testdata("focus-1.0-sample/focus_sample.csv")));
  auto holder = start_cli({"sync", "--source", "sample"}, {{"BILLINGFOOT_FAILPOINT", "replace_partition.before_commit"}},
                          dir.path());
  ASSERT_TRUE(holder.wait_for_stderr("failpoint replace_partition.before_commit reached", 60000)) << holder.seen;
  auto second = run_cli({"sync", "--source", "sample"}, {}, dir.path());
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("another billingfoot process (pid " + std::to_string(holder.pid) + ")"), std::string::npos)
      << second.err;
  holder.kill_hard();
  // The lock dies with its holder: the next sync runs.
  auto after = run_cli({"sync", "--source", "sample"}, {}, dir.path());
  EXPECT_EQ(after.status, 0) << after.err;
}

}  // namespace
}  // namespace billingfoot::testing
