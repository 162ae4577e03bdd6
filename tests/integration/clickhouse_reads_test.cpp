// Readers on a ClickHouse warehouse: the demo company (four providers, allocation, unit costs,
// anomalies, budgets, dashboards as code) is published to a real ClickHouse server, then two
// `billingfoot serve` processes answer the same requests — one reading the DuckDB file the data
// was published from, one reading ClickHouse — and every answer must be the same.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/cli.hpp"
#include "support/clickhouse.hpp"
#include "support/server.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The parts of an answer that name the backend or the time taken, not the data.
std::string common_trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

json comparable(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"source_table", "warehouse", "elapsed_ms"}) j.erase(key);
  }
  return j;
}

class ClickHouseReads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClickHouseServer::available()) {
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/install-deps.sh installs it)";
    }
  }
};

// Publishes the demo company to the ClickHouse warehouse at `url` (`extra`: more keys of the
// warehouse mapping) and compares what two servers answer; `entry` is the server at `url`.
void expect_reads_equal(const std::string& url, const std::string& extra,
                        const ClickHouseServer& entry) {
  TempDir demo, reader;
  auto made =
      run_cli({"demo", "--dir", demo.path().string(), "--no-serve", "--as-of", "2026-11-20"});
  ASSERT_EQ(made.status, 0) << made.err;

  // The same company with a ClickHouse warehouse, its local work in the demo's data directory.
  std::string yaml = read_file(demo.path() / "billingfoot.yaml");
  yaml = std::regex_replace(yaml, std::regex(R"(\./)"), demo.path().string() + "/");
  yaml = std::regex_replace(yaml, std::regex(R"(\ncurrency:)"),
                            "\nwarehouse:\n  type: clickhouse\n  url: " + url +
                                "\n  database: nimbus\n  user: " + ClickHouseServer::kUser +
                                "\n  password: ${CH_PASSWORD}\n" + extra + "currency:");
  write_file(reader.path() / "billingfoot.yaml", yaml);
  fs::create_directory_symlink(demo.path() / "dashboards", reader.path() / "dashboards");
  std::map<std::string, std::string> env = {{"CH_PASSWORD", ClickHouseServer::kPassword}};

  auto first = run_cli({"sync"}, env, reader.path());
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  for (const char* table :
       {"cost_allocated", "cost_daily", "unit_costs", "anomalies", "budget_status"}) {
    EXPECT_TRUE(std::regex_search(first.out, std::regex(std::string("clickhouse  model ") + table +
                                                        R"( +[1-9]\d* partitions sent)")))
        << table << " was not sent:\n"
        << first.out;
  }
  EXPECT_EQ(first.out.find(ClickHouseServer::kPassword), std::string::npos);
  // Nothing changed: nothing is sent again.
  auto second = run_cli({"sync"}, env, reader.path());
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out.find(" published "), std::string::npos) << second.out;
  EXPECT_TRUE(std::regex_search(second.out, std::regex("model cost_allocated +0 partitions sent")))
      << second.out;
  EXPECT_EQ(std::regex_search(second.out, std::regex(R"(model \w+ +[1-9]\d* partitions sent)")),
            false)
      << second.out;

  ServeProcess duck(demo.path());
  ServeProcess click(reader.path(), {}, env);
  ASSERT_TRUE(duck.listening() && click.listening());

  auto meta_duck = json::parse(body_of(duck.get("/api/v1/meta")));
  auto meta_click = json::parse(body_of(click.get("/api/v1/meta")));
  EXPECT_EQ(meta_duck["warehouse"], "duckdb");
  EXPECT_EQ(meta_click["warehouse"], "clickhouse");

  const std::vector<std::string> requests = {
      "meta",
      "overview",
      "overview?cost=effective",
      "costs",
      "costs?group_by=ServiceName&granularity=month",
      "costs?group_by=ProviderName&granularity=day&from=2026-10&to=2026-11-05",
      "costs?group_by=team,product&filter=ProviderName!%3DAWS&from=2026-09&to=2026-10-15",
      "costs?group_by=tag:team&granularity=month&top=3",
      "costs?group_by=SubAccountId,tag:env&cost=effective&top=5",
      "costs?group_by=ChargeCategory&filter=ServiceCategory%3DCompute&filter=ServiceCategory%"
      "3DStorage",
      "costs?group_by=RegionId&filter=RegionId%3D%28null%29&cost=list",
      "movers",
      "movers?dimension=team&cost=effective",
      "movers?dimension=tag:team&from=2026-11-01&to=2026-11-20&compare_from=2026-10-01&compare_to="
      "2026-10-20",
      "unit-costs",
      "anomalies",
      "budgets",
  };
  for (const auto& r : requests) {
    auto a = duck.get("/api/v1/" + r);
    auto b = click.get("/api/v1/" + r);
    ASSERT_TRUE(a && b) << r;
    EXPECT_EQ(a->status, 200) << r << ": " << a->body;
    EXPECT_EQ(b->status, 200) << r << ": " << b->body;
    json ja = comparable(a->body), jb = comparable(b->body);
    EXPECT_EQ(ja.dump(1), jb.dump(1)) << r;
    if (ja.contains("rows")) EXPECT_FALSE(ja["rows"].empty()) << r << " has no rows to compare";
  }
  // The same CSV download.
  EXPECT_EQ(body_of(duck.get("/api/v1/costs?group_by=ServiceName&format=csv")),
            body_of(click.get("/api/v1/costs?group_by=ServiceName&format=csv")));

  // Dashboards as code: every SQL panel (sql: on DuckDB, clickhouse_sql: on ClickHouse) gives
  // the same rows.
  auto boards = json::parse(body_of(click.get("/api/v1/dashboards")))["dashboards"];
  ASSERT_FALSE(boards.empty());
  size_t sql_panels = 0;
  for (const auto& board : boards) {
    EXPECT_TRUE(board["valid"].get<bool>()) << board.dump();
    std::string id = board["id"];
    auto panels = json::parse(body_of(click.get("/api/v1/dashboards/" + id)))["panels"];
    for (const auto& p : panels) {
      if (p["sql"].is_null()) continue;
      ++sql_panels;
      std::string path =
          "/api/v1/dashboards/" + id + "/panels/" + std::to_string(p["index"].get<int>());
      json ja = comparable(body_of(duck.get(path))), jb = comparable(body_of(click.get(path)));
      EXPECT_EQ(ja.dump(1), jb.dump(1)) << path;
      EXPECT_FALSE(jb["rows"].empty()) << path;
    }
  }
  EXPECT_GE(sql_panels, 10u);

  // SQL in the dialect both understand gives the same answer.
  std::string sql =
      R"({"sql": "SELECT ServiceName, sum(BilledCost) AS cost FROM focus_costs GROUP BY ServiceName ORDER BY cost DESC, ServiceName LIMIT 5"})";
  auto qa = duck.post("/api/v1/query", sql, "application/json");
  auto qb = click.post("/api/v1/query", sql, "application/json");
  ASSERT_TRUE(qa && qb);
  EXPECT_EQ(qa->status, 200) << qa->body;
  EXPECT_EQ(comparable(qa->body).dump(), comparable(qb->body).dump());
  // ClickHouse runs user SQL read-only: no writes, no table functions that reach files or
  // other servers; the warehouse is unchanged afterwards.
  std::string before =
      entry.query("SELECT count(), toString(sum(BilledCost)) FROM nimbus.focus_costs");
  for (const std::string bad :
       {R"j({"sql": "SELECT * FROM file('/etc/passwd', 'CSV', 'line String')"})j",
        R"j({"sql": "SELECT * FROM url('http://127.0.0.1:1/', 'CSV', 'a String')"})j",
        R"j({"sql": "INSERT INTO focus_costs SELECT * FROM focus_costs"})j",
        R"j({"sql": "DROP TABLE focus_costs"})j"}) {
    auto res = click.post("/api/v1/query", bad, "application/json");
    ASSERT_TRUE(res);
    EXPECT_GE(res->status, 400) << bad << " → " << res->body;
    EXPECT_LT(res->status, 500) << bad << " → " << res->body;
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(entry.query("SELECT count(), toString(sum(BilledCost)) FROM nimbus.focus_costs"),
            before);

  // A change made on the writer (acknowledging an anomaly) reaches ClickHouse's readers at once.
  auto anomalies = json::parse(body_of(click.get("/api/v1/anomalies")))["rows"];
  ASSERT_FALSE(anomalies.empty());
  std::string id = anomalies[0]["anomaly_id"];
  auto ack = run_cli({"anomalies", "ack", id, "--note", "known"}, env, reader.path());
  ASSERT_EQ(ack.status, 0) << ack.out << ack.err;
  EXPECT_NE(ack.err.find("model anomalies"), std::string::npos) << ack.err;
  bool acknowledged = false;
  json seen;
  std::string after = body_of(click.get("/api/v1/anomalies"));
  json listed = json::parse(after);  // kept: the loop must not run over a destroyed temporary
  for (const auto& row : listed["rows"]) {
    if (row["anomaly_id"] == id) {
      seen = row;
      acknowledged = row["status"] == "acknowledged";
    }
  }
  EXPECT_TRUE(acknowledged) << "ClickHouse still shows the old status of " << id << ": "
                            << seen.dump() << "\n"
                            << after.substr(0, 600) << "\n"
                            << ack.err;
  EXPECT_EQ(comparable(body_of(duck.get("/api/v1/anomalies"))).dump(),
            comparable(body_of(click.get("/api/v1/anomalies"))).dump());
}

TEST_F(ClickHouseReads, ApiAndDashboardsAnswerTheSameAsTheDuckDbFileTheyWerePublishedFrom) {
  ClickHouseServer ch;
  expect_reads_equal(ch.url(), "", ch);
}

// The same on a two-shard cluster: readers query the Distributed focus_costs on the url server.
TEST_F(ClickHouseReads, OnATwoShardClusterTheAnswersAreTheSameToo) {
  ClickHouseCluster cluster("nimbus_pair", 2);
  expect_reads_equal(cluster.shard(0).url(),
                     "  cluster: nimbus_pair\n  shards: [" + cluster.shard(0).url() + ", " +
                         cluster.shard(1).url() + "]\n",
                     cluster.shard(0));
  // Both shards hold part of the charges (the demo's billing accounts spread over them).
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(common_trim(cluster.shard(i).query("SELECT count() FROM nimbus.focus_costs_local")),
              "0")
        << "shard " << i;
  }
}

}  // namespace
}  // namespace billingfoot::testing
