#include "warehouse/source_status.hpp"

#include <gtest/gtest.h>

namespace billingfoot::warehouse {
namespace {

// loads and runs as the schema has them (the columns source_status reads), with one source
// that synced 3 hours ago, one 10 minutes ago, and one whose last attempt failed.
Connection seeded(Database& db) {
  Connection con = db.connect();
  con.execute(R"(
CREATE TABLE focus_costs (x_SourceName VARCHAR, x_BillingPeriod VARCHAR, BilledCost DECIMAL(38,10));
CREATE TABLE loads (source VARCHAR, billing_period VARCHAR, status VARCHAR, message VARCHAR, finished_at TIMESTAMP);
CREATE TABLE runs (source VARCHAR, status VARCHAR, finished_at TIMESTAMP);
INSERT INTO loads VALUES
  ('old', '2026-11', 'ok', '', CAST(now() AS TIMESTAMP) - INTERVAL 3 HOUR),
  ('fresh', '2026-11', 'ok', '', CAST(now() AS TIMESTAMP) - INTERVAL 10 MINUTE),
  ('broken', '2026-11', 'ok', '', CAST(now() AS TIMESTAMP) - INTERVAL 3 HOUR),
  ('broken', '*', 'failed', 'connection refused', CAST(now() AS TIMESTAMP) - INTERVAL 1 MINUTE);
INSERT INTO runs VALUES ('broken', 'ok', CAST(now() AS TIMESTAMP) - INTERVAL 3 HOUR),
  ('broken', 'failed', CAST(now() AS TIMESTAMP) - INTERVAL 1 MINUTE);
)");
  return con;
}

TEST(SourceStatus, ASourceWithoutASuccessWithinItsWindowIsStale) {
  auto db = Database::open(":memory:");
  Connection con = seeded(db);
  Result r = source_status(con, {{"old", "focus", "@hourly", 7200},
                                 {"fresh", "focus", "@hourly", 7200},
                                 {"broken", "focus", "@hourly", 7200},
                                 {"never", "focus", "@hourly", 7200},
                                 {"unscheduled", "focus", "", 0}});
  size_t state = r.column_index("state"), schedule = r.column_index("schedule"),
         last_run_status = r.column_index("last_run_status");
  EXPECT_EQ(r.text(0, state), "stale");  // 3 h without a success, window 2 h
  EXPECT_EQ(r.text(1, state), "ok");
  EXPECT_EQ(r.text(2, state), "failing");  // failing wins over stale: it says more
  EXPECT_EQ(r.text(2, last_run_status), "failed");
  EXPECT_EQ(r.text(3, state), "never synced");
  EXPECT_EQ(r.text(0, schedule), "@hourly");
}

}  // namespace
}  // namespace billingfoot::warehouse
