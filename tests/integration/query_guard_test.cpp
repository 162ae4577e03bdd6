// `billingfoot query` runs read-only SQL only: writes, ATTACH, COPY, INSTALL/LOAD and
// file-reading functions are refused with a clear message, and nothing changes.
#include <gtest/gtest.h>

#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;

namespace {

class QueryGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    bt::write_file(dir_ / "exports/a.csv",
                   "BillingPeriodStart,BilledCost,ServiceName\n2024-09-01T00:00:00Z,5,VM\n");
    bt::write_file(dir_ / "billingfoot.yaml", "sources:\n  - name: f\n    type: focus\n    location: ./exports\n");
    ASSERT_EQ(bt::run_cli({"sync"}, {}, dir_.path()).status, 0);
  }
  bt::CliResult query(const std::string& sql) { return bt::run_cli({"query", sql}, {}, dir_.path()); }
  std::string rows() {
    auto r = bt::run_cli({"query", "--format", "csv", "SELECT count(*) AS n FROM focus_costs"}, {}, dir_.path());
    return r.out;
  }
  bt::TempDir dir_;
};

}  // namespace

TEST_F(QueryGuard, SelectWorksInEveryFormat) {
  auto table = query("SELECT ServiceName, sum(BilledCost) AS cost FROM focus_costs GROUP BY 1");
  EXPECT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("VM"), std::string::npos);
  auto json = bt::run_cli({"query", "--format", "json", "SELECT 1 AS one, 'x' AS s, NULL AS n"}, {}, dir_.path());
  EXPECT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(json.out, "[\n {\"one\": 1, \"s\": \"x\", \"n\": null}\n]\n");
}

TEST_F(QueryGuard, RefusesEveryKindOfWriteAndFileAccess) {
  std::string csv = (dir_ / "exports/a.csv").string();
  const std::vector<std::string> refused = {
      "DELETE FROM focus_costs",
      "INSERT INTO loads SELECT * FROM loads",
      "UPDATE focus_costs SET BilledCost = 0",
      "DROP TABLE focus_costs",
      "CREATE TABLE x AS SELECT 1",
      "ALTER TABLE focus_costs ADD COLUMN y INT",
      "ATTACH '/tmp/other.duckdb' AS other",
      "COPY focus_costs TO '/tmp/leak.csv'",
      "COPY focus_costs FROM '" + csv + "'",
      "INSTALL httpfs",
      "LOAD httpfs",
      "SET enable_external_access = true",
      "PRAGMA enable_profiling",
      "SELECT * FROM read_csv('" + csv + "')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_parquet('/tmp/x.parquet')",
      "SELECT * FROM glob('/etc/*')",
      "SELECT * FROM '" + csv + "'",
      "SELECT count(*) FROM (SELECT * FROM read_json_auto('/etc/hosts'))",
      "WITH t AS (SELECT * FROM read_blob('/etc/hostname')) SELECT * FROM t",
      "SELECT 1; DELETE FROM focus_costs",
  };
  for (const auto& sql : refused) {
    auto r = query(sql);
    EXPECT_EQ(r.status, 1) << sql << "\n" << r.out;
    EXPECT_NE(r.err.find("refused"), std::string::npos) << sql << "\n" << r.err;
  }
  EXPECT_EQ(rows(), "n\n1\n");
  EXPECT_FALSE(fs::exists("/tmp/leak.csv"));
}

TEST_F(QueryGuard, SyntaxErrorsAreReportedNotCrashed) {
  auto r = query("SELEC nonsense");
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(r.err.empty());
}
