// The ClickHouse warehouse on a two-shard cluster: two real ClickHouse servers (Debian's
// clickhouse-server) on loopback ports whose remote_servers config defines one cluster. Sync
// shards each month by billing account into focus_costs_local on both servers; focus_costs on
// the url server is a Distributed table over them, so reports equal the DuckDB warehouse's; a
// re-delivered month leaves no stale rows on any shard; a kill before the swaps leaves the old
// month on every shard; a misconfigured cluster fails naming it, never printing the password.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "support/cli.hpp"
#include "support/clickhouse.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCluster = "billing_pair";

fs::path sample_file() {
  return shared_testdata("focus-1.0-sample/focus_sample.csv");
}

// A FOCUS delivery of `accounts` billing accounts (acct-01, acct-02, …), `rows` charges each per
// month of `months` (YYYY-MM), costs varying per row so every sum is distinct. Tagged by team.
std::string accounts_file(const std::vector<std::string>& months, int accounts, int rows,
                          int cost_step) {
  std::string text =
      "BillingAccountId,SubAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
      "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ServiceName,"
      "Tags\n";
  int n = 0;
  for (const auto& month : months) {
    int year = std::stoi(month.substr(0, 4)), mon = std::stoi(month.substr(5, 2));
    char next[16];
    std::snprintf(next, sizeof next, "%04d-%02d", mon == 12 ? year + 1 : year,
                  mon == 12 ? 1 : mon + 1);
    for (int a = 1; a <= accounts; ++a) {
      char account[16];
      std::snprintf(account, sizeof account, "acct-%02d", a);
      for (int r = 0; r < rows; ++r, ++n) {
        char day[16];
        std::snprintf(day, sizeof day, "%02d", 1 + r % 28);
        int cents = 100 + (n * cost_step) % 9000;
        std::string cost = std::to_string(cents / 100) + "." + std::to_string(cents % 100 / 10) +
                           std::to_string(cents % 10) + "37";
        text += std::string(account) + ",sub-" + std::to_string(a % 3) + ",USD," + month +
                "-01T00:00:00Z," + next + "-01T00:00:00Z," + month + "-" + day + "T00:00:00Z," +
                month + "-" + day + "T01:00:00Z,Usage," + cost + "," + cost + "," +
                (r % 2 ? "VM" : "Storage") + ",\"{\"\"team\"\":\"\"t" + std::to_string(r % 3) +
                "\"\"}\"\n";
      }
    }
  }
  return text;
}

struct Source {
  std::string name;
  fs::path location;
};

// `extra` is appended to the warehouse mapping (cluster:, shards:).
std::string config(const std::string& url, const std::string& extra,
                   const std::vector<Source>& sources) {
  std::string text = "data_dir: ./.billingfoot\nwarehouse:\n  type: clickhouse\n  url: " + url +
                     "\n  database: billing\n  user: " + ClickHouseServer::kUser +
                     "\n  password: ${CH_PASSWORD}\n" + extra + "sources:\n";
  for (const auto& s : sources) {
    text +=
        "  - name: " + s.name + "\n    type: focus\n    location: " + s.location.string() + "\n";
  }
  return text;
}

std::map<std::string, std::string> ch_env() {
  return {{"CH_PASSWORD", ClickHouseServer::kPassword}};
}

// (source, period) → rows and BilledCost sum of `table` on one server.
using Held = std::map<std::pair<std::string, std::string>, std::pair<int64_t, __int128>>;
Held held(const ClickHouseServer& server, const std::string& table) {
  std::string body = server.query(
      "SELECT x_SourceName, x_BillingPeriod, count(), toString(sum(BilledCost)) FROM billing." +
      table + " GROUP BY x_SourceName, x_BillingPeriod FORMAT TSV");
  Held out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    std::string line = body.substr(start, end - start);
    start = end + 1;
    std::vector<std::string> f;
    for (size_t a = 0, b; a <= line.size(); a = b + 1) {
      b = line.find('\t', a);
      if (b == std::string::npos) b = line.size();
      f.push_back(line.substr(a, b - a));
    }
    if (f.size() == 4) out[{f[0], f[1]}] = {std::stoll(f[2]), parse_decimal_e10(f[3])};
  }
  return out;
}

// Every month of `source` seen through the Distributed focus_costs equals the input file.
void expect_months(const ClickHouseServer& url_server, const std::string& source,
                   const fs::path& csv, const std::string& when) {
  Held have = held(url_server, "focus_costs");
  auto want = focus_csv_totals_by_period(csv);
  size_t months = 0;
  for (const auto& [key, value] : have) months += key.first == source;
  EXPECT_EQ(months, want.size()) << when << ": months of " << source;
  for (const auto& [period, expect] : want) {
    auto got = have[{source, period}];
    EXPECT_EQ(got.first, expect.first) << when << ": rows of " << source << " " << period;
    EXPECT_EQ(format_e10(got.second), format_e10(expect.second))
        << when << ": BilledCost of " << source << " " << period;
  }
}

class ClickHouseClusterWarehouse : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClickHouseServer::available()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/install-deps.sh installs it)";
    }
    cluster_ = std::make_unique<ClickHouseCluster>(kCluster, 2);
  }
  const ClickHouseServer& shard(size_t i) const { return cluster_->shard(i); }
  // The warehouse keys of the cluster. Both servers are on 127.0.0.1, so the shards' URLs are
  // listed: derived from system.clusters they would be one URL (see the misconfiguration test).
  std::string cluster_keys() const {
    return std::string("  cluster: ") + kCluster + "\n  shards: [" + shard(0).url() + ", " +
           shard(1).url() + "]\n";
  }
  std::unique_ptr<ClickHouseCluster> cluster_;
};

TEST_F(ClickHouseClusterWarehouse, SyncShardsEveryMonthAndReportsEqualTheDuckDbWarehouse) {
  TempDir dir;
  write_file(dir / "accounts/focus.csv", accounts_file({"2024-08", "2024-09"}, 8, 25, 7));
  write_file(dir / "billingfoot.yaml",
             config(shard(0).url(), cluster_keys(),
                    {{"sample", sample_file()}, {"accounts", dir / "accounts"}}));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("clickhouse  accounts  2024-09  published"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("clickhouse  sample  2024-09  published"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(ClickHouseServer::kPassword), std::string::npos);
  EXPECT_EQ(r.err.find(ClickHouseServer::kPassword), std::string::npos);

  // focus_costs on the url server is the Distributed table; the rows live on the shards.
  EXPECT_EQ(shard(0).query("SELECT engine FROM system.tables WHERE database = 'billing' AND "
                           "name = 'focus_costs'"),
            "Distributed\n");
  Held on_first = held(shard(0), "focus_costs_local"),
       on_second = held(shard(1), "focus_costs_local");
  int64_t first = 0, second = 0;
  for (const auto& [key, value] : on_first) first += value.first;
  for (const auto& [key, value] : on_second) second += value.first;
  EXPECT_GT(first, 0) << "shard 1 holds no rows";
  EXPECT_GT(second, 0) << "shard 2 holds no rows";
  // One billing account lives on one shard only.
  EXPECT_EQ(shard(0).query("SELECT count() FROM billing.focus_costs_local WHERE BillingAccountId "
                           "IN (SELECT DISTINCT BillingAccountId FROM remote('127.0.0.1:" +
                           std::to_string(shard(1).tcp_port()) +
                           "', billing.focus_costs_local, 'billing', '" +
                           ClickHouseServer::kPassword + "'))"),
            "0\n");

  // Every month to the cent of the input files, read through the Distributed table.
  expect_months(shard(0), "sample", sample_file(), "first sync");
  expect_months(shard(0), "accounts", dir / "accounts/focus.csv", "first sync");

  // The same reports from the cluster and from the local DuckDB warehouse.
  fs::create_directories(dir / "duck");
  write_file(dir / "duck/billingfoot.yaml", "data_dir: " + (dir / ".billingfoot").string() + "\n");
  expect_reports_equal(dir.path(), dir / "duck", ch_env(),
                       {{"--by", "ServiceName", "--granularity", "month"},
                        {"--by", "ServiceCategory"},
                        {"--by", "tag:team", "--granularity", "month"},
                        {"--by", "tag:environment"},
                        {"--by", "ServiceName,RegionId", "--granularity", "day", "--from",
                         "2024-09-05", "--to", "2024-09-20"},
                        {"--by", "SubAccountId", "--cost", "effective"},
                        {"--by", "BillingAccountId,ChargeCategory", "--cost", "list"}});

  // A second sync has nothing new; loads is one table on the url server.
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("clickhouse  accounts  2024-09  unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(shard(0).query("SELECT count() FROM billing.loads"), "4\n");
  EXPECT_EQ(shard(1).query("SELECT count() FROM system.tables WHERE database = 'billing' AND name "
                           "= 'loads'"),
            "0\n");
}

TEST_F(ClickHouseClusterWarehouse, RedeliveredMonthWithFewerAccountsLeavesNoStaleRowsOnAnyShard) {
  TempDir dir;
  fs::path file = dir / "exports/focus.csv";
  write_file(file, accounts_file({"2024-09"}, 8, 20, 11));
  write_file(dir / "billingfoot.yaml",
             config(shard(0).url(), cluster_keys(), {{"files", dir / "exports"}}));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const std::pair<std::string, std::string> sep{"files", "2024-09"};
  ASSERT_GT(held(shard(0), "focus_costs_local")[sep].first, 0);
  ASSERT_GT(held(shard(1), "focus_costs_local")[sep].first, 0);

  // The month again with one account only: its rows land on one shard; the other shard's part
  // of the month must go, not linger next to the new delivery.
  write_file(file, accounts_file({"2024-09"}, 1, 30, 13));
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("clickhouse  files  2024-09  published"), std::string::npos) << r.out;
  int64_t first = held(shard(0), "focus_costs_local")[sep].first;
  int64_t second = held(shard(1), "focus_costs_local")[sep].first;
  EXPECT_EQ(first + second, 30);
  EXPECT_TRUE(first == 0 || second == 0) << first << " and " << second;
  expect_months(shard(0), "files", file, "after the re-delivery");
}

TEST_F(ClickHouseClusterWarehouse, KilledBeforeTheSwapsLeavesTheOldMonthOnEveryShard) {
  TempDir dir;
  fs::path file = dir / "exports/focus.csv";
  fs::path old_copy = dir / "old.csv";
  write_file(file, accounts_file({"2024-09"}, 6, 20, 3));
  write_file(old_copy, read_file(file));
  write_file(dir / "billingfoot.yaml",
             config(shard(0).url(), cluster_keys(), {{"files", dir / "exports"}}));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  Held before_first = held(shard(0), "focus_costs_local");
  Held before_second = held(shard(1), "focus_costs_local");

  // A new delivery: loaded locally, staged on both shards, then the process is killed.
  write_file(file, accounts_file({"2024-09"}, 7, 30, 17));
  auto env = ch_env();
  env["BILLINGFOOT_FAILPOINT"] = "clickhouse.before_swap";
  auto child = start_cli({"sync"}, env, dir.path());
  ASSERT_TRUE(child.wait_for_stderr("failpoint clickhouse.before_swap reached", 120000))
      << child.seen;
  child.kill_hard();
  for (size_t i = 0; i < 2; ++i) {
    // The staged rows exist on each shard but are not visible.
    EXPECT_EQ(shard(i).query("SELECT count() FROM system.tables WHERE database = 'billing' AND "
                             "name LIKE 'focus_costs_staging_%' AND engine = 'MergeTree'"),
              "1\n")
        << "shard " << i + 1;
  }
  EXPECT_EQ(held(shard(0), "focus_costs_local"), before_first);
  EXPECT_EQ(held(shard(1), "focus_costs_local"), before_second);
  expect_months(shard(0), "files", old_copy, "after the kill");

  // A staging table abandoned long ago on shard 2 (its name carries its creation time, 2001):
  // the rerun drops it; the killed writer's young ones are left alone.
  const std::string abandoned = "focus_costs_staging_1000000000_0123456789abcdef";
  shard(1).query("CREATE TABLE billing." + abandoned + " AS billing.focus_costs_local");
  ASSERT_EQ(shard(1).query("SELECT count() FROM system.tables WHERE database = 'billing' AND "
                           "name LIKE 'focus_costs_staging_%' AND engine = 'MergeTree'"),
            "2\n");

  // The rerun publishes the new month: loads was not written by the killed writer.
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("clickhouse  files  2024-09  published"), std::string::npos) << r.out;
  expect_months(shard(0), "files", file, "after the rerun");
  // The rerun's own staging and the abandoned one are gone; only the killed writer's (young)
  // remains per shard.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(shard(i).query("SELECT count() FROM system.tables WHERE database = 'billing' AND "
                             "name LIKE 'focus_costs_staging_%' AND engine = 'MergeTree'"),
              "1\n")
        << "shard " << i + 1;
  }
  EXPECT_EQ(shard(1).query("SELECT count() FROM system.tables WHERE database = 'billing' AND "
                           "name = '" +
                           abandoned + "'"),
            "0\n");
}

TEST_F(ClickHouseClusterWarehouse, TwoConcurrentSyncsOfTheSameMonthNeverDoubleTheCents) {
  // Two machines (two data directories) sync the same source into the cluster at once, for
  // three deliveries of the month: each time both stage on both shards, swap shard by shard
  // and check every shard after their swaps.
  TempDir a, b, exports;
  fs::path file = exports / "focus.csv";
  for (auto* d : {&a, &b}) {
    write_file(*d / "billingfoot.yaml",
               config(shard(0).url(), cluster_keys(), {{"files", exports.path()}}));
  }
  const std::pair<std::string, std::string> sep{"files", "2024-09"};
  for (int round = 0; round < 3; ++round) {
    // Each delivery has more charges per account and other costs than the one before.
    write_file(file, accounts_file({"2024-09"}, 8, 20 + 5 * round, 7 + 4 * round));
    CliResult first, second;
    std::thread other([&] { second = run_cli({"sync"}, ch_env(), b.path()); });
    first = run_cli({"sync"}, ch_env(), a.path());
    other.join();
    for (const auto* r : {&first, &second}) {
      EXPECT_EQ(r->status, 0) << "round " << round << "\n" << r->out << r->err;
      EXPECT_NE(r->out.find("clickhouse  files  2024-09"), std::string::npos) << r->out;
    }
    // The month to the cent of this delivery, never twice: both shards' parts add up to it.
    std::string when = "round " + std::to_string(round);
    expect_months(shard(0), "files", file, when);
    const auto want = focus_csv_totals_by_period(file).at("2024-09");
    int64_t first_part = held(shard(0), "focus_costs_local")[sep].first;
    int64_t second_part = held(shard(1), "focus_costs_local")[sep].first;
    EXPECT_EQ(first_part + second_part, want.first) << when;
    EXPECT_GT(first_part, 0) << when;
    EXPECT_GT(second_part, 0) << when;
    // Every writer that published this delivery recorded its load (rows and cents of the
    // file); one that found it already recorded printed "unchanged".
    int published = 0;
    for (const auto* r : {&first, &second})
      published += r->out.find("clickhouse  files  2024-09  published") != std::string::npos;
    EXPECT_GE(published, 1) << when;
    EXPECT_EQ(shard(0).query("SELECT count() FROM billing.loads WHERE source = 'files' AND "
                             "billing_period = '2024-09' AND rows = " +
                             std::to_string(want.first) + " AND billed_cost = toDecimal128('" +
                             format_e10(want.second) + "', 10)"),
              std::to_string(published) + "\n")
        << when;
  }
}

TEST_F(ClickHouseClusterWarehouse, MisconfiguredClusterFailsNamingItWithoutThePassword) {
  TempDir dir;
  write_file(dir / "exports/focus.csv", accounts_file({"2024-09"}, 2, 3, 5));
  auto sync_with = [&](const std::string& extra) {
    write_file(dir / "billingfoot.yaml",
               config(shard(0).url(), extra, {{"files", dir / "exports"}}));
    auto r = run_cli({"sync"}, ch_env(), dir.path());
    EXPECT_EQ(r.status, 1) << extra << r.out << r.err;
    EXPECT_EQ(r.out.find(ClickHouseServer::kPassword), std::string::npos) << extra;
    EXPECT_EQ(r.err.find(ClickHouseServer::kPassword), std::string::npos) << extra;
    return r.err;
  };
  std::string url0 = "127.0.0.1:" + shard(0).url().substr(shard(0).url().rfind(':') + 1);

  std::string err = sync_with("  cluster: no_such_cluster\n");
  EXPECT_NE(err.find("cluster 'no_such_cluster' is not defined"), std::string::npos) << err;
  EXPECT_NE(err.find(url0), std::string::npos) << err;
  EXPECT_NE(err.find(kCluster), std::string::npos) << err;  // the clusters it does define

  std::string cluster = std::string("  cluster: ") + kCluster + "\n";
  err = sync_with(cluster + "  shards: [" + shard(0).url() + "]\n");
  EXPECT_NE(err.find("cluster '" + std::string(kCluster) +
                     "' has 2 shards, but warehouse.shards "
                     "lists 1"),
            std::string::npos)
      << err;

  // Shard URLs derived from system.clusters: both servers are 127.0.0.1, so both shards would
  // be url's server; refused rather than swapping one server's month twice.
  err = sync_with(cluster);
  EXPECT_NE(err.find("cluster '" + std::string(kCluster) + "', shard 2 (" + url0 +
                     "/billing): the same URL as another shard"),
            std::string::npos)
      << err;

  // Listed out of shard_num order: each server knows which shard it is.
  err = sync_with(cluster + "  shards: [" + shard(1).url() + ", " + shard(0).url() + "]\n");
  EXPECT_NE(err.find("this server is shard 2 of the cluster; list warehouse.shards in shard_num "
                     "order"),
            std::string::npos)
      << err;

  std::string down = "http://127.0.0.1:" + std::to_string(free_port());
  err = sync_with(cluster + "  shards: [" + shard(0).url() + ", " + down + "]\n");
  EXPECT_NE(err.find("cluster '" + std::string(kCluster) + "', shard 2 (127.0.0.1:"),
            std::string::npos)
      << err;

  // Nothing reached ClickHouse's focus_costs.
  EXPECT_EQ(shard(0).query("SELECT count() FROM system.tables WHERE database = 'billing' AND "
                           "name LIKE 'focus_costs%'"),
            "0\n");

  // shards: without cluster: is a config error naming the key.
  write_file(
      dir / "billingfoot.yaml",
      config(shard(0).url(), "  shards: [" + shard(0).url() + "]\n", {{"files", dir / "exports"}}));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("warehouse.shards"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace billingfoot::testing
