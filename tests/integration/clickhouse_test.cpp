// The ClickHouse warehouse against a real ClickHouse server (Debian's clickhouse-server) on a
// loopback port: sync publishes each month by staging + REPLACE PARTITION, reports computed by
// ClickHouse equal the DuckDB warehouse's, a kill before the swap leaves the old month, and two
// syncs of one source at once never double the cents.
#include "support/clickhouse.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "support/cli.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;

fs::path sample_file() {
  return shared_testdata("focus-1.0-sample/focus_sample.csv");
}

std::string config(const std::string& url, const std::string& database, const std::string& source,
                   const fs::path& location) {
  return "data_dir: ./.billingfoot\nwarehouse:\n  type: clickhouse\n  url: " + url +
         "\n  database: " + database + "\n  user: " + ClickHouseServer::kUser +
         "\n  password: ${CH_PASSWORD}\nsources:\n  - name: " + source +
         "\n    type: focus\n    location: " + location.string() + "\n";
}

std::map<std::string, std::string> ch_env() {
  return {{"CH_PASSWORD", ClickHouseServer::kPassword}};
}

// "period\trows\tsum" lines of what ClickHouse holds for a database.
std::map<std::string, std::pair<int64_t, std::string>> held(const ClickHouseServer& ch,
                                                            const std::string& db) {
  std::string body =
      ch.query("SELECT x_BillingPeriod, count(), toString(sum(BilledCost)) FROM " + db +
               ".focus_costs GROUP BY x_BillingPeriod ORDER BY x_BillingPeriod FORMAT TSV");
  std::map<std::string, std::pair<int64_t, std::string>> out;
  for (const auto& line : parse_csv(body)) {
    if (line.empty() || line[0].empty()) continue;
    auto a = line[0].find('\t'), b = line[0].rfind('\t');
    out[line[0].substr(0, a)] = {std::stoll(line[0].substr(a + 1, b - a - 1)),
                                 line[0].substr(b + 1)};
  }
  return out;
}

class ClickHouseWarehouse : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClickHouseServer::available()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/install-deps.sh installs it)";
    }
    ch_ = std::make_unique<ClickHouseServer>();
  }
  std::unique_ptr<ClickHouseServer> ch_;
};

TEST_F(ClickHouseWarehouse, SyncPublishesEveryMonthAndReportsEqualTheDuckDbWarehouse) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config(ch_->url(), "billing", "sample", sample_file()));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("clickhouse  sample  2024-09  published"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(ClickHouseServer::kPassword), std::string::npos);
  EXPECT_EQ(r.err.find(ClickHouseServer::kPassword), std::string::npos);

  // Every month, to the cent of the input file.
  auto want = focus_csv_totals_by_period(sample_file());
  auto have = held(*ch_, "billing");
  ASSERT_EQ(have.size(), want.size());
  for (const auto& [period, expect] : want) {
    EXPECT_EQ(have[period].first, expect.first) << period;
    EXPECT_EQ(parse_decimal_e10(have[period].second), expect.second) << period;
  }
  // The same data seen through the local DuckDB warehouse (a config without ClickHouse).
  fs::create_directories(dir / "duck");
  write_file(dir / "duck/billingfoot.yaml", "data_dir: " + (dir / ".billingfoot").string() + "\n");
  // Tags are grouped by key in ClickHouse as in DuckDB.
  EXPECT_EQ(ch_->query("SELECT count() FROM billing.focus_costs WHERE has(x_TagKeys, 'env')"),
            query_scalar(dir / "duck",
                         "SELECT count(*) FROM focus_costs WHERE Tags->>'env' IS NOT NULL") +
                "\n");

  // The same reports from ClickHouse and from the local DuckDB warehouse.
  for (std::vector<std::string> args : {std::vector<std::string>{"--by", "ServiceCategory"},
                                        {"--by", "tag:env", "--granularity", "month"},
                                        {"--by", "ServiceName,RegionId", "--granularity", "day",
                                         "--from", "2024-09-05", "--to", "2024-09-20"},
                                        {"--by", "SubAccountId", "--cost", "effective"},
                                        {"--by", "ChargeCategory", "--cost", "list"}}) {
    std::vector<std::string> cmd = {"report", "--format", "json"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto from_ch = run_cli(cmd, ch_env(), dir.path());
    auto from_duck = run_cli(cmd, {}, dir / "duck");
    ASSERT_EQ(from_ch.status, 0) << from_ch.err;
    ASSERT_EQ(from_duck.status, 0) << from_duck.err;
    EXPECT_EQ(from_ch.out, from_duck.out) << args[1];
  }

  // A second sync has nothing new: ClickHouse already holds these loads.
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("clickhouse  sample  2024-09  unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(ch_->query("SELECT count() FROM billing.loads"), std::to_string(want.size()) + "\n");
}

TEST_F(ClickHouseWarehouse, WrongPasswordOrDownServerFailsNamingTheServerWithoutTheSecret) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config(ch_->url(), "billing", "sample", sample_file()));
  auto r = run_cli({"sync"}, {{"CH_PASSWORD", "not-the-password"}}, dir.path());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("ClickHouse 127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-the-password"), std::string::npos);
  // The local load stands; the next sync with the right password publishes it.
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("published"), std::string::npos) << r.out;

  ch_->kill_hard();
  r = run_cli({"report", "--by", "ServiceName"}, ch_env(), dir.path());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("ClickHouse 127.0.0.1:"), std::string::npos) << r.err;
}

TEST_F(ClickHouseWarehouse, TheServicePublishesWhatItSyncs) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml", config(ch_->url(), "svc", "sample", sample_file()));
  auto service = start_cli({"run", "--no-server"}, ch_env(), dir.path());
  auto want = focus_csv_totals_by_period(sample_file());
  // A source never synced is synced at start; the batch then publishes it.
  bool published = false;
  for (int i = 0; i < 600 && !published; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      published = held(*ch_, "svc").size() == want.size() &&
                  ch_->query("SELECT count() FROM svc.loads") == std::to_string(want.size()) + "\n";
    } catch (const std::exception&) {
      // the database does not exist yet
    }
  }
  ::kill(service.pid, SIGTERM);
  int status = 0;
  waitpid(service.pid, &status, 0);
  service.pid = -1;
  ASSERT_TRUE(published) << service.seen;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto have = held(*ch_, "svc");
  for (const auto& [period, expect] : want) {
    EXPECT_EQ(have[period].first, expect.first) << period;
    EXPECT_EQ(parse_decimal_e10(have[period].second), expect.second) << period;
  }
}

std::string month_file(const std::string& cost, int rows) {
  std::string text =
      "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,"
      "ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ServiceName\n";
  for (int i = 0; i < rows; ++i) {
    text +=
        "1,USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,2024-09-05T00:00:00Z,2024-09-06T00:00:00Z,"
        "Usage," +
        cost + "," + cost + ",VM\n";
  }
  return text;
}

// Text that CSV and ClickHouse's array literals must escape arrives byte for byte: quotes,
// commas, line breaks, backslashes, the text \N, tabs, non-ASCII, empty tags.
TEST_F(ClickHouseWarehouse, TextThatNeedsEscapingArrivesByteForByte) {
  TempDir dir;
  std::string csv =
      "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ServiceName,ChargeDescription,Tags\n";
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"say \"\"hi\"\", then\nleave", R"({""team"":""a'b"",""k\\ey"":""v\""q""})"},
      {"\\N", R"({""path"":""C:\\dir\\"",""empty"":""""})"},
      {"C:\\path\\to\tx", R"({""żółw"":""🐢 ünïcode"",""sp ace"":"" x ""})"},
      {"plain", ""},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    csv += std::to_string(i + 1) +
           ",USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,2024-09-05T00:00:00Z,2024-09-06T00:00:00Z,"
           "Usage,1.25,1.25,VM,\"" + rows[i].first + "\",\"" + rows[i].second + "\"\n";
  }
  write_file(dir / "exports/sep.csv", csv);
  write_file(dir / "billingfoot.yaml", config(ch_->url(), "billing", "files", dir / "exports"));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // Each row's text as hex, joined in account order, from both warehouses.
  std::string from_ch = ch_->query(
      "SELECT arrayStringConcat(groupArray(concat(hex(ifNull(ChargeDescription, 'NULL')), ':', "
      "hex(ifNull(Tags, 'NULL')), ':', hex(arrayStringConcat(x_TagKeys, '|')), ':', "
      "hex(arrayStringConcat(x_TagValues, '|')))), ',') FROM (SELECT * FROM billing.focus_costs "
      "ORDER BY BillingAccountId) FORMAT TSV");
  write_file(dir / "duck/billingfoot.yaml", "data_dir: " + (dir / ".billingfoot").string() + "\n");
  std::string from_duckdb = query_scalar(
      dir / "duck",
      "SELECT string_agg(hex(coalesce(ChargeDescription, 'NULL')) || ':' || hex(coalesce(CAST(Tags AS VARCHAR), "
      "'NULL')) || ':' || hex(coalesce(array_to_string(map_keys(CAST(Tags AS MAP(VARCHAR, VARCHAR))), '|'), '')) "
      "|| ':' || hex(coalesce(array_to_string(map_values(CAST(Tags AS MAP(VARCHAR, VARCHAR))), '|'), '')), ',' "
      "ORDER BY BillingAccountId) FROM focus_costs");
  EXPECT_EQ(from_ch, from_duckdb + "\n");
  // The text really is tricky: the quote, the line break and the \N text survived the local load.
  EXPECT_EQ(query_scalar(dir / "duck", "SELECT count(*) FROM focus_costs WHERE ChargeDescription = '\\N' OR "
                                        "ChargeDescription LIKE '%\"hi\"%' || chr(10) || 'leave'"),
            "2");
}

TEST_F(ClickHouseWarehouse, KilledBetweenStagingAndSwapLeavesTheOldMonthAndTheRerunCompletesIt) {
  TempDir dir;
  write_file(dir / "exports/sep.csv", month_file("1.00", 100));
  write_file(dir / "billingfoot.yaml", config(ch_->url(), "billing", "files", dir / "exports"));
  auto r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(held(*ch_, "billing")["2024-09"],
            (std::pair<int64_t, std::string>{100, "100.0000000000"}));

  // A new delivery: loaded locally, staged in ClickHouse, then the process is killed.
  write_file(dir / "exports/sep.csv", month_file("3.00", 500));
  auto env = ch_env();
  env["BILLINGFOOT_FAILPOINT"] = "clickhouse.before_swap";
  auto child = start_cli({"sync"}, env, dir.path());
  ASSERT_TRUE(child.wait_for_stderr("failpoint clickhouse.before_swap reached", 60000))
      << child.seen;
  child.kill_hard();
  // The staged rows exist but are not visible: the old month is intact.
  EXPECT_EQ(ch_->query("SELECT count() FROM system.tables WHERE database = 'billing' AND name LIKE "
                       "'focus_costs_staging_%'"),
            "1\n");
  EXPECT_EQ(held(*ch_, "billing")["2024-09"],
            (std::pair<int64_t, std::string>{100, "100.0000000000"}));

  // A staging table abandoned long ago (its name carries its creation time) is removed by the
  // next publish; a young one may belong to a writer still at work and is left alone.
  ch_->query(
      "CREATE TABLE billing.focus_costs_staging_1000000000_0123456789abcdef AS "
      "billing.focus_costs");

  // The local month is already the new one ("unchanged"), yet ClickHouse does not hold it:
  // the rerun publishes it.
  r = run_cli({"sync"}, ch_env(), dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("clickhouse  files  2024-09  published"), std::string::npos) << r.out;
  EXPECT_EQ(held(*ch_, "billing")["2024-09"],
            (std::pair<int64_t, std::string>{500, "1500.0000000000"}));
  EXPECT_EQ(ch_->query("SELECT count() FROM system.tables WHERE database = 'billing' AND name = "
                       "'focus_costs_staging_1000000000_0123456789abcdef'"),
            "0\n");
  EXPECT_EQ(ch_->query("SELECT count() FROM system.tables WHERE database = 'billing' AND name LIKE "
                       "'focus_costs_staging_%'"),
            "1\n");  // the killed writer's, young
}

TEST_F(ClickHouseWarehouse, TwoConcurrentSyncsOfTheSameSourceNeverDoubleTheCents) {
  // Two machines (two data directories) sync the same source into one ClickHouse at once, for
  // three deliveries of the file: each time both stage and swap the whole month.
  TempDir a, b, exports;
  fs::path file = exports / "focus.csv";
  std::string text = read_file(sample_file());
  for (auto* d : {&a, &b})
    write_file(*d / "billingfoot.yaml", config(ch_->url(), "shared", "sample", file));
  for (int round = 0; round < 3; ++round) {
    // The next delivery has one more charge (a copy of the last line).
    if (round > 0) {
      std::string body = text.substr(0, text.size() - 1);
      text += body.substr(body.rfind('\n') + 1) + "\n";
    }
    write_file(file, text);
    CliResult first, second;
    std::thread other([&] { second = run_cli({"sync"}, ch_env(), b.path()); });
    first = run_cli({"sync"}, ch_env(), a.path());
    other.join();
    for (const auto* r : {&first, &second}) {
      EXPECT_EQ(r->status, 0) << r->err;
      EXPECT_NE(r->out.find("clickhouse  sample  2024-09"), std::string::npos) << r->out;
    }
    auto want = focus_csv_totals_by_period(file);
    auto have = held(*ch_, "shared");
    ASSERT_EQ(have.size(), want.size());
    for (const auto& [period, expect] : want) {
      EXPECT_EQ(have[period].first, expect.first) << "round " << round << " " << period;
      EXPECT_EQ(parse_decimal_e10(have[period].second), expect.second)
          << "round " << round << " " << period;
    }
  }
}

// Hourly charges of one source from 2024-08-01 for 70 days, half of them from HH:30 to the next
// HH:30 (some across midnight), two services with a tag each, a monthly fee spanning its month,
// and ten times the usual cost of `spike_service` on 2024-10-05.
std::string hourly_file(const std::string& account, const std::string& spike_service) {
  std::string text =
      "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,"
      "ChargePeriodEnd,ChargeCategory,ChargeFrequency,BilledCost,EffectiveCost,ServiceName,Tags\n";
  auto stamp = [](int year, int month, int day, int hour, int minute) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:00Z", year, month, day, hour, minute);
  };
  const int days_in[] = {31, 30, 31};  // August, September, October 2024
  for (int m = 0; m < 3; ++m) {
    int month = 8 + m;
    std::string period = stamp(2024, month, 1, 0, 0) + "," + stamp(2024, month + 1, 1, 0, 0);
    text += account + ",USD," + period + "," + period + ",Purchase,Recurring,300.00,300.00,support,{}\n";
    for (int day = 1; day <= days_in[m] && !(month == 10 && day > 9); ++day) {
      for (int hour = 0; hour < 24; ++hour) {
        for (const std::string service : {"compute", "db"}) {
          int minute = (hour + day) % 2 ? 30 : 0;
          // The hour after: the same day, or 00:30 of the next one (the month's next day).
          int next_day = day, next_hour = hour + 1, next_month = month;
          if (next_hour == 24) {
            next_hour = 0;
            next_day = day + 1;
            if (next_day > days_in[m]) {
              next_day = 1;
              ++next_month;
            }
          }
          std::string cost = fmt::format("{}.{:02}", service == "db" ? 2 : 1, (hour * 7 + day) % 100);
          if (service == spike_service && month == 10 && day == 5) cost = "2" + cost + "0";
          text += account + ",USD," + period + "," + stamp(2024, month, day, hour, minute) + "," +
                  stamp(2024, next_month, next_day, next_hour, minute) + ",Usage,Usage-Based," +
                  cost + "," + cost + "," + service + ",\"{\"\"team\"\": \"\"" +
                  (service == "db" ? "data" : "web") + "\"\"}\"\n";
        }
      }
    }
  }
  return text;
}

// Budgets and anomalies as JSON without when they were computed; scores to 10 digits.
nlohmann::json comparable_json(const std::string& text) {
  std::function<nlohmann::json(nlohmann::json)> strip = [&](nlohmann::json j) {
    if (j.is_number_float()) return nlohmann::json(std::stod(fmt::format("{:.10g}", j.get<double>())));
    if (j.is_object()) {
      for (const char* key : {"detected_at", "updated_at", "computed_at", "anomaly_id"}) j.erase(key);
      for (auto& [key, value] : j.items()) value = strip(value);
    } else if (j.is_array()) {
      for (auto& value : j) value = strip(value);
    }
    return j;
  };
  return strip(nlohmann::json::parse(text));
}

// Two machines sync one source each into one ClickHouse; hourly charges at half past, across
// midnight and over a month arrive at the other machine summed per day: its budgets and
// anomalies equal a DuckDB warehouse's that synced both sources row by row. `extra`: more keys
// of the warehouse mapping (a cluster); `entry`: the server at `url`.
void expect_two_writers_see_both(const std::string& url, const std::string& extra,
                                 const ClickHouseServer& entry) {
  TempDir one, two, all, exports;
  write_file(exports / "east/focus.csv", hourly_file("east-1", "db"));
  write_file(exports / "west/focus.csv", hourly_file("west-1", "none"));
  const std::string analysis =
      "budgets:\n"
      "  - {name: all, period: monthly, amount: 5000}\n"
      "  - {name: data-team, scope: {\"tag:team\": [data]}, period: monthly, amount: 2000}\n"
      "  - {name: west-db, scope: {BillingAccountId: [west-1], ServiceName: [db]}, period: "
      "monthly, amount: 900}\n"
      "anomalies:\n"
      "  dimensions: [ServiceName, BillingAccountId, \"tag:team\"]\n"
      "  min_impact: 5\n";
  auto writer = [&](const std::string& source) {
    std::string yaml = config(url, "pair", source, exports / source) + analysis;
    return yaml.replace(yaml.find("\nsources:"), 1, "\n" + extra);
  };
  write_file(one / "billingfoot.yaml", writer("east"));
  write_file(two / "billingfoot.yaml", writer("west"));
  write_file(all / "billingfoot.yaml",
             "data_dir: ./.billingfoot\nsources:\n  - {name: east, type: focus, location: " +
                 (exports / "east").string() + "}\n  - {name: west, type: focus, location: " +
                 (exports / "west").string() + "}\n" + analysis);

  for (const auto* dir : {&one, &two, &one}) {
    auto r = run_cli({"sync"}, ch_env(), dir->path());
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }
  ASSERT_EQ(run_cli({"sync"}, {}, all.path()).status, 0);

  for (const std::vector<std::string> args :
       {std::vector<std::string>{"budgets", "--format", "json", "--as-of", "2024-10-09", "--history"},
        std::vector<std::string>{"anomalies", "--format", "json"}}) {
    auto mine = run_cli(args, ch_env(), one.path());
    auto want = run_cli(args, {}, all.path());
    ASSERT_EQ(mine.status, 0) << mine.err;
    ASSERT_EQ(want.status, 0) << want.err;
    EXPECT_NE(mine.err.find("models  with 1 more source from ClickHouse: west"), std::string::npos)
        << mine.err;
    EXPECT_EQ(comparable_json(mine.out).dump(1), comparable_json(want.out).dump(1)) << args[0];
    EXPECT_GT(comparable_json(want.out).size(), 2u) << want.out;
  }
  // What ClickHouse's readers get is that too.
  EXPECT_NE(entry.query("SELECT count() FROM pair.anomalies WHERE dimension = 'ServiceName' AND "
                        "value = 'db'"),
            "0\n");
}

TEST_F(ClickHouseWarehouse, BudgetsAndAnomaliesOfTwoWritersCountBothWritersHourlyCharges) {
  expect_two_writers_see_both(ch_->url(), "", *ch_);
}

// The same on a two-shard cluster (the other writer's costs are read through the Distributed
// focus_costs).
TEST(ClickHouseClusterWriters, BudgetsAndAnomaliesOfTwoWritersCountBothWritersHourlyCharges) {
  if (!ClickHouseServer::available()) GTEST_SKIP() << "clickhouse-server is not installed";
  ClickHouseCluster cluster("pair_cluster", 2);
  expect_two_writers_see_both(cluster.shard(0).url(),
                              "  cluster: pair_cluster\n  shards: [" + cluster.shard(0).url() +
                                  ", " + cluster.shard(1).url() + "]\n",
                              cluster.shard(0));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(cluster.shard(i).query("SELECT count() FROM pair.focus_costs_local"), "0\n")
        << "shard " << i;
  }
}

}  // namespace
}  // namespace billingfoot::testing
