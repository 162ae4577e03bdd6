#include "lake/exporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/hash.hpp"
#include "common/progress.hpp"
#include "common/strings.hpp"
#include "lake/export_state.hpp"
#include "lake/table_schema.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::lake {

namespace fs = std::filesystem;
using common::quote_ident;
using common::quote_literal;

namespace {

// Bumped when the files' layout or the column mapping changes: every partition is rewritten.
constexpr const char* kLakeFormat = "lake-1";
const std::vector<std::string> kTables = {"focus_costs", "cost_allocated"};

// A partition as the warehouse holds it now.
struct WarehousePartition {
  PartitionKey key;
  int64_t rows = 0;
  std::string billed_cost;
  std::string fingerprint;
};

bool table_exists(warehouse::Connection& con, const std::string& table) {
  auto q = con.prepare(
      "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?");
  return q.bind(1, table).execute().int64(0, 0) > 0;
}

std::string partition_filter(const PartitionKey& key) {
  std::string month = quote_literal(key.billing_period + "-01");
  return std::string("nullif(ProviderName, '') ") +
         (key.provider ? "= " + quote_literal(*key.provider) : "IS NULL") +
         " AND BillingPeriodStart >= CAST(" + month +
         " AS TIMESTAMP) AND BillingPeriodStart < CAST(" + month +
         " AS TIMESTAMP) + INTERVAL 1 MONTH";
}

std::vector<WarehousePartition> warehouse_partitions(warehouse::Connection& con,
                                                     const std::string& table,
                                                     const std::vector<ExportColumn>& columns) {
  std::string signature = kLakeFormat;
  std::vector<std::string> names;
  for (const auto& c : columns) {
    signature += "\n" + c.name + " " + c.type + (c.json_text ? " json" : "");
    names.push_back(quote_ident(c.name));
  }
  std::string content =
      table == "focus_costs"
          ? "string_agg(DISTINCT x_LoadId, ',' ORDER BY x_LoadId)"
          : "CAST(sum(hash(" + common::join(names, ", ") + ")::HUGEINT) AS VARCHAR)";
  std::string context = "listing the partitions of " + table;
  warehouse::Result missing = con.query(
      "SELECT count(*) FROM " + quote_ident(table) + " WHERE BillingPeriodStart IS NULL", context);
  if (missing.int64(0, 0) > 0) {
    throw std::runtime_error(
        table + ": " + missing.text(0, 0) +
        " rows have no BillingPeriodStart, so they belong to no partition; nothing was exported");
  }
  warehouse::Result r = con.query(
      "SELECT nullif(ProviderName, '') AS provider, strftime(BillingPeriodStart, '%Y-%m') AS "
      "period, count(*), "
      "coalesce(sum(BilledCost), 0), " +
          content + " FROM " + quote_ident(table) + " GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2",
      context);
  std::vector<WarehousePartition> partitions;
  for (size_t i = 0; i < r.row_count(); ++i) {
    WarehousePartition p;
    p.key = {r.cell(i, 0), r.text(i, 1)};
    p.rows = r.int64(i, 2);
    p.billed_cost = r.text(i, 3);
    p.fingerprint = common::sha256_hex(signature + "\nrows=" + std::to_string(p.rows) +
                                       "\nbilled=" + p.billed_cost + "\ncontent=" + r.text(i, 4));
    partitions.push_back(std::move(p));
  }
  return partitions;
}

void write_small_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Writes one partition's Parquet file into a staging folder, checks it against the warehouse
// and publishes it. Returns what is now in the lake.
ExportedPartition write_partition(warehouse::Connection& con, LakeStore& store,
                                  const std::string& table,
                                  const std::vector<ExportColumn>& columns,
                                  const WarehousePartition& p, const std::string& export_id) {
  std::string dir = table + "/" + p.key.dir();
  fs::path staged = store.stage(dir);
  std::string name = store.data_file_name(0);
  fs::path file = staged / name;
  std::string context = "writing " + file.string();
  con.execute("COPY (SELECT " + export_select_list(columns) + " FROM " + quote_ident(table) +
                  " WHERE " + partition_filter(p.key) + ") TO " + quote_literal(file.string()) +
                  " (FORMAT parquet, COMPRESSION snappy)",
              context);
  // Reconcile before publishing: the file holds exactly the partition's rows and cost.
  warehouse::Result check =
      con.query("SELECT count(*), coalesce(sum(BilledCost), 0) FROM read_parquet(" +
                    quote_literal(file.string()) + ")",
                "reading back " + file.string());
  if (check.int64(0, 0) != p.rows || check.text(0, 1) != p.billed_cost) {
    throw std::runtime_error("the written file holds " + check.text(0, 0) + " rows / " +
                             check.text(0, 1) + " BilledCost, the warehouse " +
                             std::to_string(p.rows) + " / " + p.billed_cost +
                             "; nothing was published");
  }
  ExportedPartition e;
  e.fingerprint = p.fingerprint;
  e.files = {name};
  e.rows = p.rows;
  e.bytes = static_cast<int64_t>(fs::file_size(file));
  e.billed_cost = p.billed_cost;
  e.export_id = export_id;
  nlohmann::ordered_json manifest = {
      {"table", table},
      {"partition",
       {{"provider", p.key.provider ? nlohmann::ordered_json(*p.key.provider) : nullptr},
        {"billing_period", p.key.billing_period}}},
      {"export_id", export_id},
      {"written_at", warehouse::utc_now()},
      {"fingerprint", p.fingerprint},
      {"rows", p.rows},
      {"billed_cost", p.billed_cost},
      {"files",
       nlohmann::ordered_json::array({{{"name", name}, {"bytes", e.bytes}, {"rows", p.rows}}})}};
  write_small_file(staged / kManifestFile, manifest.dump(2) + "\n");
  write_small_file(staged / kSuccessFile,
                   nlohmann::ordered_json({{"export_id", export_id}}).dump() + "\n");
  store.publish(dir, staged, e.files);
  return e;
}

// What one table's export will do.
struct TablePlan {
  std::vector<const WarehousePartition*> write, keep;
  std::vector<std::string> remove;  // partition folders
};

TablePlan plan_table(LakeStore& store, const std::string& table,
                     const std::vector<WarehousePartition>& wanted,
                     const std::map<std::string, ExportedPartition>& exported, bool full) {
  TablePlan plan;
  std::set<std::string> wanted_dirs;
  for (const auto& p : wanted) {
    std::string dir = p.key.dir();
    wanted_dirs.insert(dir);
    auto it = exported.find(dir);
    bool same = !full && it != exported.end() && it->second.fingerprint == p.fingerprint &&
                store.has_files(table + "/" + dir, it->second.files);
    (same ? plan.keep : plan.write).push_back(&p);
  }
  std::set<std::string> in_lake;
  for (const auto& [dir, e] : exported) in_lake.insert(dir);
  for (const auto& dir : store.partition_dirs(table)) in_lake.insert(dir);
  for (const auto& dir : in_lake) {
    if (!wanted_dirs.count(dir)) plan.remove.push_back(dir);
  }
  return plan;
}

}  // namespace

std::string_view action_name(PartitionAction action) {
  switch (action) {
    case PartitionAction::Written:
      return "written";
    case PartitionAction::Unchanged:
      return "unchanged";
    case PartitionAction::Removed:
      return "removed";
  }
  return "unchanged";
}

std::string new_export_id() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  static thread_local std::mt19937 rng{std::random_device{}()};
  char id[48];
  std::snprintf(id, sizeof id, "%s-%08x", stamp, static_cast<unsigned>(rng()));
  return id;
}

ExportSummary export_lake(warehouse::Connection& con, LakeStore& store,
                          const ExportOptions& options) {
  auto started = std::chrono::steady_clock::now();
  ExportSummary summary;
  summary.export_id = options.export_id.empty() ? new_export_id() : options.export_id;
  summary.location = store.describe();
  std::optional<std::string> state_text = store.read_text(kStateFile);
  ExportState state = state_text ? ExportState::parse(*state_text) : ExportState{};
  auto save_state = [&] {
    state.last_export_id = summary.export_id;
    state.updated_at = warehouse::utc_now();
    store.write_text(kStateFile, state.to_json());
  };

  for (const auto& table : kTables) {
    bool present = table_exists(con, table);
    std::vector<ExportColumn> columns;
    std::vector<WarehousePartition> wanted;
    if (present) {
      columns = export_columns(con, table);
      wanted = warehouse_partitions(con, table, columns);
    }
    auto& exported = state.tables[table];
    TablePlan plan = plan_table(store, table, wanted, exported, options.full);
    bool known = !exported.empty() || store.has_files(table, {kSchemaFile}) ||
                 store.has_files(table, {kSuccessFile});
    if (!present && plan.remove.empty() && !known) {
      state.tables.erase(table);
      continue;
    }
    bool changes = !plan.write.empty() || !plan.remove.empty();
    // While the table changes it is not a complete export.
    if (changes) store.remove_file(table + "/" + kSuccessFile);

    for (const auto* p : plan.keep) {
      const ExportedPartition& e = exported.at(p->key.dir());
      summary.partitions.push_back(
          {table, p->key, PartitionAction::Unchanged, e.rows, e.bytes, e.billed_cost});
    }
    common::Progress progress("export " + table, plan.write.size());
    size_t done = 0;
    for (const auto* p : plan.write) {
      std::string dir = p->key.dir();
      progress.update(done++, dir);
      ExportedPartition e;
      try {
        e = write_partition(con, store, table, columns, *p, summary.export_id);
      } catch (const std::exception& error) {
        throw std::runtime_error("exporting " + table + " partition " + dir + " to " +
                                 store.describe(table + "/" + dir) + ": " + error.what());
      }
      spdlog::info("{} {}: {} rows, {} bytes", table, dir, e.rows, e.bytes);
      summary.partitions.push_back(
          {table, p->key, PartitionAction::Written, e.rows, e.bytes, e.billed_cost});
      exported[dir] = std::move(e);
      save_state();
    }
    for (const auto& dir : plan.remove) {
      try {
        store.remove_dir(table + "/" + dir);
      } catch (const std::exception& error) {
        throw std::runtime_error("removing " + table + " partition " + dir + " from " +
                                 store.describe(table + "/" + dir) + ": " + error.what());
      }
      auto it = exported.find(dir);
      PartitionOutcome removed;
      removed.table = table;
      removed.key = parse_partition_dir(dir).value_or(PartitionKey{});
      removed.action = PartitionAction::Removed;
      if (it != exported.end()) {
        removed.rows = it->second.rows;
        removed.bytes = it->second.bytes;
        removed.billed_cost = it->second.billed_cost;
        exported.erase(it);
      }
      summary.partitions.push_back(std::move(removed));
      save_state();
    }

    if (!present) {
      // The warehouse no longer has the table (allocation was switched off): neither has the lake.
      store.remove_file(table + "/" + kSchemaFile);
      store.remove_file(table + "/" + kSuccessFile);
      state.tables.erase(table);
      save_state();
      continue;
    }
    std::string schema = schema_json(table, columns);
    if (store.read_text(table + "/" + kSchemaFile) != schema)
      store.write_text(table + "/" + kSchemaFile, schema);
    if (changes || !store.has_files(table, {kSuccessFile})) {
      int64_t rows = 0;
      for (const auto& [dir, e] : exported) rows += e.rows;
      nlohmann::ordered_json success = {{"export_id", summary.export_id},
                                        {"finished_at", warehouse::utc_now()},
                                        {"partitions", exported.size()},
                                        {"rows", rows}};
      store.write_text(table + "/" + kSuccessFile, success.dump(2) + "\n");
    }
    if (!state_text || changes) save_state();
    summary.tables.push_back(table);
  }

  std::stable_sort(summary.partitions.begin(), summary.partitions.end(),
                   [](const auto& a, const auto& b) {
                     auto rank = [](const std::string& t) {
                       return std::find(kTables.begin(), kTables.end(), t) - kTables.begin();
                     };
                     if (a.table != b.table) return rank(a.table) < rank(b.table);
                     return a.key.dir() < b.key.dir();
                   });
  for (const auto& p : summary.partitions) {
    if (p.action == PartitionAction::Written) {
      ++summary.written;
      summary.rows_written += p.rows;
      summary.bytes_written += p.bytes;
    } else if (p.action == PartitionAction::Unchanged) {
      ++summary.unchanged;
    } else {
      ++summary.removed;
    }
    if (p.action != PartitionAction::Removed) {
      summary.rows_total += p.rows;
      summary.bytes_total += p.bytes;
    }
  }
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace billingfoot::lake
