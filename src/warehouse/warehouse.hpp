#pragma once
// The embedded warehouse: one DuckDB file, its versioned schema, and the one write path for
// cost rows — replace_partition, which swaps a (source, billing period) atomically.
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

// One step of the schema. Versions are applied in order, each in its own transaction, and
// recorded in schema_version; a warehouse file is never downgraded.
struct Migration {
  int version;
  std::string description;
  std::string sql;
};

// The partition a load replaces, and what to replace it with.
struct PartitionLoad {
  std::string source;          // x_SourceName
  std::string source_type;     // x_SourceType
  std::string billing_period;  // YYYY-MM
  std::string fingerprint;     // recorded in loads; an equal fingerprint later means "unchanged"
  // A table or view holding the new rows: focus_costs columns by name (missing ones become
  // NULL) plus any x_ extras. Only rows whose x_BillingPeriod equals billing_period are taken.
  std::string staging_relation;
  std::string started_at;  // ISO timestamp (UTC) when extraction of this period began
};

// A partition loaded straight from a query (a view over the delivered files), evaluated once:
// no staging table, no second pass before the insert. Every row the view yields must belong to
// billing_period.
struct StreamedLoad {
  std::string source;
  std::string source_type;
  std::string billing_period;
  // The rows: views of focus_costs columns by name plus x_ extras, inserted in this order. Put
  // views of few rows first: rows inserted after a large parallel insert are appended to the last
  // row group it wrote, which DuckDB then compresses a second time.
  std::vector<std::string> views;
  std::string fingerprint_prefix;  // prepended to "rows=…;billed=…;load=…" of the new rows
  // When the new rows equal the rows the partition holds (same count, same BilledCost and
  // EffectiveCost totals, then the same sum of row hashes over the views' columns), the
  // transaction is rolled back and the outcome says unchanged: the partition keeps its rows and
  // its load. False: always replace.
  bool keep_if_same = false;
  std::string started_at;
};

struct LoadOutcome {
  std::string load_id;
  int64_t rows = 0;
  std::string billed_cost;     // exact decimal text
  std::string effective_cost;  // exact decimal text
  std::string fingerprint;     // set by replace_partition_streamed
  bool unchanged = false;      // replace_partition_streamed found the same rows and kept the old ones
};

// A row of `loads` written outside a successful replace (skipped / failed periods).
struct LoadRecord {
  std::string source;
  std::string billing_period;
  std::string fingerprint;
  std::string status;  // ok | failed | skipped
  std::string message;
  std::string started_at;
};

class Warehouse {
 public:
  // Opens or creates <file>, applying any pending migrations.
  static Warehouse open(const std::filesystem::path& file, const std::vector<Migration>& migrations,
                        const OpenOptions& options = {});
  Connection& connection() { return connection_; }
  Database& database() { return database_; }
  // Whether any of `migrations` has not been applied to this file yet.
  bool needs_migration(const std::vector<Migration>& migrations);
  int schema_version();
  // Keeps `guard` (e.g. a lock on the data directory) alive until the warehouse is closed.
  void hold_until_closed(std::shared_ptr<void> guard) { guard_ = std::move(guard); }

  // Deletes the old rows of (source, billing_period) and inserts the staged ones in one
  // transaction, records the load in `loads`, then commits. On any failure nothing changes.
  LoadOutcome replace_partition(const PartitionLoad& load);
  // The same for several billing periods of one source and staging relation, all in one
  // transaction and one pass over the staged rows (one insert instead of one per period); each
  // period is reconciled and recorded as its own load. On any failure nothing changes.
  std::vector<LoadOutcome> replace_partitions(const std::vector<PartitionLoad>& loads);
  // The same for rows produced by a view in one pass (see StreamedLoad). Throws
  // warehouse::Error when a row belongs to another period; nothing changes then.
  LoadOutcome replace_partition_streamed(const StreamedLoad& load);
  void record_load(const LoadRecord& record);

  // One sync of one source, for the `runs` table (created by the app's migrations).
  struct RunRecord {
    std::string source;
    std::string started_at;
    std::string status;  // ok | failed
    int64_t loaded = 0, unchanged = 0, failed = 0, rows = 0;
    std::string message;
  };
  void record_run(const RunRecord& run);

  // The fingerprint of the newest successful load of (source, period), or "" when none.
  std::string last_fingerprint(const std::string& source, const std::string& billing_period);

  // Rewrites the small tables that fragmented. Every commit that appends a few rows (a `runs`
  // or `loads` record) gives the table a new row group, stored in a block of its own at the
  // next checkpoint; such groups are never merged, so a service syncing every hour would grow
  // the file (and the memory every open spends on table metadata) by about half a megabyte per
  // run, for ever. A table under a million rows with more row groups than its size needs is
  // copied into one contiguous run of row groups, then checkpointed so the old blocks are
  // reused. Returns the names of the tables rewritten.
  std::vector<std::string> compact_fragmented_tables();

  // Per-source state (e.g. a fingerprint of all delivered files), kept across syncs.
  std::string source_state(const std::string& source, const std::string& key);
  void set_source_state(const std::string& source, const std::string& key, const std::string& value);

 private:
  std::set<int64_t> applied_versions();
  Warehouse(Database database, Connection connection)
      : database_(std::move(database)), connection_(std::move(connection)) {}
  void migrate(const std::vector<Migration>& migrations);
  void add_missing_extra_columns(const std::string& staging_relation);
  void record_ok_load(const std::string& context, const std::string& source, const std::string& period,
                      const std::string& fingerprint, const std::string& started_at, const LoadOutcome& out);

  std::shared_ptr<void> guard_;  // declared first: released after the database is closed
  Database database_;
  Connection connection_;
};

// Current UTC time as "YYYY-MM-DD HH:MM:SS.ffffff" (DuckDB TIMESTAMP text).
std::string utc_now();
// A new random load id.
std::string new_load_id();

}  // namespace billingfoot::warehouse
