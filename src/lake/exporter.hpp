#pragma once
// `billingfoot export`: the warehouse's cost tables as a Hive-partitioned Parquet lake that
// BigQuery external tables, Athena, Trino and Spark read as is —
// <root>/<table>/provider=<ProviderName>/billing_period=<YYYY-MM>/part-….parquet, with
// <table>/_schema.json and <table>/_SUCCESS after a complete export.
//
// Incremental: a partition is rewritten only when its fingerprint changed since the last export
// to the same lake (kept in _billingfoot_export.json). For focus_costs the fingerprint is the
// set of loads (x_LoadId) its rows came from — a load id names one immutable content — plus
// row count, BilledCost total and the column list; for cost_allocated, whose rows any load of
// the month may change through shared-cost splits, a hash over every row's content.
// Partitions no longer in the warehouse are removed. Each partition is replaced atomically
// (see LakeStore::publish); the table's _SUCCESS is removed while an export changes it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lake/hive_path.hpp"
#include "lake/lake_store.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::lake {

struct ExportOptions {
  bool full = false;  // rewrite every partition
  std::string export_id;
};

enum class PartitionAction { Written, Unchanged, Removed };
std::string_view action_name(PartitionAction action);  // written | unchanged | removed

struct PartitionOutcome {
  std::string table;
  PartitionKey key;
  PartitionAction action = PartitionAction::Unchanged;
  int64_t rows = 0;         // rows in the partition (before removal, for removed ones)
  int64_t bytes = 0;        // size of its data files
  std::string billed_cost;  // sum of BilledCost, exact decimal text
};

struct ExportSummary {
  std::string export_id;
  std::string location;
  std::vector<std::string> tables;  // exported: focus_costs, and cost_allocated when present
  std::vector<PartitionOutcome> partitions;
  int written = 0, unchanged = 0, removed = 0;
  int64_t rows_written = 0, bytes_written = 0;
  int64_t rows_total = 0, bytes_total = 0;  // of the lake after the export
  double seconds = 0;
};

// Exports focus_costs and, when the warehouse has it, cost_allocated (a lake table whose
// warehouse table is gone is removed). Reads only. Throws std::runtime_error naming the table,
// partition and file or key on the first failure; partitions replaced before it stay replaced.
ExportSummary export_lake(warehouse::Connection& connection, LakeStore& store,
                          const ExportOptions& options);

// A new export id: UTC time and randomness, e.g. "20250301T120000Z-5f3a9c1e".
std::string new_export_id();

}  // namespace billingfoot::lake
