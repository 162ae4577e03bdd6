#include "warehouse/warehouse.hpp"

#include <map>
#include <set>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include <spdlog/spdlog.h>

#include "common/failpoint.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
  std::time_t t = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return buf;
}

std::string new_load_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

Warehouse Warehouse::open(const std::filesystem::path& file, const std::vector<Migration>& migrations,
                          const OpenOptions& options) {
  if (!file.empty() && file != ":memory:" && file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path());
  }
  Database db = Database::open(file.string(), options);
  Connection con = db.connect();
  Warehouse wh(std::move(db), std::move(con));
  if (!options.read_only) wh.migrate(migrations);
  return wh;
}

int Warehouse::schema_version() {
  Result exists = connection_.query(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'",
      "reading schema version");
  if (exists.int64(0, 0) == 0) return 0;
  return static_cast<int>(
      connection_.query("SELECT coalesce(max(version), 0) FROM schema_version").int64(0, 0));
}

std::set<int64_t> Warehouse::applied_versions() {
  std::set<int64_t> applied;
  if (schema_version() == 0) return applied;
  Result done = connection_.query("SELECT version FROM schema_version");
  for (size_t i = 0; i < done.row_count(); ++i) applied.insert(done.int64(i, 0));
  return applied;
}

bool Warehouse::needs_migration(const std::vector<Migration>& migrations) {
  std::set<int64_t> applied = applied_versions();
  for (const auto& m : migrations) {
    if (!applied.count(m.version)) return true;
  }
  return false;
}

void Warehouse::migrate(const std::vector<Migration>& migrations) {
  connection_.execute(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description "
      "VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)",
      "creating schema_version");
  int current = schema_version();
  int newest = 0;
  for (const auto& m : migrations) newest = std::max(newest, m.version);
  if (current > newest) {
    throw Error("opening warehouse " + database_.path(),
                "its schema version " + std::to_string(current) +
                    " is newer than this billingfoot understands (" + std::to_string(newest) +
                    "); upgrade billingfoot");
  }
  // Versions are applied by number, not by "newer than the newest applied": migrations written
  // on parallel branches (2 and 7, say) both run whatever order they were first seen in.
  std::set<int64_t> applied = applied_versions();
  for (const auto& m : migrations) {
    if (applied.count(m.version)) continue;
    Transaction tx(connection_);
    connection_.execute(m.sql, "applying schema migration " + std::to_string(m.version) + " (" + m.description + ")");
    auto ins = connection_.prepare("INSERT INTO schema_version VALUES (?, ?, CAST(? AS TIMESTAMP))");
    ins.bind(1, static_cast<int64_t>(m.version)).bind(2, m.description).bind(3, utc_now()).execute();
    tx.commit();
  }
}

void Warehouse::add_missing_extra_columns(const std::string& staging_relation) {
  // Extra x_ columns a source brings (e.g. AWS's x_ServiceCode) become focus_costs columns.
  // They are stored as VARCHAR: one name may carry different types across sources.
  Result missing = connection_.query(
      "SELECT s.column_name FROM information_schema.columns s WHERE s.table_name = " +
          quote_literal(staging_relation) +
          " AND lower(s.column_name) LIKE 'x\\_%' ESCAPE '\\' AND lower(s.column_name) NOT IN "
          "(SELECT lower(c.column_name) FROM information_schema.columns c WHERE c.table_name = "
          "'focus_costs') ORDER BY s.ordinal_position",
      "comparing staged columns with focus_costs");
  for (size_t i = 0; i < missing.row_count(); ++i) {
    connection_.execute("ALTER TABLE focus_costs ADD COLUMN " + quote_ident(missing.text(i, 0)) + " VARCHAR",
                        "adding column " + missing.text(i, 0) + " to focus_costs");
  }
}

LoadOutcome Warehouse::replace_partition(const PartitionLoad& load) { return replace_partitions({load}).front(); }

std::vector<LoadOutcome> Warehouse::replace_partitions(const std::vector<PartitionLoad>& loads) {
  if (loads.empty()) return {};
  const PartitionLoad& first = loads.front();
  std::vector<std::string> periods;  // quoted
  std::string load_id_of = "CASE x_BillingPeriod";
  std::vector<LoadOutcome> out(loads.size());
  for (size_t i = 0; i < loads.size(); ++i) {
    if (loads[i].source != first.source || loads[i].staging_relation != first.staging_relation) {
      throw Error("loading " + first.source, "replace_partitions takes one source and one staging relation");
    }
    out[i].load_id = new_load_id();
    periods.push_back(quote_literal(loads[i].billing_period));
    load_id_of += " WHEN " + periods.back() + " THEN " + quote_literal(out[i].load_id);
  }
  load_id_of += " END";
  std::string in_periods = "(" + common::join(periods, ", ") + ")";
  std::string context = "loading " + first.source + " " +
                        (loads.size() == 1 ? first.billing_period
                                           : std::to_string(loads.size()) + " billing periods (" +
                                                 first.billing_period + " to " + loads.back().billing_period + ")");
  Transaction tx(connection_);
  add_missing_extra_columns(first.staging_relation);

  auto del = connection_.prepare("DELETE FROM focus_costs WHERE x_SourceName = ? AND x_BillingPeriod IN " + in_periods,
                                 context);
  del.bind(1, first.source).execute();
  common::failpoint("replace_partition.after_delete");

  // BY NAME: staged columns land in the focus_costs columns of the same name (missing ones are
  // NULL); the load's identity columns are set here, so staged rows must not carry them.
  {
    common::StepTimer timer(context + ": insert");
    connection_.execute("INSERT INTO focus_costs BY NAME SELECT *, " + quote_literal(first.source) +
                            " AS x_SourceName, " + quote_literal(first.source_type) + " AS x_SourceType, " +
                            load_id_of + " AS x_LoadId FROM " + quote_ident(first.staging_relation) +
                            " WHERE x_BillingPeriod IN " + in_periods,
                        context);
  }
  common::failpoint("replace_partition.after_insert");

  // Reconcile before committing: what landed in each period must equal what was staged for it,
  // row for row and to the last decimal of BilledCost.
  Result loaded = connection_.query(
      "SELECT x_BillingPeriod, count(*), coalesce(sum(BilledCost), 0), coalesce(sum(EffectiveCost), 0) FROM "
      "focus_costs WHERE x_SourceName = " + quote_literal(first.source) + " AND x_BillingPeriod IN " + in_periods +
          " GROUP BY 1",
      context);
  Result staged = connection_.query("SELECT x_BillingPeriod, count(*), CAST(coalesce(sum(BilledCost), 0) AS "
                                    "DECIMAL(38,10)) FROM " + quote_ident(first.staging_relation) +
                                        " WHERE x_BillingPeriod IN " + in_periods + " GROUP BY 1",
                                    context);
  std::map<std::string, size_t> loaded_row, staged_row;
  for (size_t r = 0; r < loaded.row_count(); ++r) loaded_row[loaded.text(r, 0)] = r;
  for (size_t r = 0; r < staged.row_count(); ++r) staged_row[staged.text(r, 0)] = r;
  const std::string zero = "0.0000000000";
  for (size_t i = 0; i < loads.size(); ++i) {
    const std::string& period = loads[i].billing_period;
    auto l = loaded_row.find(period);
    auto st = staged_row.find(period);
    bool has_rows = l != loaded_row.end();
    out[i].rows = has_rows ? loaded.int64(l->second, 1) : 0;
    out[i].billed_cost = has_rows ? loaded.text(l->second, 2) : zero;
    out[i].effective_cost = has_rows ? loaded.text(l->second, 3) : zero;
    int64_t staged_rows = st == staged_row.end() ? 0 : staged.int64(st->second, 1);
    std::string staged_billed = st == staged_row.end() ? zero : staged.text(st->second, 2);
    if (staged_rows != out[i].rows || staged_billed != out[i].billed_cost) {
      throw Error("loading " + first.source + " " + period,
                  "reconciliation failed: staged " + std::to_string(staged_rows) + " rows / " + staged_billed +
                      " BilledCost, loaded " + std::to_string(out[i].rows) + " rows / " + out[i].billed_cost +
                      "; nothing was changed");
    }
  }
  for (size_t i = 0; i < loads.size(); ++i) {
    record_ok_load("loading " + first.source + " " + loads[i].billing_period, loads[i].source,
                   loads[i].billing_period, loads[i].fingerprint, loads[i].started_at, out[i]);
  }
  common::failpoint("replace_partition.before_commit");
  common::StepTimer timer(context + ": commit");
  tx.commit();
  return out;
}

void Warehouse::record_ok_load(const std::string& context, const std::string& source, const std::string& period,
                               const std::string& fingerprint, const std::string& started_at,
                               const LoadOutcome& out) {
  auto rec = connection_.prepare(
      "INSERT INTO loads (load_id, source, billing_period, fingerprint, rows, billed_cost, "
      "effective_cost, started_at, finished_at, status, message) VALUES (?, ?, ?, ?, ?, "
      "CAST(? AS DECIMAL(38,10)), CAST(? AS DECIMAL(38,10)), CAST(? AS TIMESTAMP), CAST(? AS "
      "TIMESTAMP), 'ok', '')",
      context);
  rec.bind(1, out.load_id)
      .bind(2, source)
      .bind(3, period)
      .bind(4, fingerprint)
      .bind(5, out.rows)
      .bind(6, out.billed_cost)
      .bind(7, out.effective_cost)
      .bind(8, started_at.empty() ? utc_now() : started_at)
      .bind(9, utc_now())
      .execute();
}

LoadOutcome Warehouse::replace_partition_streamed(const StreamedLoad& load) {
  std::string context = "loading " + load.source + " " + load.billing_period;
  LoadOutcome out;
  out.load_id = new_load_id();
  Transaction tx(connection_);
  for (const auto& view : load.views) add_missing_extra_columns(view);

  // Each view is evaluated once, straight into focus_costs (BY NAME, as replace_partition),
  // next to the partition's old rows, which are deleted afterwards unless the new rows turn out
  // to be the same. A view may be a UNION, which gives DuckDB no batch order to insert in
  // parallel by: keeping insertion order would make the insert single-threaded. focus_costs rows
  // have no order, so it is switched off for the insert (when the configuration is locked, the
  // insert runs in order, only slower).
  int64_t inserted = 0;
  {
    common::StepTimer timer(context + ": insert");
    bool unordered = false;
    try {
      connection_.execute("SET preserve_insertion_order = false");
      unordered = true;
    } catch (const Error&) {
    }
    struct Restore {
      Connection& con;
      bool active;
      ~Restore() {
        if (!active) return;
        try {
          con.execute("RESET preserve_insertion_order");
        } catch (const Error&) {
        }
      }
    } restore{connection_, unordered};
    for (const auto& view : load.views) {
      Result r = connection_.query("INSERT INTO focus_costs BY NAME SELECT *, " + quote_literal(load.source) +
                                       " AS x_SourceName, " + quote_literal(load.source_type) + " AS x_SourceType, " +
                                       quote_literal(out.load_id) + " AS x_LoadId FROM " + quote_ident(view),
                                   context);
      inserted += r.int64(0, 0);
    }
  }
  common::failpoint("replace_partition.after_insert");

  // Totals of the new rows and of the rows the partition held, in one pass over three columns:
  // rows of another period fail the load; the old rows' totals tell whether the new ones can be
  // the same rows at all.
  Result t;
  {
    common::StepTimer timer(context + ": totals");
    auto totals = connection_.prepare(
        "SELECT count(*) FILTER (WHERE x_LoadId = $3), "
        "coalesce(sum(BilledCost) FILTER (WHERE x_LoadId = $3), 0), "
        "coalesce(sum(EffectiveCost) FILTER (WHERE x_LoadId = $3), 0), "
        "count(*) FILTER (WHERE x_LoadId = $3 AND x_BillingPeriod <> $2), "
        "min(x_BillingPeriod) FILTER (WHERE x_LoadId = $3 AND x_BillingPeriod <> $2), "
        "count(*) FILTER (WHERE x_LoadId <> $3), "
        "coalesce(sum(BilledCost) FILTER (WHERE x_LoadId <> $3), 0), "
        "coalesce(sum(EffectiveCost) FILTER (WHERE x_LoadId <> $3), 0) "
        "FROM focus_costs WHERE x_SourceName = $1 AND (x_BillingPeriod = $2 OR x_LoadId = $3)",
        context);
    t = totals.bind(1, load.source).bind(2, load.billing_period).bind(3, out.load_id).execute();
  }
  if (t.int64(0, 3) != 0) {
    throw Error(context, std::to_string(t.int64(0, 3)) + " rows belong to billing period " + t.text(0, 4) +
                             "; nothing was changed");
  }
  out.rows = t.int64(0, 0);
  out.billed_cost = t.text(0, 1);
  out.effective_cost = t.text(0, 2);
  if (out.rows != inserted) {
    throw Error(context, "reconciliation failed: inserted " + std::to_string(inserted) + " rows, found " +
                             std::to_string(out.rows) + "; nothing was changed");
  }

  // Only when count and totals match can the content be the same: then compare the sums of row
  // hashes over the views' columns (order-independent; duplicates do not cancel out).
  if (load.keep_if_same && t.int64(0, 5) == out.rows && t.text(0, 6) == out.billed_cost &&
      t.text(0, 7) == out.effective_cost) {
    std::vector<std::string> names;  // the columns of all views, each once
    std::set<std::string> seen;
    for (const auto& view : load.views) {
      Result cols = connection_.query("SELECT column_name FROM information_schema.columns WHERE table_name = " +
                                          quote_literal(view) + " ORDER BY ordinal_position",
                                      context);
      for (size_t i = 0; i < cols.row_count(); ++i) {
        if (seen.insert(common::to_lower(cols.text(i, 0))).second) names.push_back(quote_ident(cols.text(i, 0)));
      }
    }
    std::string row_hash = "hash(" + common::join(names, ", ") + ")::HUGEINT";
    common::StepTimer timer(context + ": comparing with the rows held");
    auto same = connection_.prepare("SELECT coalesce(sum(" + row_hash + ") FILTER (WHERE x_LoadId = $3), 0) = "
                                    "coalesce(sum(" + row_hash + ") FILTER (WHERE x_LoadId <> $3), 0) "
                                    "FROM focus_costs WHERE x_SourceName = $1 AND x_BillingPeriod = $2",
                                    context);
    if (same.bind(1, load.source).bind(2, load.billing_period).bind(3, out.load_id).execute().text(0, 0) == "true") {
      out.unchanged = true;
      return out;  // the Transaction rolls back: the partition keeps its (identical) rows
    }
  }

  {
    common::StepTimer timer(context + ": deleting the old rows");
    auto del = connection_.prepare(
        "DELETE FROM focus_costs WHERE x_SourceName = ? AND x_BillingPeriod = ? AND x_LoadId <> ?", context);
    int64_t deleted = del.bind(1, load.source).bind(2, load.billing_period).bind(3, out.load_id).execute().int64(0, 0);
    common::failpoint("replace_partition.after_delete");
    // Reconcile before committing: the partition holds exactly the rows this insert wrote.
    if (deleted != t.int64(0, 5)) {
      throw Error(context, "reconciliation failed: the partition held " + std::to_string(t.int64(0, 5)) +
                               " old rows, " + std::to_string(deleted) + " were deleted; nothing was changed");
    }
  }
  // Each load's fingerprint is new: a partition is only reloaded when its delivery changed, and
  // a reload with the same rows keeps the old load (above), so equal fingerprints mean equal rows.
  out.fingerprint = load.fingerprint_prefix + "rows=" + std::to_string(out.rows) + ";billed=" + out.billed_cost +
                    ";load=" + out.load_id;
  record_ok_load(context, load.source, load.billing_period, out.fingerprint, load.started_at, out);
  common::failpoint("replace_partition.before_commit");
  common::StepTimer timer(context + ": commit");
  tx.commit();
  return out;
}

void Warehouse::record_load(const LoadRecord& record) {
  auto rec = connection_.prepare(
      "INSERT INTO loads (load_id, source, billing_period, fingerprint, rows, billed_cost, "
      "effective_cost, started_at, finished_at, status, message) VALUES (?, ?, ?, ?, 0, NULL, "
      "NULL, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?)",
      "recording load of " + record.source + " " + record.billing_period);
  rec.bind(1, new_load_id())
      .bind(2, record.source)
      .bind(3, record.billing_period)
      .bind(4, record.fingerprint)
      .bind(5, record.started_at.empty() ? utc_now() : record.started_at)
      .bind(6, utc_now())
      .bind(7, record.status)
      .bind(8, record.message)
      .execute();
}

void Warehouse::record_run(const RunRecord& run) {
  auto rec = connection_.prepare(
      "INSERT INTO runs (run_id, source, started_at, finished_at, status, partitions_loaded, "
      "partitions_unchanged, partitions_failed, rows, message) VALUES (?, ?, CAST(? AS TIMESTAMP), "
      "CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?)",
      "recording the run of " + run.source);
  rec.bind(1, new_load_id())
      .bind(2, run.source)
      .bind(3, run.started_at.empty() ? utc_now() : run.started_at)
      .bind(4, utc_now())
      .bind(5, run.status)
      .bind(6, run.loaded)
      .bind(7, run.unchanged)
      .bind(8, run.failed)
      .bind(9, run.rows)
      .bind(10, run.message)
      .execute();
}

std::vector<std::string> Warehouse::compact_fragmented_tables() {
  constexpr int64_t kRowGroupRows = 122880;  // DuckDB's row group size
  constexpr int64_t kMaxRows = 1000000;      // larger tables are rewritten by their own loads
  constexpr int64_t kSlack = 8;              // row groups tolerated beyond what the rows need
  std::vector<std::string> compacted;
  // A table with an index of its own is left alone: recreating it from its DDL would drop the
  // index. (The schema has none; a later migration might add one.)
  Result tables = connection_.query(
      "SELECT t.table_name, t.sql FROM duckdb_tables() t WHERE t.database_name = current_database() "
      "AND t.schema_name = 'main' AND NOT t.temporary AND t.estimated_size < " + std::to_string(kMaxRows) +
          " AND NOT EXISTS (SELECT 1 FROM duckdb_indexes() i WHERE i.database_name = t.database_name AND "
          "i.table_name = t.table_name) ORDER BY 1",
      "listing tables to compact");
  for (size_t i = 0; i < tables.row_count(); ++i) {
    std::string table = tables.text(i, 0);
    std::string quoted = common::quote_ident(table);
    std::string context = "compacting table " + table;
    Result shape = connection_.query("SELECT (SELECT count(*) FROM " + quoted +
                                         "), (SELECT count(DISTINCT row_group_id) FROM pragma_storage_info(" +
                                         common::quote_literal(table) + "))",
                                     context);
    int64_t rows = std::stoll(shape.text(0, 0));
    int64_t n_groups = std::stoll(shape.text(0, 1));
    if (n_groups <= rows / kRowGroupRows + 1 + kSlack) continue;
    // DELETE + INSERT would leave the deleted row groups in place; a dropped table's blocks are
    // freed at the checkpoint. Its DDL as stored recreates it with constraints and defaults.
    Transaction tx(connection_);
    connection_.query("CREATE TEMP TABLE billingfoot_compact AS SELECT * FROM " + quoted, context);
    connection_.query("DROP TABLE " + quoted, context);
    connection_.query(tables.text(i, 1), context);
    connection_.query("INSERT INTO " + quoted + " SELECT * FROM billingfoot_compact", context);
    connection_.query("DROP TABLE billingfoot_compact", context);
    tx.commit();
    spdlog::info("compacted table {}: {} rows in {} row groups rewritten", table, rows, n_groups);
    compacted.push_back(table);
  }
  if (!compacted.empty()) connection_.query("CHECKPOINT", "checkpoint after compacting tables");
  return compacted;
}

std::string Warehouse::last_fingerprint(const std::string& source, const std::string& billing_period) {
  auto q = connection_.prepare(
      "SELECT fingerprint FROM loads WHERE source = ? AND billing_period = ? AND status = 'ok' "
      "ORDER BY finished_at DESC LIMIT 1");
  Result r = q.bind(1, source).bind(2, billing_period).execute();
  return r.row_count() ? r.text(0, 0) : std::string();
}

std::string Warehouse::source_state(const std::string& source, const std::string& key) {
  auto q = connection_.prepare("SELECT value FROM source_state WHERE source = ? AND key = ?");
  Result r = q.bind(1, source).bind(2, key).execute();
  return r.row_count() ? r.text(0, 0) : std::string();
}

void Warehouse::set_source_state(const std::string& source, const std::string& key, const std::string& value) {
  auto q = connection_.prepare(
      "INSERT OR REPLACE INTO source_state (source, key, value, updated_at) VALUES (?, ?, ?, "
      "CAST(? AS TIMESTAMP))");
  q.bind(1, source).bind(2, key).bind(3, value).bind(4, utc_now()).execute();
}

}  // namespace billingfoot::warehouse
