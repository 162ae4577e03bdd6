// Dashboards as code: invalid files are reported with file:line by `validate --dashboards` and
// on the API (never skipped), SQL panels run read-only, and the demo's dashboards are valid.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/embedded.hpp"
#include "server_fixture.hpp"
#include "support/cli.hpp"
#include "support/server.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

class Dashboards : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<bt::CostFixture>(dir_);
    ASSERT_TRUE(fixture_->synced);
    bt::write_file(dir_ / "dashboards/good.yaml",
                   "title: Good\n"
                   "panels:\n"
                   "  - title: Cost by provider\n"
                   "    type: pie\n"
                   "    sql: SELECT ProviderName, sum(BilledCost) AS cost FROM cost_daily GROUP BY "
                   "1 ORDER BY 2 DESC\n"
                   "  - title: By service\n"
                   "    type: stacked_bar\n"
                   "    api: costs?group_by=ServiceName&granularity=month\n");
    bt::write_file(dir_ / "dashboards/bad.yaml",
                   "title: Bad\n"
                   "panels:\n"
                   "  - title: Donut\n"
                   "    type: donut\n"
                   "    sql: SELECT 1\n"
                   "  - title: Writes\n"
                   "    type: table\n"
                   "    sql: DELETE FROM focus_costs\n"
                   "  - title: Typo\n"
                   "    type: table\n"
                   "    sql: SELECT ServiceNme FROM focus_costs\n"
                   "  - type: line\n"
                   "    sql: SELECT 1\n"
                   "    colour: red\n");
    bt::write_file(dir_ / "dashboards/broken.yaml", "title: [unclosed\npanels:\n");
  }
  bt::TempDir dir_;
  std::unique_ptr<bt::CostFixture> fixture_;
};

}  // namespace

TEST_F(Dashboards, ValidateReportsEveryProblemWithFileAndLine) {
  auto r = bt::run_cli({"validate", "--dashboards"}, {}, dir_.path());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  for (const char* expected : {
           "FAIL dashboards/bad.yaml",
           "dashboards/bad.yaml:4:11: panels[0].type: unknown chart type 'donut'",
           "dashboards/bad.yaml:8:10: panels[1].sql: query refused: only read-only SELECT "
           "statements are allowed",
           "dashboards/bad.yaml:11:10: panels[2].sql:",
           "Referenced column \"ServiceNme\" not found",
           "dashboards/bad.yaml:12:5: panels[3].title: missing (required)",
           "dashboards/bad.yaml:14:5: panels[3].colour: unknown key",
           "FAIL dashboards/broken.yaml",
           "dashboards/broken.yaml:2:7: not valid YAML",
           "OK   dashboards/good.yaml  Good (2 panels)",
           "3 dashboards in",
           "2 invalid",
       }) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  }
  auto json_out = bt::run_cli({"validate", "--dashboards", "--format", "json"}, {}, dir_.path());
  json j = json::parse(json_out.out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["valid"], false);
  EXPECT_EQ(j[2]["valid"], true);
}

TEST_F(Dashboards, ApiListsInvalidFilesAndRunsValidPanels) {
  bt::ServeProcess server(dir_.path());
  ASSERT_TRUE(server.listening());
  json list = json::parse(bt::body_of(server.get("/api/v1/dashboards")));
  ASSERT_EQ(list["dashboards"].size(), 3u);
  EXPECT_EQ(list["dashboards"][0]["id"], "bad");
  EXPECT_EQ(list["dashboards"][0]["valid"], false);
  EXPECT_EQ(list["dashboards"][0]["errors"].size(), 5u) << list.dump(1);

  json bad = json::parse(bt::body_of(server.get("/api/v1/dashboards/bad")));
  EXPECT_TRUE(bad["panels"][0]["error"].is_string());
  auto refused = server.get("/api/v1/dashboards/bad/panels/1");
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("refused"), std::string::npos);

  auto panel = server.get("/api/v1/dashboards/good/panels/0?format=csv");
  ASSERT_EQ(panel->status, 200) << panel->body;
  auto expected = fixture_->sum([](const bt::FixtureRow& r) { return r.provider; },
                                [](const bt::FixtureRow&) { return true; });
  auto rows = bt::parse_csv(panel->body);
  ASSERT_EQ(rows.size(), expected.size() + 1);
  for (size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(bt::parse_decimal_e10(rows[i][1]), expected[rows[i][0]]);
  EXPECT_EQ(server.get("/api/v1/dashboards/nope")->status, 404);
  EXPECT_EQ(server.get("/api/v1/dashboards/good/panels/7")->status, 404);
}

TEST_F(Dashboards, DemoDashboardsAreValidAgainstAWarehouse) {
  std::filesystem::remove_all(dir_ / "dashboards");
  const std::string folder = "app/demo/dashboards/";
  auto files = billingfoot::common::embedded_resources_under(folder);
  ASSERT_EQ(files.size(), 3u);
  for (const auto& f : files) {
    bt::write_file(dir_ / ("dashboards/" + f.substr(folder.size())),
                   std::string(billingfoot::common::embedded_resource(f)));
  }
  auto r = bt::run_cli({"validate", "--dashboards"}, {}, dir_.path());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 dashboards in"), std::string::npos);
  EXPECT_NE(r.out.find("0 invalid"), std::string::npos) << r.out;
}
