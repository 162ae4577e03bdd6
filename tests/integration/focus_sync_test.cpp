// The generic FOCUS source end to end, through the real binary: totals reconcile with the
// input file, re-syncs are idempotent, bad input fails loudly and loses nothing.
#include <gtest/gtest.h>

#include "support/cli.hpp"
#include "warehouse/duckdb.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;

namespace {

std::string config_for(const std::string& location) {
  return "data_dir: ./.billingfoot\nsources:\n  - name: files\n    type: focus\n    location: " + location + "\n";
}

// Sum of a column of a CSV file, computed without billingfoot (literal NULL counts as nothing).
__int128 csv_column_sum(const fs::path& file, const std::string& column, size_t* rows = nullptr) {
  auto table = bt::parse_csv(bt::read_file(file));
  size_t index = 0;
  while (index < table[0].size() && table[0][index] != column) ++index;
  EXPECT_LT(index, table[0].size()) << column;
  __int128 sum = 0;
  for (size_t r = 1; r < table.size(); ++r) {
    const std::string& v = table[r][index];
    if (!v.empty() && v != "NULL") sum += bt::parse_decimal_e10(v);
  }
  if (rows) *rows = table.size() - 1;
  return sum;
}

std::string scalar(const fs::path& dir, const std::string& sql) { return bt::query_scalar(dir, sql); }

const char* kHeader =
    "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
    "ChargeCategory,BilledCost,EffectiveCost,ListCost,ContractedCost,ProviderName,PublisherName,"
    "InvoiceIssuerName,ServiceName,ServiceCategory,Tags\n";

std::string row(const std::string& month, const std::string& day, const std::string& cost, const std::string& service,
                const std::string& tags = "") {
  std::string next = month == "2024-09" ? "2024-10" : month == "2024-10" ? "2024-11" : "2024-12";
  return "123," + std::string("USD,") + month + "-01T00:00:00Z," + next + "-01T00:00:00Z," + month + "-" + day +
         "T00:00:00Z," + month + "-" + day + "T01:00:00Z,Usage," + cost + "," + cost + "," + cost + "," + cost +
         ",Acme,Acme,Acme," + service + ",Compute," + (tags.empty() ? "" : "\"" + tags + "\"") + "\n";
}

}  // namespace

TEST(FocusSource, SampleFileTotalsEqualSumsComputedFromTheFile) {
  bt::TempDir dir;
  fs::path sample = bt::shared_testdata("focus-1.0-sample/focus_sample.csv");
  bt::write_file(dir / "billingfoot.yaml", config_for(sample.string()));
  auto sync = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(sync.status, 0) << sync.out << sync.err;

  size_t rows = 0;
  __int128 billed = csv_column_sum(sample, "BilledCost", &rows);
  __int128 effective = csv_column_sum(sample, "EffectiveCost");
  EXPECT_EQ(rows, 1000u);
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "1000");
  EXPECT_EQ(bt::parse_decimal_e10(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")), billed)
      << "expected " << bt::format_e10(billed);
  EXPECT_EQ(bt::parse_decimal_e10(scalar(dir.path(), "SELECT sum(EffectiveCost) FROM focus_costs")), effective)
      << "expected " << bt::format_e10(effective);
}

TEST(FocusSource, SecondSyncIsUnchangedAndFullResyncDoesNotDuplicate) {
  bt::TempDir dir;
  fs::path sample = bt::shared_testdata("focus-1.0-sample/focus_sample.csv");
  bt::write_file(dir / "billingfoot.yaml", config_for(sample.string()));
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);
  std::string total = scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs");

  auto again = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("unchanged"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("loaded"), std::string::npos) << again.out;

  auto full = bt::run_cli({"sync", "--full"}, {}, dir.path());
  ASSERT_EQ(full.status, 0) << full.err;
  EXPECT_NE(full.out.find("loaded"), std::string::npos) << full.out;
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "1000");
  EXPECT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), total);
  EXPECT_EQ(scalar(dir.path(), "SELECT count(DISTINCT x_LoadId) FROM focus_costs"), "2");  // one per period
}

TEST(FocusSource, ChangingOneMonthReloadsOnlyThatMonth) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/sep.csv", std::string(kHeader) + row("2024-09", "01", "10.50", "VM") + row("2024-09", "02", "1.25", "VM"));
  bt::write_file(dir / "exports/oct.csv", std::string(kHeader) + row("2024-10", "01", "7", "DB"));
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports"));
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);

  // A late correction arrives for October only.
  bt::write_file(dir / "exports/oct.csv", std::string(kHeader) + row("2024-10", "01", "7", "DB") + row("2024-10", "03", "-2", "DB"));
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2024-09  unchanged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-10  loaded"), std::string::npos) << r.out;
  EXPECT_EQ(bt::parse_decimal_e10(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")),
            bt::parse_decimal_e10("16.75"));
}

TEST(FocusSource, FromAndToLimitTheLoadedPeriods) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/all.csv",
                 std::string(kHeader) + row("2024-09", "01", "1", "VM") + row("2024-10", "01", "2", "VM") + row("2024-11", "01", "4", "VM"));
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports/*.csv"));
  auto r = bt::run_cli({"sync", "--from", "2024-10", "--to", "2024-10"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(scalar(dir.path(), "SELECT string_agg(DISTINCT x_BillingPeriod, ',') FROM focus_costs"), "2024-10");
}

TEST(FocusSource, TruncatedFileFailsNamingTheFileAndKeepsPreviousData) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/sep.csv", std::string(kHeader) + row("2024-09", "01", "10.50", "VM"));
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports"));
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);

  std::string full = std::string(kHeader) + row("2024-09", "01", "10.50", "VM") + row("2024-09", "02", "99", "VM");
  bt::write_file(dir / "exports/sep.csv", full.substr(0, full.size() - 40));  // cut mid-row
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("sep.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("source files"), std::string::npos) << r.err;
  // Said as what it is, not as a file without FOCUS columns.
  EXPECT_NE(r.err.find("not a well-formed CSV table: its header names 17 comma-separated columns"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(bt::parse_decimal_e10(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")),
            bt::parse_decimal_e10("10.50"));
  auto status = bt::run_cli({"status", "--format", "json"}, {}, dir.path());
  EXPECT_NE(status.out.find("\"failing\""), std::string::npos) << status.out;
}

// The reader checks a sample of a file when the sync starts and reads the whole of it later;
// a file cut off far beyond the sample must still be named.
TEST(FocusSource, FileCutOffAfterManyGoodRowsFailsNamingTheFileAndKeepsPreviousData) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/a.csv", std::string(kHeader) + row("2024-09", "01", "10.50", "VM"));
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports"));
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);

  std::string good = std::string(kHeader) + row("2024-09", "01", "1.25", "VM");
  std::string big = std::string(kHeader);
  for (int i = 0; i < 60000; ++i) big += row(i % 2 ? "2024-09" : "2024-10", "02", "2", "DB");
  bt::write_file(dir / "exports/a.csv", good);
  bt::write_file(dir / "exports/b.csv", big.substr(0, big.size() - 40));  // the last row cut mid-row
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 1);
  // Named as the file that cannot be read, not as values that do not convert.
  EXPECT_NE(r.err.find("source files: file " + (dir / "exports/b.csv").string() + ": "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cannot convert"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("a.csv"), std::string::npos) << r.err;
  EXPECT_EQ(bt::parse_decimal_e10(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs")),
            bt::parse_decimal_e10("10.50"));
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "1");
}

TEST(FocusSource, FileWithoutBilledCostIsRejectedAsSchemaDrift) {
  bt::TempDir dir;
  bt::write_file(dir / "exports/x.csv", "BillingPeriodStart,Cost\n2024-09-01,3\n");
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports"));
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("x.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("BilledCost"), std::string::npos) << r.err;
}

TEST(FocusSource, ToleratesRealWorldFormatting) {
  bt::TempDir dir;
  // BOM, quoted headers in mixed case, literal NULL, timestamps with/without T and Z and with
  // an offset, exponent numbers, a 1.3 column, and unprefixed custom columns.
  std::string text =
      "\xEF\xBB\xBF\"billedcost\",\"BillingPeriodStart\",\"ChargePeriodStart\",\"BillingCurrency\",\"Id\",\"x_Keep\","
      "\"ServiceProviderName\",\"Tags\",\"EffectiveCost\"\n"
      "1.5E-2,2024-09-01 00:00:00,2024-09-03T10:00:00Z,USD,a1,k,Acme,\"{\"\"team\"\": \"\"web\"\"}\",NULL\n"
      "2,2024-09-01T00:00:00Z,2024-09-03 12:00:00+02:00,USD,a2,k,NULL,NULL,2\n";
  bt::write_file(dir / "exports/f.csv", text);
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports/f.csv"));
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), "2.0150000000");
  EXPECT_EQ(scalar(dir.path(), "SELECT string_agg(x_Id, ',' ORDER BY x_Id) FROM focus_costs"), "a1,a2");
  EXPECT_EQ(scalar(dir.path(), "SELECT min(x_Keep) FROM focus_costs"), "k");
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE EffectiveCost IS NULL"), "1");
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE ServiceProviderName IS NULL"), "1");
  EXPECT_EQ(scalar(dir.path(), "SELECT CAST(max(ChargePeriodStart) AS VARCHAR) FROM focus_costs"), "2024-09-03 10:00:00");
  EXPECT_EQ(scalar(dir.path(), "SELECT CAST(min(ChargePeriodStart) AS VARCHAR) FROM focus_costs"), "2024-09-03 10:00:00");
  EXPECT_EQ(scalar(dir.path(), "SELECT Tags->>'team' FROM focus_costs WHERE x_Id = 'a1'"), "web");
  // FOCUS columns a 1.0 file lacks exist and are NULL.
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE HostProviderName IS NULL"), "2");
}

TEST(FocusSource, ReadsGzipCsvParquetAndJsonLines) {
  bt::TempDir dir;
  fs::create_directories(dir / "exports");
  // Test-side writer: DuckDB through our wrapper, producing typed Parquet (Tags as a MAP) and
  // JSON lines (Tags as an object), as other tools would deliver them.
  auto db = billingfoot::warehouse::Database::open(":memory:");
  auto con = db.connect();
  con.execute(
      "CREATE TABLE t AS SELECT * FROM (VALUES "
      "('123', 'USD', TIMESTAMP '2024-09-01', TIMESTAMP '2024-10-01', TIMESTAMP '2024-09-02', TIMESTAMP '2024-09-03', "
      " 'Usage', 1.25::DECIMAL(18,6), 'VM', MAP {'team': 'a'}),"
      "('123', 'USD', TIMESTAMP '2024-10-01', TIMESTAMP '2024-11-01', TIMESTAMP '2024-10-02', TIMESTAMP '2024-10-03', "
      " 'Usage', 2.5::DECIMAL(18,6), 'DB', MAP {'team': 'b'})"
      ") v(BillingAccountId, BillingCurrency, BillingPeriodStart, BillingPeriodEnd, ChargePeriodStart, ChargePeriodEnd, "
      "ChargeCategory, BilledCost, ServiceName, Tags)");
  std::string base = (dir / "exports").string();
  con.execute("COPY (SELECT * EXCLUDE (Tags), to_json(Tags)::VARCHAR AS Tags FROM t) TO '" + base +
              "/a.csv.gz' (FORMAT csv, HEADER, COMPRESSION gzip)");
  con.execute("COPY t TO '" + base + "/b.parquet' (FORMAT parquet)");
  con.execute("COPY (SELECT * REPLACE ({'team': Tags['team']} AS Tags) FROM t) TO '" + base + "/c.jsonl' (FORMAT json)");
  bt::write_file(dir / "billingfoot.yaml", config_for("./exports"));

  auto r = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "6");
  EXPECT_EQ(scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"), "11.2500000000");
  EXPECT_EQ(scalar(dir.path(), "SELECT string_agg(DISTINCT Tags->>'team', ',' ORDER BY Tags->>'team') FROM focus_costs"), "a,b");
}
