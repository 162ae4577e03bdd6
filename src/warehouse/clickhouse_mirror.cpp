// Copies the model tables (allocation, daily rollup, unit costs, anomalies, budgets) from the
// local DuckDB, where the models are computed, to a ClickHouse warehouse, so that every reader
// finds them there. Per partition: a fingerprint of the local rows is compared with the one
// ClickHouse holds (table `mirrors`), and only a changed partition is sent, through a private
// staging table and an atomic `ALTER TABLE … REPLACE PARTITION … FROM staging`.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "common/strings.hpp"
#include "warehouse/clickhouse.hpp"
#include "warehouse/clickhouse_sql.hpp"
#include "warehouse/reader.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

namespace {

using LocalColumn = ColumnInfo;

std::vector<LocalColumn> local_columns(Connection& local, const std::string& table) {
  return duckdb_reader(local)->columns(table);
}

bool has(const std::vector<LocalColumn>& cols, const std::string& name) {
  for (const auto& c : cols) {
    if (c.name == name) return true;
  }
  return false;
}

// Columns kept as DuckDB's text in ClickHouse: JSON and other types without a ClickHouse
// counterpart, and the bookkeeping timestamps of the small tables (detected_at, updated_at),
// which carry fractions of a second that ClickHouse 18.16's DateTime cannot hold. Charge
// timestamps (ChargePeriodStart, …) are whole seconds and stay DateTime for range filters.
bool as_text(const LocalColumn& c, bool partitioned) {
  if (c.type == "VARCHAR") return false;
  if (c.type == "TIMESTAMP" || c.type == "TIMESTAMP WITH TIME ZONE") return !partitioned;
  return ch_type(c.type, false) == "String";
}

std::string mirror_type(const LocalColumn& c, bool partitioned) {
  bool key = partitioned && is_key_column(c.name);
  return as_text(c, partitioned) ? "Nullable(String)" : ch_type(c.type, !key);
}

// The expression that writes a column as JSON ClickHouse reads into its type.
std::string export_expression(const LocalColumn& c, bool partitioned) {
  if (c.type == "BOOLEAN") return "CAST(" + quote_ident(c.name) + " AS INTEGER)";
  if (as_text(c, partitioned)) return "CAST(" + quote_ident(c.name) + " AS VARCHAR)";
  return quote_ident(c.name);
}

// The ClickHouse definition of a mirror: the local columns (Tags also as key/value arrays, for
// grouping by tag), partitioned by source and month when the table has both.
std::string definition(const std::vector<LocalColumn>& cols, bool partitioned) {
  std::vector<std::string> defs;
  for (const auto& c : cols) defs.push_back(ch_ident(c.name) + " " + mirror_type(c, partitioned));
  if (has(cols, "Tags")) {
    defs.push_back("`x_TagKeys` Array(String)");
    defs.push_back("`x_TagValues` Array(String)");
  }
  return "(" + common::join(defs, ", ") + ") ENGINE = MergeTree " +
         (partitioned ? "PARTITION BY (x_SourceName, x_BillingPeriod) ORDER BY (x_SourceName, "
                        "x_BillingPeriod)"
                      : "PARTITION BY tuple() ORDER BY tuple()");
}

std::string partition_expression(bool partitioned, const std::string& source,
                                 const std::string& period) {
  return partitioned ? "(" + ch_literal(source) + ", " + ch_literal(period) + ")" : "tuple()";
}

}  // namespace

std::vector<MirroredTable> mirror_models_to_clickhouse(ClickHouse& ch, Connection& local,
                                                       const std::filesystem::path& scratch_dir,
                                                       const std::vector<std::string>& own_sources,
                                                       size_t chunk_bytes) {
  ch.create_database();
  ch.execute(
      "CREATE TABLE IF NOT EXISTS mirrors (table String, partition String, fingerprint String, "
      "rows Int64, published_at DateTime('UTC'), publisher String) ENGINE = MergeTree ORDER BY "
      "(table, partition, published_at)",
      "creating mirrors");
  ch.execute(
      "CREATE TABLE IF NOT EXISTS mirror_columns (table String, position UInt32, name String, "
      "duck_type String, published_at DateTime('UTC')) ENGINE = MergeTree ORDER BY (table, "
      "position, published_at)",
      "creating mirror_columns");
  std::set<std::string> own(own_sources.begin(), own_sources.end());
  std::vector<MirroredTable> out;
  for (const std::string table :
       {"cost_allocated", "cost_daily", "unit_costs", "anomalies", "budget_status"}) {
    std::vector<LocalColumn> cols = local_columns(local, table);
    if (cols.empty()) continue;
    drop_abandoned_staging(ch, table);
    MirroredTable m;
    m.table = table;
    bool partitioned = has(cols, "x_SourceName") && has(cols, "x_BillingPeriod");
    std::string def = definition(cols, partitioned);
    // A table whose columns changed (e.g. new allocation dimensions) is created anew; the
    // structure is part of every fingerprint, so all of its partitions are sent again.
    std::string shape = std::to_string(std::hash<std::string>{}(def));
    ClickHouseResult remote_cols =
        ch.query("SELECT name, type FROM system.columns WHERE database = " +
                     ch_literal(ch.settings().database) + " AND table = " + ch_literal(table),
                 "reading the columns of " + table);
    std::vector<std::string> want, have;
    for (const auto& c : cols) want.push_back(c.name + " " + mirror_type(c, partitioned));
    if (has(cols, "Tags")) {
      want.push_back("x_TagKeys Array(String)");
      want.push_back("x_TagValues Array(String)");
    }
    for (const auto& r : remote_cols.rows)
      have.push_back(r[0].value_or("") + " " + r[1].value_or(""));
    bool created = remote_cols.rows.empty();  // a table always has columns
    // ClickHouse spells types its own way ("Decimal(38, 10)"): compared without spaces.
    auto squeeze = [](std::vector<std::string> v) {
      for (auto& t : v) t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
      return v;
    };
    // Columns to record in mirror_columns: all on a new table, the added ones otherwise.
    std::vector<size_t> record;
    if (!created && squeeze(have) != squeeze(want)) {
      // A per-source table is shared with the other machines' sources, whose columns may differ
      // (each source brings its own x_ columns): a column this machine's rows lack stays (its
      // rows get NULL there), one they add is added. Only a column whose type changed, or a
      // change to a whole table, makes the table anew.
      std::map<std::string, std::string> have_types;
      for (const auto& r : remote_cols.rows) {
        std::string t = r[1].value_or("");
        t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
        have_types[r[0].value_or("")] = t;
      }
      bool retype = !partitioned;
      std::vector<size_t> added;
      for (size_t i = 0; i < cols.size() && !retype; ++i) {
        std::string t = mirror_type(cols[i], partitioned);
        t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
        auto it = have_types.find(cols[i].name);
        if (it == have_types.end()) {
          added.push_back(i);
        } else if (it->second != t) {
          retype = true;
        }
      }
      if (has(cols, "Tags") && !have_types.count("x_TagKeys")) retype = true;
      if (retype) {
        spdlog::info("ClickHouse {}: the columns of {} changed; creating it anew", ch.describe(),
                     table);
        ch.execute("DROP TABLE IF EXISTS " + ch_ident(table), "replacing " + table);
        created = true;
      } else {
        for (size_t i : added) {
          ch.execute("ALTER TABLE " + ch_ident(table) + " ADD COLUMN " + ch_ident(cols[i].name) +
                         " " + mirror_type(cols[i], partitioned),
                     "adding column " + cols[i].name + " to " + table);
        }
        record = added;
      }
    }
    ch.execute("CREATE TABLE IF NOT EXISTS " + ch_ident(table) + " " + def, "creating " + table);
    if (created) {
      record.clear();
      for (size_t i = 0; i < cols.size(); ++i) record.push_back(i);
    }
    if (!record.empty()) {
      // DuckDB's types, so a reader of ClickHouse returns the same types as one of DuckDB.
      std::string now = utc_now().substr(0, 19);
      size_t position = created ? 0 : remote_cols.rows.size();
      std::vector<std::string> values;
      for (size_t i : record) {
        values.push_back("(" + ch_literal(table) + ", " + std::to_string(position++) + ", " +
                         ch_literal(cols[i].name) + ", " + ch_literal(cols[i].type) + ", " +
                         ch_literal(now) + ")");
      }
      ch.execute("INSERT INTO mirror_columns VALUES " + common::join(values, ", "),
                 "recording the columns of " + table);
    }

    // What ClickHouse holds per partition, and what the local table holds.
    std::map<std::string, std::string> remote;
    ClickHouseResult held =
        ch.query("SELECT partition, argMax(fingerprint, published_at) FROM mirrors WHERE table = " +
                     ch_literal(table) + " GROUP BY partition",
                 "reading the published partitions of " + table);
    // A table just created holds nothing, whatever older records say.
    if (!created) {
      for (const auto& r : held.rows) remote[r[0].value_or("")] = r[1].value_or("");
    }
    std::vector<std::string> hashed;
    for (const auto& c : cols) hashed.push_back(quote_ident(c.name));
    std::string keys = partitioned ? "x_SourceName, x_BillingPeriod" : "'', ''";
    Result parts = local.query("SELECT " + keys + ", count(*), CAST(sum(hash(" +
                                   common::join(hashed, ", ") + ")::HUGEINT) AS VARCHAR) FROM " +
                                   quote_ident(table) + (partitioned ? " GROUP BY ALL" : ""),
                               "fingerprinting " + table);
    std::set<std::string> present;
    for (size_t i = 0; i < parts.row_count(); ++i) {
      std::string source = parts.text(i, 0), period = parts.text(i, 1);
      std::string partition = partitioned ? source + "|" + period : "";
      int64_t rows = parts.int64(i, 2);
      if (rows == 0 && !partitioned) continue;  // an empty table: nothing to hold
      present.insert(partition);
      std::string fingerprint =
          shape + ";rows=" + std::to_string(rows) + ";hash=" + parts.text(i, 3);
      m.rows += rows;
      if (remote.count(partition) && remote[partition] == fingerprint) {
        ++m.partitions_unchanged;
        continue;
      }
      std::string what = table + (partitioned ? " " + source + " " + period : "");
      std::string staging =
          table + "_staging_" + std::to_string(std::time(nullptr)) + "_" + random_suffix();
      ch.execute("CREATE TABLE " + ch_ident(staging) + " AS " + ch_ident(table),
                 "publishing " + what + ": creating staging");
      try {
        std::vector<std::string> select;
        for (const auto& c : cols)
          select.push_back(export_expression(c, partitioned) + " AS " + quote_ident(c.name));
        if (has(cols, "Tags")) select.push_back(kTagArraysSelect);
        std::string where = partitioned ? " WHERE x_SourceName = " + quote_literal(source) +
                                              " AND x_BillingPeriod = " + quote_literal(period)
                                        : "";
        send_as_csv(
            local, "SELECT " + common::join(select, ", ") + " FROM " + quote_ident(table) + where,
            scratch_dir / (staging + ".csv"), chunk_bytes,
            [&](const std::vector<std::string>& columns, const std::string& chunk) {
              ch.insert_csv(staging, columns, chunk, "publishing " + what + ": inserting rows");
            },
            "publishing " + what);
        ClickHouseResult check = ch.query("SELECT count() FROM " + ch_ident(staging),
                                          "publishing " + what + ": checking staging");
        int64_t staged = std::stoll(check.rows.at(0).at(0).value_or("0"));
        if (staged != rows) {
          throw ClickHouseError("publishing " + what + ": " + std::to_string(staged) +
                                " rows staged, expected " + std::to_string(rows));
        }
        ch.execute("ALTER TABLE " + ch_ident(table) + " REPLACE PARTITION " +
                       partition_expression(partitioned, source, period) + " FROM " +
                       ch_ident(staging),
                   "publishing " + what + ": swapping the partition");
        ch.execute("INSERT INTO mirrors SELECT " + ch_literal(table) + ", " +
                       ch_literal(partition) + ", " + ch_literal(fingerprint) + ", " +
                       std::to_string(rows) + ", now(), hostName()",
                   "publishing " + what + ": recording it");
      } catch (...) {
        try {
          ch.execute("DROP TABLE IF EXISTS " + ch_ident(staging), "dropping staging");
        } catch (const std::exception& e) {
          spdlog::warn("{}", e.what());
        }
        throw;
      }
      ch.execute("DROP TABLE IF EXISTS " + ch_ident(staging),
                 "publishing " + what + ": dropping staging");
      ++m.partitions_sent;
    }
    // Partitions the local models no longer have: gone in ClickHouse too — only those of this
    // writer's sources (another machine's sources are its to publish).
    for (const auto& [partition, fingerprint] : remote) {
      if (present.count(partition) || fingerprint.empty()) continue;
      std::string source, period;
      if (partitioned) {
        size_t bar = partition.find('|');
        if (bar == std::string::npos) continue;
        source = partition.substr(0, bar);
        period = partition.substr(bar + 1);
        if (!own.empty() && !own.count(source)) continue;
      } else if (!partition.empty()) {
        continue;
      }
      ch.execute("ALTER TABLE " + ch_ident(table) + " DROP PARTITION " +
                     partition_expression(partitioned, source, period),
                 "publishing " + table + ": dropping a partition that is gone");
      ch.execute("INSERT INTO mirrors SELECT " + ch_literal(table) + ", " + ch_literal(partition) +
                     ", '', 0, now(), hostName()",
                 "publishing " + table + ": recording the drop");
      ++m.partitions_dropped;
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace billingfoot::warehouse
