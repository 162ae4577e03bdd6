#pragma once
// ClickHouse as the shared warehouse (`warehouse: {type: clickhouse, …}`). DuckDB stays the
// engine that normalizes each (source, billing period) locally; a loaded partition is then
// published to ClickHouse over its HTTP interface: inserted into a staging table of the same
// structure, then swapped in with `ALTER TABLE … REPLACE PARTITION … FROM staging`, which is
// atomic. A crash before the swap leaves the old month; two writers of one partition each swap
// in a complete month, so the cents are never doubled (the later swap wins). After its swap a
// writer checks that the partition holds what it staged (count and BilledCost sum) and records
// its load only then.
//
// With `cluster:` the month is sharded by billing account over the cluster's servers and
// becomes visible shard by shard; the check after the swaps is made on every shard (see
// publish_to_clickhouse).
//
// Works with ClickHouse 18.16 (Debian 12's package: no Parquet, no window functions, JSON via
// visitParamExtract*) and later releases: only MergeTree, REPLACE PARTITION, CSV input and
// TabSeparatedWithNamesAndTypes output are used.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "warehouse/cost_query.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

struct ClickHouseSettings {
  std::string url;       // http://host:8123
  std::string database;  // created when missing
  std::string user;      // empty: ClickHouse's default user
  std::string password;  // sent as a header, never logged
  // A cluster of the servers' own remote_servers config. When set, focus_costs on `url` (and on
  // every shard) is a Distributed table over focus_costs_local on each shard, sharded by
  // BillingAccountId; loads stays a plain table on `url`. Empty: one server.
  std::string cluster;
  // The HTTP URL of one server per shard, in system.clusters shard_num order. Empty: each
  // shard's host_address with the scheme and port of `url`.
  std::vector<std::string> shard_urls;
};

// A query result as text: NULL is std::nullopt. Types are ClickHouse's type names.
struct ClickHouseResult {
  std::vector<std::string> names, types;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class ClickHouseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ClickHouse {
 public:
  explicit ClickHouse(ClickHouseSettings settings);
  // Runs one statement; throws ClickHouseError naming `context`, the server and its message.
  void execute(const std::string& sql, const std::string& context);
  ClickHouseResult query(const std::string& sql, const std::string& context);
  // The same with ClickHouse settings for this statement only ("readonly=1&max_…=…").
  ClickHouseResult query_with_settings(const std::string& sql, const std::string& settings,
                                       const std::string& context);
  // INSERT INTO table (columns) FORMAT CSV with `rows` as the body (as send_as_csv writes them).
  // `query_settings` ("&name=value…") are added to the request.
  void insert_csv(const std::string& table, const std::vector<std::string>& columns, const std::string& rows,
                  const std::string& context, const std::string& query_settings = "");
  // Streams the result of `sql` as CSVWithNames (NULL as a bare \N, text quoted) into `file`,
  // which exists only once the whole answer has arrived.
  void query_to_csv_file(const std::string& sql, const std::filesystem::path& file,
                         const std::string& context);
  void create_database();  // CREATE DATABASE IF NOT EXISTS
  const ClickHouseSettings& settings() const { return settings_; }
  // "host:port/database" for messages (never the password).
  std::string describe() const;

 private:
  std::string post(const std::string& sql_or_empty, const std::string& body,
                   const std::string& context, const std::string& query_string = "",
                   bool in_database = true, const std::filesystem::path* into_file = nullptr);
  ClickHouseSettings settings_;
};

// Drops the staging tables of `table` (named <table>_staging_<unix time>_<random>) older than six
// hours: left by a writer that died before its swap (a younger one may be at work).
void drop_abandoned_staging(ClickHouse& ch, const std::string& table);

// Writes the rows of `select` (DuckDB SQL on `local`) as CSV the way ClickHouse reads it to
// `file` (removed afterwards) and hands them to `send` with the column names, in chunks of whole
// rows of about `chunk_bytes` (never all in memory); returns the number of rows. `context`
// starts error messages.
int64_t send_as_csv(Connection& local, const std::string& select, const std::filesystem::path& file,
                    size_t chunk_bytes,
                    const std::function<void(const std::vector<std::string>&, const std::string&)>& send,
                    const std::string& context);

// One published partition.
struct PublishedPartition {
  std::string source, billing_period, fingerprint;
  int64_t rows = 0;
  std::string billed_cost;
  bool unchanged = false;  // ClickHouse already held this load
};

// The servers of settings().cluster, one per shard in shard_num order, each with the database
// created (empty without a cluster). Throws ClickHouseError naming the cluster and server when
// the cluster is not defined on `url`, has more than one replica per shard, `shard_urls` does
// not list one URL per shard, or a shard does not answer.
std::vector<ClickHouse> cluster_shards(ClickHouse& ch);

// Creates the database and its tables (focus_costs with one column per column of the local
// focus_costs plus x_TagKeys / x_TagValues for grouping by tag, and loads); adds columns the
// local table gained since. With a cluster: focus_costs_local on every shard, the Distributed
// focus_costs on `url` and every shard, loads on `url`.
void ensure_clickhouse_schema(ClickHouse& ch, Connection& local);

// Publishes every (source, billing period) whose newest successful local load is not the one
// ClickHouse holds; partitions of sources in `only_sources` (all when empty). Rows are written
// to a CSV file in `scratch_dir`, then sent in chunks of about `chunk_bytes`. A month's
// `loads` row is written only once every shard (or the single server) holds exactly the rows
// and BilledCost this writer staged there after the swap. Throws ClickHouseError, also naming
// the source, period and shard when another writer's rows are found there after the swap (no
// load recorded: the next sync publishes the month again); partitions already swapped stay
// published.
std::vector<PublishedPartition> publish_to_clickhouse(ClickHouse& ch, Connection& local,
                                                      const std::filesystem::path& scratch_dir,
                                                      const std::vector<std::string>& only_sources,
                                                      size_t chunk_bytes = 16u << 20);

// One model table copied to ClickHouse by mirror_models_to_clickhouse.
struct MirroredTable {
  std::string table;
  int64_t rows = 0;  // rows the local table holds
  size_t partitions_sent = 0, partitions_unchanged = 0, partitions_dropped = 0;
};

// Copies the model tables the readers use (cost_allocated, cost_daily, unit_costs, anomalies,
// budget_status) from `local` to ClickHouse: per (source, billing period) partition for the
// tables that have one, else the whole table, each only when its rows changed, each swapped in
// atomically. Partitions gone locally are dropped when their source is one of `own_sources` (all
// when empty). A table whose columns changed is created anew. Throws ClickHouseError.
std::vector<MirroredTable> mirror_models_to_clickhouse(ClickHouse& ch, Connection& local,
                                                       const std::filesystem::path& scratch_dir,
                                                       const std::vector<std::string>& own_sources,
                                                       size_t chunk_bytes = 16u << 20);

}  // namespace billingfoot::warehouse
