// ClickHouse cluster benchmark: generates N FOCUS rows (default 50,000,000) over the 12 months
// of 2024 and 16 billing accounts, delivered by FOCUS sources of up to 10M rows each, starts a
// two-shard ClickHouse cluster (two clickhouse-server processes, tests/support), then times through
// the real binary
//   1. `billingfoot sync` into the cluster, split from its log into the local normalize and the
//      load into ClickHouse (staging through the Distributed table + swaps), as rows/s;
//   2. the explorer's main reports against the DuckDB warehouse file and the ClickHouse cluster
//      side by side, median of 5 runs each.
// Prints numbers; asserts nothing.
//
//   build/bench/bench_clickhouse [ROWS] [--keep]
//     --keep   leave the generated folder (its path is printed)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "support/clickhouse.hpp"
#include "warehouse/duckdb.hpp"

namespace fs = std::filesystem;
using billingfoot::testing::ClickHouseCluster;
using billingfoot::testing::ClickHouseServer;
using billingfoot::testing::run_cli;

namespace {

constexpr const char* kCluster = "bench_pair";

// Rows are delivered by several FOCUS sources of at most kRowsPerSource rows each (a FOCUS
// delivery is staged whole in DuckDB's temporary storage, so one 50M-row file would need tens of
// GB of scratch disk on the syncing machine; a company that size has several accounts anyway).
constexpr long kRowsPerSource = 10'000'000;

// One FOCUS CSV: the rows first..first+count-1 of hourly charges over 2024, 16 billing accounts
// (sharding key), 25 sub-accounts, 40 services, 7 teams.
void generate(const fs::path& file, long first, long count) {
  auto db = billingfoot::warehouse::Database::open(":memory:");
  auto con = db.connect();
  con.execute(
      "COPY (SELECT 'ba-' || (i % 16) AS BillingAccountId, 'acct-' || (i % 25) AS SubAccountId, "
      "'USD' AS BillingCurrency, "
      "strftime(date_trunc('month', d), '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodStart, "
      "strftime(date_trunc('month', d) + INTERVAL 1 MONTH, '%Y-%m-%dT%H:%M:%SZ') AS "
      "BillingPeriodEnd, strftime(d, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart, "
      "strftime(d + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd, "
      "'Usage' AS ChargeCategory, round(random() * 10, 6) AS BilledCost, "
      "round(random() * 10, 6) AS EffectiveCost, 'Service ' || (i % 40) AS ServiceName, "
      "'Compute' AS ServiceCategory, '{\"team\": \"team-' || (i % 7) || '\"}' AS Tags "
      "FROM (SELECT i, TIMESTAMP '2024-01-01' + to_hours(CAST(i % (366 * 24) AS INTEGER)) AS d "
      "FROM range(" +
      std::to_string(first) + ", " + std::to_string(first + count) + ") t(i))) TO '" +
      file.string() + "' (HEADER)");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs the binary in `dir`; exits the benchmark when it fails.
double timed(const std::vector<std::string>& args, const fs::path& dir,
             std::string* err = nullptr) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_cli(args, {{"CH_PASSWORD", ClickHouseServer::kPassword}}, dir);
  double s = seconds_since(start);
  if (r.status != 0) {
    std::fprintf(stderr, "billingfoot %s failed (%d):\n%s\n", args.front().c_str(), r.status,
                 r.err.c_str());
    std::exit(1);
  }
  if (err) *err = r.err;
  return s;
}

double median_of_5(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<double> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(timed(args, dir));
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

// Seconds the sync spent publishing to ClickHouse, summed from its "published … in S s" lines.
double publish_seconds(const std::string& log, long* rows) {
  static const std::regex line(
      R"(published \S+ \S+ to ClickHouse \S+: (\d+) rows.* in ([0-9.]+) s)");
  double total = 0;
  *rows = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    *rows += std::stol((*it)[1]);
    total += std::stod((*it)[2]);
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  long rows = 50'000'000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else {
      rows = std::atol(argv[i]);
    }
  }
  if (!ClickHouseServer::available()) {
    std::fprintf(stderr, "clickhouse-server is not installed\n");
    return 1;
  }
  fs::path dir = fs::temp_directory_path() / ("billingfoot-ch-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "exports");
  fs::create_directories(dir / "duck");

  auto start = std::chrono::steady_clock::now();
  std::string sources;
  double mb = 0;
  long source_count = 0;
  for (long first = 0; first < rows; first += kRowsPerSource, ++source_count) {
    std::string name = "bench" + std::to_string(source_count + 1);
    fs::create_directories(dir / "exports" / name);
    fs::path file = dir / "exports" / name / "focus.csv";
    generate(file, first, std::min(kRowsPerSource, rows - first));
    mb += static_cast<double>(fs::file_size(file)) / 1e6;
    sources += "  - {name: " + name + ", type: focus, location: ./exports/" + name + "}\n";
  }
  double gen = seconds_since(start);

  ClickHouseCluster cluster(kCluster, 2);
  billingfoot::testing::write_file(
      dir / "billingfoot.yaml",
      "data_dir: ./.billingfoot\nwarehouse:\n  type: clickhouse\n  url: " + cluster.shard(0).url() +
          "\n  database: bench\n  user: " + ClickHouseServer::kUser +
          "\n  password: ${CH_PASSWORD}\n  cluster: " + kCluster + "\n  shards: [" +
          cluster.shard(0).url() + ", " + cluster.shard(1).url() + "]\nsources:\n" + sources);
  // The same local warehouse read as DuckDB.
  billingfoot::testing::write_file(dir / "duck/billingfoot.yaml",
                                   "data_dir: " + (dir / ".billingfoot").string() + "\n");

  std::string log;
  double sync = timed({"--log-level", "info", "sync"}, dir, &log);
  long published = 0;
  double load = publish_seconds(log, &published);
  std::string per_shard[2];
  for (int i = 0; i < 2; ++i) {
    per_shard[i] = cluster.shard(i).query("SELECT count() FROM bench.focus_costs_local");
    per_shard[i].erase(per_shard[i].find_last_not_of('\n') + 1);
  }

  std::printf(
      "rows                       %ld in %ld FOCUS sources (%.0f MB CSV, generated in %.1f s)\n",
      rows, source_count, mb, gen);
  std::printf("sync into the cluster      %.2f s  (%.0f rows/s end to end)\n", sync, rows / sync);
  std::printf("  local normalize (DuckDB) %.2f s  (%.0f rows/s)\n", sync - load,
              rows / (sync - load));
  std::printf("  load into ClickHouse     %.2f s  (%.0f rows/s; %ld rows published)\n", load,
              load > 0 ? published / load : 0.0, published);
  std::printf("  rows per shard           %s / %s\n", per_shard[0].c_str(), per_shard[1].c_str());

  struct Query {
    const char* what;
    std::vector<std::string> args;
  };
  std::vector<Query> queries = {
      {"cost by service by month", {"report", "--by", "ServiceName", "--granularity", "month"}},
      {"by service by day, last month",
       {"report", "--by", "ServiceName", "--granularity", "day", "--from", "2024-12", "--to",
        "2024-12"}},
      {"by tag:team", {"report", "--by", "tag:team"}},
      // `report` has no filter flag: the per-sub-account view is grouped instead.
      {"by sub-account x service", {"report", "--by", "SubAccountId,ServiceName"}},
  };
  std::printf("\n%-32s %12s %12s   (median of 5, seconds)\n", "query", "DuckDB", "ClickHouse");
  for (const auto& q : queries) {
    double duck = median_of_5(q.args, dir / "duck");
    double ch = median_of_5(q.args, dir);
    std::printf("%-32s %12.3f %12.3f\n", q.what, duck, ch);
  }
  if (keep) {
    std::printf("\nkept %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  return 0;
}
