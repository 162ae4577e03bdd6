#pragma once
// The query side of the warehouse: the handful of reads the reports, the HTTP API and the
// dashboards need, the same on every backend. Callers never write backend SQL for these; where
// DuckDB and ClickHouse differ, the difference lives in the implementation. Results come back as
// warehouse::Result (for ClickHouse, the small result is copied into an in-memory DuckDB), so the
// code that formats them is shared.
//
// User SQL (`billingfoot query`, POST /api/v1/query, dashboard panels) is the exception: it is
// written in the backend's own dialect and runs read-only there.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "warehouse/cost_query.hpp"
#include "warehouse/duckdb.hpp"
#include "warehouse/read_only_query.hpp"

namespace billingfoot::warehouse {

class ClickHouse;

struct DayRange {
  std::string from, to;  // inclusive YYYY-MM-DD
};

struct ColumnInfo {
  std::string name;
  std::string type;  // DuckDB's type name (VARCHAR, DECIMAL(38,10), DATE, …) on every backend
};

class Reader {
 public:
  virtual ~Reader() = default;
  virtual std::string backend() const = 0;  // "duckdb" | "clickhouse"

  virtual bool has_table(const std::string& table) = 0;
  // In table order; empty when the table does not exist.
  virtual std::vector<ColumnInfo> columns(const std::string& table) = 0;
  // Throws UsageError when `dimension` (a column of `table` or tag:KEY) cannot be grouped by.
  virtual void check_dimension(const std::string& table, const std::string& dimension) = 0;
  // Moves `query` to the daily rollup when it holds every dimension the query uses (DuckDB);
  // returns whether it did.
  virtual bool use_rollup_when_possible(CostQuery& query) = 0;

  virtual CostBreakdown costs(const CostQuery& query) = 0;
  // Cost per value of `dimension` in two ranges (the base query's filters apply to both):
  // <dimension>, current_cost, previous_cost, change, change_pct (NULL when there was nothing
  // before). Ordered by current cost (or by the size of the change when `by_change`), then
  // value; at most `limit` rows.
  virtual Result compare(const CostQuery& base, const std::string& dimension,
                         const DayRange& current, const DayRange& previous, bool by_change,
                         size_t limit) = 0;
  // The first and last day holding costs (time column of the query's table), none when empty.
  virtual std::optional<DayRange> span(const CostQuery& query) = 0;
  // How many distinct non-NULL values a column holds.
  virtual int64_t distinct_count(const std::string& table, const std::string& column) = 0;
  // The most frequent tag keys among (a sample of) the tagged rows.
  virtual std::vector<std::string> tag_keys(const std::string& table, size_t limit) = 0;
  // Every column of a small table (unit_costs, anomalies, budget_status), sorted by all columns.
  virtual Result table_rows(const std::string& table, size_t limit) = 0;
  // One read-only statement in the backend's dialect, at most max_rows rows, cancelled after
  // `timeout`. Throws QueryRefused, QueryTimedOut, or Error / UsageError for bad SQL.
  virtual LimitedResult read_only(const std::string& sql, size_t max_rows,
                                  std::chrono::milliseconds timeout) = 0;
  // Checks that a dashboard panel's SQL names existing tables and columns (DuckDB binds it;
  // backends that cannot check without running it accept it).
  virtual void check_sql(const std::string& sql) = 0;

  // The warehouse's record of loads as a table of scratch() (its name is returned), in the
  // columns of the local `loads` table (load_id, source, billing_period, fingerprint, rows,
  // billed_cost, effective_cost, started_at, finished_at, status, message). On ClickHouse: every
  // month any machine published (status ok, the message names the machine).
  virtual std::string loads_table() = 0;
  // A DuckDB connection for arithmetic on results (exact decimals), on every backend.
  virtual Connection& scratch() = 0;
};

// Reads the DuckDB warehouse through `connection` (which the caller keeps open); `rollup` (when
// given) moves a cost query to a daily rollup table that can answer it.
std::unique_ptr<Reader> duckdb_reader(Connection& connection,
                                      std::function<bool(Connection&, CostQuery&)> rollup = {});

// Reads a ClickHouse warehouse. The client is shared by the caller and must outlive the reader.
std::unique_ptr<Reader> clickhouse_reader(ClickHouse& clickhouse);

}  // namespace billingfoot::warehouse
