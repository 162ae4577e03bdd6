// POST /api/v1/query: the same read-only guard as `billingfoot query`, plus a row limit and a
// time limit, with 400 / 504 and a message when it refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "support/cli.hpp"
#include "support/server.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

class ServerSql : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bt::TempDir();
    fixture_ = new bt::CostFixture(*dir_, "server:\n  max_rows: 25\n  query_timeout_seconds: 1\n");
    server_ = new bt::ServeProcess(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete fixture_;
    delete dir_;
  }
  static httplib::Result sql(const std::string& text) {
    return server_->post("/api/v1/query", json({{"sql", text}}).dump(), "application/json");
  }
  static bt::TempDir* dir_;
  static bt::CostFixture* fixture_;
  static bt::ServeProcess* server_;
};

bt::TempDir* ServerSql::dir_ = nullptr;
bt::CostFixture* ServerSql::fixture_ = nullptr;
bt::ServeProcess* ServerSql::server_ = nullptr;

}  // namespace

TEST_F(ServerSql, SelectReturnsColumnsAndRowsWithExactNumbers) {
  auto r =
      sql("SELECT ServiceName, sum(BilledCost) AS cost FROM focus_costs WHERE ServiceName = "
          "'BigQuery' GROUP BY 1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["columns"][1]["type"], "decimal");
  auto expected =
      fixture_->sum([](const bt::FixtureRow& row) { return row.service; },
                    [](const bt::FixtureRow& row) { return row.service == "BigQuery"; });
  EXPECT_NE(r->body.find("\"cost\": " + bt::format_e10(expected["BigQuery"])), std::string::npos)
      << r->body;
  // Plain text bodies work too, and CSV.
  auto text =
      server_->post("/api/v1/query?format=csv", "SELECT 1 AS one, 'a,b' AS s", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->body, "one,s\n1,\"a,b\"\n");
}

TEST_F(ServerSql, RowLimitCutsAndSaysSo) {
  json j = json::parse(bt::body_of(sql("SELECT * FROM range(100)")));
  EXPECT_EQ(j["rows"].size(), 25u);
  EXPECT_EQ(j["truncated"], true);
  json small = json::parse(bt::body_of(server_->post(
      "/api/v1/query", json({{"sql", "SELECT * FROM range(100)"}, {"max_rows", 3}}).dump(),
      "application/json")));
  EXPECT_EQ(small["rows"].size(), 3u);
  json fits = json::parse(bt::body_of(sql("SELECT * FROM range(25)")));
  EXPECT_EQ(fits["truncated"], false);
}

TEST_F(ServerSql, TimeLimitCancelsALongQuery) {
  auto started = std::chrono::steady_clock::now();
  auto r = sql("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_NE(r->body.find("time limit of 1 s"), std::string::npos) << r->body;
  EXPECT_LT(seconds, 30);  // cancelled, not run to the end (which takes minutes)
  // The server is fine afterwards.
  EXPECT_EQ(sql("SELECT 42")->status, 200);
}

TEST_F(ServerSql, RefusesWritesAndFileAccess) {
  std::string csv = (*dir_ / "exports/costs.csv").string();
  const std::vector<std::string> refused = {
      "DELETE FROM focus_costs",
      "UPDATE focus_costs SET BilledCost = 0",
      "DROP TABLE focus_costs",
      "CREATE TABLE x AS SELECT 1",
      "INSERT INTO loads SELECT * FROM loads",
      "ATTACH '/tmp/other.duckdb' AS other",
      "COPY focus_costs TO '/tmp/leak-from-api.csv'",
      "INSTALL httpfs",
      "SET enable_external_access = true",
      "PRAGMA enable_profiling",
      "SELECT * FROM read_csv('" + csv + "')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM '" + csv + "'",
      "SELECT * FROM glob('/etc/*')",
      "SELECT 1; DELETE FROM focus_costs",
  };
  for (const auto& statement : refused) {
    auto r = sql(statement);
    ASSERT_TRUE(r) << statement;
    EXPECT_EQ(r->status, 400) << statement << "\n" << r->body;
    EXPECT_NE(r->body.find("refused"), std::string::npos) << statement << "\n" << r->body;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/leak-from-api.csv"));
  json count = json::parse(bt::body_of(sql("SELECT count(*) AS n FROM focus_costs")));
  EXPECT_EQ(count["rows"][0]["n"], fixture_->rows().size());
}

TEST_F(ServerSql, BadRequestsAre400WithAMessage) {
  auto syntax = sql("SELEC nonsense");
  EXPECT_EQ(syntax->status, 400);
  EXPECT_NE(syntax->body.find("error"), std::string::npos);
  auto unknown = sql("SELECT no_such_column FROM focus_costs");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("no_such_column"), std::string::npos) << unknown->body;
  auto empty = server_->post("/api/v1/query", "", "text/plain");
  EXPECT_EQ(empty->status, 400);
  auto not_json = server_->post("/api/v1/query", "{sql:", "application/json");
  EXPECT_EQ(not_json->status, 400);
  EXPECT_NE(not_json->body.find("JSON object"), std::string::npos);
  auto get = server_->get("/api/v1/query");
  EXPECT_EQ(get->status, 404);
}
