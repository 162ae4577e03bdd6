// The warehouse layer: schema versions, atomic partition replacement, the cost query, and
// DuckDB-level protections for user SQL.
#include "warehouse/warehouse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "app/app.hpp"
#include "common/errors.hpp"
#include "focus/catalogue.hpp"
#include "support/cli.hpp"
#include "warehouse/cost_query.hpp"

namespace bt = billingfoot::testing;
namespace wh = billingfoot::warehouse;
using billingfoot::app::schema_migrations;

namespace {

wh::Warehouse memory_warehouse() { return wh::Warehouse::open(":memory:", schema_migrations()); }

// Stages rows for one source: (period, cost, service, tags JSON or "").
void stage(wh::Warehouse& w, const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& rows) {
  w.connection().execute(
      "CREATE OR REPLACE TEMP TABLE staged (x_BillingPeriod VARCHAR, BillingPeriodStart TIMESTAMP, "
      "ChargePeriodStart TIMESTAMP, BilledCost DECIMAL(38,10), EffectiveCost DECIMAL(38,10), ServiceName VARCHAR, "
      "Tags JSON, x_Vendor VARCHAR)");
  auto app = w.connection().appender("staged");
  for (const auto& [period, cost, service, tags] : rows) {
    app.append(period).append(period + "-01").append(period + "-02").append(cost).append(cost).append(service);
    if (tags.empty()) app.append_null(); else app.append(tags);
    app.append("v");
    app.end_row();
  }
  app.flush();
}

std::string one(wh::Warehouse& w, const std::string& sql) { return w.connection().query(sql).text(0, 0); }

}  // namespace

TEST(Warehouse, FocusCostsHasEveryCatalogueColumnWithItsTypeThenOurColumns) {
  auto w = memory_warehouse();
  auto cols = w.connection().query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'focus_costs' "
      "ORDER BY ordinal_position");
  const auto& focus = billingfoot::focus::columns();
  const auto& ours = billingfoot::focus::billingfoot_columns();
  ASSERT_EQ(cols.row_count(), focus.size() + ours.size());
  EXPECT_EQ(focus.size(), 57u + 8u);  // FOCUS 1.2 + the 1.3 additions
  for (size_t i = 0; i < focus.size(); ++i) {
    EXPECT_EQ(cols.text(i, 0), focus[i].name);
    EXPECT_EQ(cols.text(i, 1), billingfoot::focus::sql_type(focus[i].type)) << focus[i].name;
  }
  EXPECT_EQ(cols.text(focus.size(), 0), "x_SourceName");
  EXPECT_EQ(cols.text(focus.size() + 1, 0), "x_SourceType");
  EXPECT_EQ(cols.text(focus.size() + 2, 0), "x_LoadId");
}

TEST(Warehouse, ColumnsWhoseValuesRepeatAreStoredDictionaryCompressedOthersAsDuckDbChooses) {
  // Every name in the list is a string column of focus_costs (a misspelt name would be skipped).
  size_t named = 0;
  for (const auto& c : billingfoot::focus::columns()) {
    if (!billingfoot::focus::repeats_within_row_group(c.name)) continue;
    ++named;
    EXPECT_EQ(c.type, billingfoot::focus::ColumnType::String) << c.name;
  }
  for (const auto& c : billingfoot::focus::billingfoot_columns()) {
    named += billingfoot::focus::repeats_within_row_group(c.name) ? 1 : 0;
  }
  EXPECT_EQ(named, 35u + 4u);
  EXPECT_FALSE(billingfoot::focus::repeats_within_row_group("ResourceId"));
  EXPECT_FALSE(billingfoot::focus::repeats_within_row_group("Tags"));

  // Stored: a named column keeps dictionary compression even where another would be smaller
  // (unique values), a column not named gets what DuckDB finds best (FSST for unique values).
  bt::TempDir dir;
  auto w = wh::Warehouse::open(dir / "w.duckdb", schema_migrations());
  w.connection().execute(
      "INSERT INTO focus_costs (BilledCost, BillingPeriodStart, ServiceName, ResourceId, x_SourceName, "
      "x_SourceType, x_LoadId, x_BillingPeriod) SELECT 1, TIMESTAMP '2025-01-01', md5(i::VARCHAR), "
      "md5(i::VARCHAR), 's', 't', 'l', '2025-01' FROM range(200000) r(i)");
  w.connection().execute("CHECKPOINT");
  auto compression = [&](const std::string& column) {
    return one(w, "SELECT string_agg(DISTINCT compression, ',' ORDER BY compression) FROM "
                  "pragma_storage_info('focus_costs') WHERE column_name = '" + column + "' AND segment_type = 'VARCHAR'");
  };
  EXPECT_EQ(compression("ServiceName"), "Dictionary");
  EXPECT_EQ(compression("ResourceId"), "FSST");
  EXPECT_EQ(one(w, "SELECT count(DISTINCT ServiceName) FROM focus_costs"), "200000");
}

TEST(Warehouse, MigrationsAreRecordedAndAppliedOnlyOnce) {
  bt::TempDir dir;
  auto file = dir / "w.duckdb";
  std::vector<wh::Migration> v1 = {{1, "one", "CREATE TABLE a (x INT)"}};
  { auto w = wh::Warehouse::open(file, v1); EXPECT_EQ(w.schema_version(), 1); }
  auto v2 = v1;
  v2.push_back({2, "two", "ALTER TABLE a ADD COLUMN y INT"});
  {
    auto w = wh::Warehouse::open(file, v2);  // would fail if migration 1 ran again
    EXPECT_EQ(w.schema_version(), 2);
    EXPECT_EQ(one(w, "SELECT count(*) FROM schema_version"), "2");
  }
  // An older program refuses a newer warehouse instead of misreading it.
  EXPECT_THROW(wh::Warehouse::open(file, v1), wh::Error);
}

TEST(Warehouse, FailedMigrationLeavesThePreviousVersion) {
  bt::TempDir dir;
  auto file = dir / "w.duckdb";
  std::vector<wh::Migration> v1 = {{1, "one", "CREATE TABLE a (x INT)"}};
  { wh::Warehouse::open(file, v1); }
  auto broken = v1;
  broken.push_back({2, "broken", "CREATE TABLE b (x INT); SELECT * FROM no_such_table"});
  EXPECT_THROW(wh::Warehouse::open(file, broken), wh::Error);
  auto w = wh::Warehouse::open(file, v1);
  EXPECT_EQ(w.schema_version(), 1);
  EXPECT_EQ(one(w, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'b'"), "0");
}

TEST(Warehouse, ReplacePartitionSwapsOnlyThatSourceAndPeriod) {
  auto w = memory_warehouse();
  stage(w, {{"2024-09", "10", "VM", ""}, {"2024-10", "20", "VM", ""}});
  w.replace_partition({"a", "focus", "2024-09", "fp1", "staged", ""});
  w.replace_partition({"a", "focus", "2024-10", "fp1", "staged", ""});
  w.replace_partition({"b", "focus", "2024-09", "fp1", "staged", ""});
  stage(w, {{"2024-09", "1", "VM", ""}, {"2024-09", "2", "DB", ""}});
  auto out = w.replace_partition({"a", "focus", "2024-09", "fp2", "staged", ""});
  EXPECT_EQ(out.rows, 2);
  EXPECT_EQ(out.billed_cost, "3.0000000000");
  EXPECT_EQ(one(w, "SELECT sum(BilledCost) FROM focus_costs WHERE x_SourceName = 'a'"), "23.0000000000");
  EXPECT_EQ(one(w, "SELECT sum(BilledCost) FROM focus_costs WHERE x_SourceName = 'b'"), "10.0000000000");
  EXPECT_EQ(w.last_fingerprint("a", "2024-09"), "fp2");
  EXPECT_EQ(one(w, "SELECT count(*) FROM loads WHERE status = 'ok'"), "4");
  // Extra x_ columns from the source become focus_costs columns.
  EXPECT_EQ(one(w, "SELECT min(x_Vendor) FROM focus_costs"), "v");
}

TEST(Warehouse, ReplacePartitionThatFailsChangesNothing) {
  auto w = memory_warehouse();
  stage(w, {{"2024-09", "10", "VM", ""}});
  w.replace_partition({"a", "focus", "2024-09", "fp1", "staged", ""});
  // A staged relation whose rows violate focus_costs (BilledCost NOT NULL) fails mid-insert.
  w.connection().execute(
      "CREATE TEMP TABLE bad AS SELECT '2024-09' AS x_BillingPeriod, TIMESTAMP '2024-09-01' AS BillingPeriodStart, "
      "NULL::DECIMAL(38,10) AS BilledCost");
  EXPECT_THROW(w.replace_partition({"a", "focus", "2024-09", "fp2", "bad", ""}), wh::Error);
  EXPECT_EQ(one(w, "SELECT sum(BilledCost) FROM focus_costs"), "10.0000000000");
  EXPECT_EQ(w.last_fingerprint("a", "2024-09"), "fp1");
}

TEST(Warehouse, ReplacePartitionsLoadsSeveralPeriodsEachAsItsOwnLoadOrNoneOfThem) {
  auto w = memory_warehouse();
  stage(w, {{"2024-08", "5", "VM", ""}, {"2024-09", "10", "VM", ""}, {"2024-10", "20", "VM", ""}});
  w.replace_partitions({{"a", "focus", "2024-08", "old", "staged", ""},
                        {"a", "focus", "2024-09", "old", "staged", ""},
                        {"a", "focus", "2024-10", "old", "staged", ""}});
  // A new delivery: September and October change, August is not part of the call.
  stage(w, {{"2024-08", "500", "VM", ""},
            {"2024-09", "1.25", "VM", ""},
            {"2024-09", "2.5", "DB", ""},
            {"2024-10", "7", "VM", ""},
            {"2024-11", "9", "VM", ""}});
  auto out = w.replace_partitions(
      {{"a", "focus", "2024-09", "fp9", "staged", ""}, {"a", "focus", "2024-10", "fp10", "staged", ""}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rows, 2);
  EXPECT_EQ(out[0].billed_cost, "3.7500000000");
  EXPECT_EQ(out[1].rows, 1);
  EXPECT_EQ(out[1].billed_cost, "7.0000000000");
  EXPECT_NE(out[0].load_id, out[1].load_id);
  // Only the periods asked for changed: August keeps its rows, November's staged row is not taken.
  EXPECT_EQ(one(w, "SELECT string_agg(x_BillingPeriod || '=' || s, ',' ORDER BY x_BillingPeriod) FROM (SELECT "
                   "x_BillingPeriod, sum(BilledCost)::VARCHAR AS s FROM focus_costs GROUP BY 1)"),
            "2024-08=5.0000000000,2024-09=3.7500000000,2024-10=7.0000000000");
  // Each period's rows carry its own load, recorded with that period's rows and totals.
  EXPECT_EQ(one(w, "SELECT count(*) FROM focus_costs f JOIN loads l ON l.load_id = f.x_LoadId "
                   "WHERE l.billing_period = f.x_BillingPeriod AND l.status = 'ok'"),
            "4");
  EXPECT_EQ(one(w, "SELECT rows || '/' || billed_cost FROM loads WHERE load_id = '" + out[0].load_id + "'"),
            "2/3.7500000000");
  EXPECT_EQ(w.last_fingerprint("a", "2024-09"), "fp9");
  EXPECT_EQ(w.last_fingerprint("a", "2024-10"), "fp10");

  // One bad period fails them all: nothing changes, in no period.
  w.connection().execute(
      "CREATE TEMP TABLE bad AS SELECT * FROM (VALUES ('2024-09', TIMESTAMP '2024-09-01', 99::DECIMAL(38,10)), "
      "('2024-10', TIMESTAMP '2024-10-01', NULL::DECIMAL(38,10))) t(x_BillingPeriod, BillingPeriodStart, BilledCost)");
  EXPECT_THROW(
      w.replace_partitions({{"a", "focus", "2024-09", "x", "bad", ""}, {"a", "focus", "2024-10", "x", "bad", ""}}),
      wh::Error);
  EXPECT_EQ(one(w, "SELECT sum(BilledCost) FROM focus_costs"), "15.7500000000");
  EXPECT_EQ(w.last_fingerprint("a", "2024-09"), "fp9");
}

TEST(Warehouse, TransactionRollsBackUnlessCommitted) {
  auto w = memory_warehouse();
  w.connection().execute("CREATE TABLE t (x INT)");
  {
    wh::Transaction tx(w.connection());
    w.connection().execute("INSERT INTO t VALUES (1)");
  }
  EXPECT_EQ(one(w, "SELECT count(*) FROM t"), "0");
  {
    wh::Transaction tx(w.connection());
    w.connection().execute("INSERT INTO t VALUES (1)");
    tx.commit();
  }
  EXPECT_EQ(one(w, "SELECT count(*) FROM t"), "1");
}

// A service appends a `runs` and a `loads` row per sync, each commit a new row group in a block
// of its own; without compaction the file grows about half a megabyte per run for ever.
TEST(Warehouse, FragmentedLogTablesAreCompactedSoTheFileStopsGrowing) {
  bt::TempDir dir;
  auto file = dir / "w.duckdb";
  auto cycle = [&](int i, bool compact) {
    auto w = wh::Warehouse::open(file, schema_migrations());
    if (compact) w.compact_fragmented_tables();
    wh::Warehouse::RunRecord run;
    run.source = "s" + std::to_string(i % 3);
    run.status = "ok";
    run.rows = i;
    w.record_run(run);
    w.record_load({run.source, "2026-0" + std::to_string(1 + i % 9), "fp" + std::to_string(i), "skipped", "", ""});
  };
  auto groups = [&](const std::string& table) {
    auto w = wh::Warehouse::open(file, schema_migrations());
    return std::stoll(one(w, "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('" + table + "')"));
  };
  auto content = [&](const std::string& table) {
    auto w = wh::Warehouse::open(file, schema_migrations());
    return one(w, "SELECT count(*) || ':' || sum(hash(t)) FROM " + table + " t");
  };
  for (int i = 0; i < 20; ++i) cycle(i, false);
  ASSERT_GE(groups("runs"), 20);  // the fragmentation this guards against
  std::string runs_before = content("runs"), loads_before = content("loads");
  {
    auto w = wh::Warehouse::open(file, schema_migrations());
    auto done = w.compact_fragmented_tables();
    EXPECT_NE(std::find(done.begin(), done.end(), "runs"), done.end());
    EXPECT_NE(std::find(done.begin(), done.end(), "loads"), done.end());
    EXPECT_EQ(std::find(done.begin(), done.end(), "schema_version"), done.end());  // not fragmented
  }
  EXPECT_EQ(groups("runs"), 1);
  EXPECT_EQ(groups("loads"), 1);
  EXPECT_EQ(content("runs"), runs_before);  // every row kept, unchanged
  EXPECT_EQ(content("loads"), loads_before);
  // Opened for writing 70 more times (as `open_warehouse` does, compacting first): the file
  // reaches a steady size instead of growing with every run (40 runs added ~20 MB before). Its
  // size swings between compactions, so the largest size of a 20-run window is compared.
  auto max_size_over = [&](int from, int to) {
    std::uintmax_t largest = 0;
    for (int i = from; i < to; ++i) {
      cycle(i, true);
      largest = std::max(largest, std::filesystem::file_size(file));
    }
    return largest;
  };
  for (int i = 20; i < 30; ++i) cycle(i, true);
  auto early = max_size_over(30, 50);
  for (int i = 50; i < 70; ++i) cycle(i, true);
  auto late = max_size_over(70, 90);
  EXPECT_LE(late, early + 2 * 1024 * 1024) << early << " -> " << late;  // the leak: +20 MB
  EXPECT_LE(groups("runs"), 10);
  EXPECT_EQ(content("runs").substr(0, 3), "90:");
}

TEST(Warehouse, ErrorsCarryDuckDbMessageAndOurContext) {
  auto w = memory_warehouse();
  try {
    w.connection().query("SELECT * FROM missing_table", "reading the thing");
    FAIL();
  } catch (const wh::Error& e) {
    EXPECT_EQ(e.context(), "reading the thing");
    EXPECT_NE(e.engine_message().find("missing_table"), std::string::npos);
  }
}

TEST(Warehouse, ReadOnlyWithoutExternalAccessRefusesFilesAndWritesAtTheEngine) {
  bt::TempDir dir;
  auto file = dir / "w.duckdb";
  { wh::Warehouse::open(file, schema_migrations()); }
  bt::write_file(dir / "x.csv", "a\n1\n");
  wh::OpenOptions options;
  options.read_only = true;
  options.external_access = false;
  auto w = wh::Warehouse::open(file, {}, options);
  auto& con = w.connection();
  EXPECT_THROW(con.query("SELECT * FROM read_csv('" + (dir / "x.csv").string() + "')"), wh::Error);
  EXPECT_THROW(con.query("DELETE FROM focus_costs"), wh::Error);
  EXPECT_THROW(con.query("SET enable_external_access = true"), wh::Error);
  EXPECT_EQ(one(w, "SELECT count(*) FROM focus_costs"), "0");
}

TEST(CostQuery, GroupsByTagWithUntaggedAndSortsByCostWithExactTotal) {
  auto w = memory_warehouse();
  stage(w, {{"2024-09", "1.005", "VM", "{\"team\": \"web\"}"},
            {"2024-09", "5", "DB", "{\"team\": \"data\"}"},
            {"2024-09", "0.5", "VM", "{\"Team\": \"web\"}"},
            {"2024-09", "2", "VM", ""}});
  w.replace_partition({"a", "focus", "2024-09", "fp", "staged", ""});
  wh::CostQuery q;
  q.group_by = {"tag:team"};
  auto b = wh::query_costs(w.connection(), q);
  ASSERT_EQ(b.rows.row_count(), 3u);
  EXPECT_EQ(b.rows.text(0, 0), "data");
  EXPECT_EQ(b.rows.text(1, 0), "(untagged)");  // 2 + 0.5 (a differently spelled key is not "team")
  EXPECT_EQ(b.rows.text(1, 1), "2.5000000000");
  EXPECT_EQ(b.rows.text(2, 0), "web");
  EXPECT_EQ(b.total_cost, "8.5050000000");
  EXPECT_EQ(b.total_rows, 4);
}

TEST(CostQuery, DayGranularityAndDateBoundsAreInclusive) {
  auto w = memory_warehouse();
  stage(w, {{"2024-09", "1", "VM", ""}, {"2024-10", "2", "VM", ""}, {"2024-11", "4", "VM", ""}});
  for (auto p : {"2024-09", "2024-10", "2024-11"}) w.replace_partition({"a", "focus", p, "fp", "staged", ""});
  wh::CostQuery q;
  q.group_by = {"servicename"};
  q.granularity = "month";
  q.from = "2024-10";
  q.to = "2024-11";
  auto b = wh::query_costs(w.connection(), q);
  ASSERT_EQ(b.rows.row_count(), 2u);
  EXPECT_EQ(b.rows.text(0, 0), "2024-10-01");
  EXPECT_EQ(b.rows.column_name(1), "servicename");
  EXPECT_EQ(b.total_cost, "6.0000000000");
  q.to = "2024-10-02";  // a day bound includes that whole day
  EXPECT_EQ(wh::query_costs(w.connection(), q).total_cost, "2.0000000000");
}

TEST(CostQuery, UnknownDimensionOrDateIsAUsageError) {
  auto w = memory_warehouse();
  wh::CostQuery q;
  q.group_by = {"NoSuchColumn"};
  EXPECT_THROW(wh::query_costs(w.connection(), q), billingfoot::UsageError);
  q.group_by = {"ServiceName"};
  q.from = "2024-13";
  EXPECT_THROW(wh::query_costs(w.connection(), q), billingfoot::UsageError);
  q.from.reset();
  q.group_by = {"ServiceName\" FROM loads --"};
  EXPECT_THROW(wh::query_costs(w.connection(), q), billingfoot::UsageError);
}
