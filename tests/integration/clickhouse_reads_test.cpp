// Readers on a ClickHouse warehouse: the demo company (four providers, allocation, unit costs,
// anomalies, budgets, dashboards as code) is published to a real ClickHouse server, then two
// `billingfoot serve` processes answer the same requests — one reading the DuckDB file the data
// was published from, one reading ClickHouse — and every answer must be the same.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
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

// The demo company's configuration with only `sources` (all when empty), `data_dir` and, when
// `url` is set, a ClickHouse warehouse. Shared-cost splits whose shares depend on the month's
// other costs (proportional, even) are left out: each machine splits over its own sources.
std::string company_yaml(const fs::path& demo, const std::vector<std::string>& sources,
                         const fs::path& data_dir, const std::string& url) {
  std::string yaml = read_file(demo / "billingfoot.yaml");
  yaml = std::regex_replace(yaml, std::regex(R"(\./)"), demo.string() + "/");
  yaml =
      std::regex_replace(yaml, std::regex(R"(data_dir: [^\n]+)"), "data_dir: " + data_dir.string());
  yaml = std::regex_replace(yaml, std::regex(R"(\n[^\n]*method: (proportional|even)[^\n]*)"), "");
  if (!sources.empty()) {
    std::regex block(R"(  - name: (\w+)\n    type: \w+\n    location: [^\n]+\n)");
    std::string kept;
    for (std::sregex_iterator it(yaml.begin(), yaml.end(), block), end; it != end; ++it) {
      if (std::find(sources.begin(), sources.end(), (*it)[1].str()) != sources.end())
        kept += it->str();
    }
    yaml = std::regex_replace(yaml, block, "");
    yaml = std::regex_replace(yaml, std::regex(R"(\nsources:\n)"), "\nsources:\n" + kept);
  }
  if (!url.empty()) {
    yaml = std::regex_replace(yaml, std::regex(R"(\ncurrency:)"),
                              "\nwarehouse:\n  type: clickhouse\n  url: " + url +
                                  "\n  database: nimbus\n  user: " + ClickHouseServer::kUser +
                                  "\n  password: ${CH_PASSWORD}\ncurrency:");
  }
  return yaml;
}

// The parts of an answer that say when it was computed, not what; scores (floating point,
// summed in another order from ClickHouse's day sums) to 10 significant digits.
json without_times(json j) {
  if (j.is_number_float()) return std::stod(fmt::format("{:.10g}", j.get<double>()));
  if (j.is_object()) {
    for (const char* key : {"source_table", "warehouse", "elapsed_ms", "detected_at", "updated_at",
                            "computed_at", "last_seen_at"}) {
      j.erase(key);
    }
    for (auto& [key, value] : j.items()) value = without_times(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = without_times(value);
  }
  return j;
}

// Two machines sync different sources of one company into one ClickHouse database. Unit costs,
// anomalies and budgets are over the whole warehouse, so each machine computes them with the
// costs the other one published: what ClickHouse's readers get equals one DuckDB warehouse that
// synced every source.
TEST_F(ClickHouseReads, TwoMachinesWithDifferentSourcesPublishTheWholeCompanysModels) {
  ClickHouseServer ch;
  TempDir demo, one, two, all;
  auto made =
      run_cli({"demo", "--dir", demo.path().string(), "--no-serve", "--as-of", "2026-11-20"});
  ASSERT_EQ(made.status, 0) << made.err;
  write_file(one.path() / "billingfoot.yaml",
             company_yaml(demo.path(), {"aws", "gcp"}, one.path() / "data", ch.url()));
  write_file(two.path() / "billingfoot.yaml",
             company_yaml(demo.path(), {"azure", "datadog"}, two.path() / "data", ch.url()));
  write_file(all.path() / "billingfoot.yaml",
             company_yaml(demo.path(), {}, all.path() / "data", ""));
  std::map<std::string, std::string> env = {{"CH_PASSWORD", ClickHouseServer::kPassword}};

  auto first = run_cli({"sync", "--alert"}, env, one.path());
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  EXPECT_EQ(first.out.find("more source"), std::string::npos) << first.out;
  auto second = run_cli({"sync", "--alert"}, env, two.path());
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("models  with 2 more sources from ClickHouse: aws, gcp"),
            std::string::npos)
      << second.out;
  // The first machine again, nothing new of its own: the other machine's months changed what
  // its unit costs, anomalies and budgets are made of.
  auto third = run_cli({"sync", "--alert"}, env, one.path());
  ASSERT_EQ(third.status, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("models  with 2 more sources from ClickHouse: azure, datadog"),
            std::string::npos)
      << third.out;
  EXPECT_NE(third.out.find("unit costs  4 definitions"), std::string::npos) << third.out;
  auto reference = run_cli({"sync", "--alert"}, {}, all.path());
  ASSERT_EQ(reference.status, 0) << reference.out << reference.err;
  ServeProcess duck(all.path());
  ServeProcess click(one.path(), {}, env);
  ASSERT_TRUE(duck.listening() && click.listening());
  for (const std::string r : {"unit-costs", "budgets", "anomalies", "overview",
                              "costs?group_by=ProviderName&granularity=month"}) {
    auto a = duck.get("/api/v1/" + r);
    auto b = click.get("/api/v1/" + r);
    ASSERT_TRUE(a && b) << r;
    ASSERT_EQ(a->status, 200) << r << ": " << a->body;
    ASSERT_EQ(b->status, 200) << r << ": " << b->body;
    json ja = without_times(json::parse(a->body)), jb = without_times(json::parse(b->body));
    EXPECT_EQ(ja.dump(1), jb.dump(1)) << r;
    EXPECT_GT(ja.dump().size(), 200u) << r << " has nothing to compare: " << ja.dump();
  }
  // A machine that only reads ClickHouse (no local file): its sync history is what every
  // machine published — per source the same months, rows and billed cost as the DuckDB
  // warehouse that synced them all.
  TempDir viewer;
  write_file(viewer.path() / "billingfoot.yaml",
             company_yaml(demo.path(), {}, viewer.path() / "data", ch.url()));
  ServeProcess only(viewer.path(), {}, env);
  ASSERT_TRUE(only.listening());
  auto theirs = json::parse(body_of(only.get("/api/v1/sources")));
  auto ours = json::parse(body_of(duck.get("/api/v1/sources")));
  ASSERT_EQ(theirs["rows"].size(), 4u) << theirs.dump();
  for (size_t i = 0; i < 4; ++i) {
    for (const char* key : {"source", "state", "periods", "period_range", "rows", "billed_cost"}) {
      EXPECT_EQ(theirs["rows"][i][key], ours["rows"][i][key])
          << key << " of " << ours["rows"][i].dump();
    }
  }
  EXPECT_EQ(theirs["periods"].size(), ours["periods"].size());
  EXPECT_TRUE(theirs["runs"].empty());
  auto loads = json::parse(body_of(only.get("/api/v1/loads?source=azure")))["rows"];
  ASSERT_FALSE(loads.empty());
  for (const auto& l : loads) {
    EXPECT_EQ(l["source"], "azure");
    EXPECT_EQ(l["status"], "ok");
    EXPECT_EQ(l["message"].get<std::string>().rfind("published to ClickHouse by ", 0), 0u)
        << l.dump();
  }
  EXPECT_FALSE(fs::exists(viewer.path() / "data" / "billingfoot.duckdb"));

  // Every provider's cost is in the budgets: the company's budget counts all four.
  auto budgets = json::parse(body_of(click.get("/api/v1/budgets")))["rows"];
  bool azure_budget = false;
  for (const auto& b : budgets) azure_budget = azure_budget || b["name"] == "azure-monthly";
  EXPECT_TRUE(azure_budget) << budgets.dump();
}

}  // namespace
}  // namespace billingfoot::testing
