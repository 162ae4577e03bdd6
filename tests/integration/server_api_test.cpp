// `billingfoot serve` JSON API over a real socket: cost totals against sums computed from the
// input rows, filters, movers, freshness, CSV downloads, 400s with messages, OpenAPI coverage,
// metrics, gzip, the read-only lease that lets a sync take the file, and SIGTERM.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "support/cli.hpp"
#include "support/server.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

class ServerApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bt::TempDir();
    fixture_ = new bt::CostFixture(*dir_);
    server_ = new bt::ServeProcess(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete fixture_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(fixture_->synced);
    ASSERT_TRUE(server_->listening());
  }
  static json get_json(const std::string& path, int expected_status = 200) {
    auto r = server_->get(path);
    std::string body = bt::body_of(r);
    EXPECT_TRUE(r && r->status == expected_status) << path << " -> " << (r ? r->status : 0) << "\n"
                                                   << body;
    return json::parse(body, nullptr, false);
  }
  // The CSV of an endpoint as {key columns joined by '|' → cost in 1e-10 units}.
  static std::map<std::string, __int128> csv_costs(const std::string& path,
                                                   const std::string& cost_column = "cost") {
    auto rows = bt::parse_csv(bt::body_of(server_->get(path)));
    std::map<std::string, __int128> out;
    if (rows.empty()) return out;
    size_t cost = std::find(rows[0].begin(), rows[0].end(), cost_column) - rows[0].begin();
    for (size_t i = 1; i < rows.size(); ++i) {
      std::string key;
      for (size_t c = 0; c < cost; ++c) key += (c ? "|" : "") + rows[i][c];
      out[key] = bt::parse_decimal_e10(rows[i].at(cost));
    }
    return out;
  }
  static bt::TempDir* dir_;
  static bt::CostFixture* fixture_;
  static bt::ServeProcess* server_;
};

bt::TempDir* ServerApi::dir_ = nullptr;
bt::CostFixture* ServerApi::fixture_ = nullptr;
bt::ServeProcess* ServerApi::server_ = nullptr;

auto all = [](const bt::FixtureRow&) { return true; };

}  // namespace

TEST_F(ServerApi, CostsByServiceEqualTheInputToTheLastDecimal) {
  auto expected = fixture_->sum([](const bt::FixtureRow& r) { return r.service; }, all);
  EXPECT_EQ(csv_costs("/api/v1/costs?group_by=ServiceName&format=csv"), expected);

  json j = get_json("/api/v1/costs?group_by=ServiceName");
  EXPECT_EQ(j["source_table"], "cost_daily");  // explorer queries read the rollup
  __int128 total = 0;
  for (const auto& [k, v] : expected) total += v;
  // The JSON number keeps every digit: compare its text, not a double.
  std::string body = bt::body_of(server_->get("/api/v1/costs?group_by=ServiceName"));
  EXPECT_NE(body.find("\"total\": {\"cost\": " + bt::format_e10(total) + ","), std::string::npos)
      << body;
  EXPECT_EQ(j["total"]["rows"], fixture_->rows().size());
}

TEST_F(ServerApi, FiltersAndMonthlyGranularity) {
  auto aws = [](const bt::FixtureRow& r) { return r.provider == "AWS"; };
  auto expected = fixture_->sum(
      [](const bt::FixtureRow& r) { return r.day.substr(0, 7) + "-01|" + r.service; }, aws, true);
  EXPECT_EQ(
      csv_costs(
          "/api/v1/"
          "costs?group_by=ServiceName&granularity=month&cost=effective&filter=ProviderName%3DAWS"
          "&format=csv"),
      expected);

  auto not_ec2_in_october = [](const bt::FixtureRow& r) {
    return r.service != "Amazon EC2" && r.day >= "2024-10-01" && r.day <= "2024-10-15";
  };
  auto expected2 =
      fixture_->sum([](const bt::FixtureRow& r) { return r.provider; }, not_ec2_in_october);
  EXPECT_EQ(csv_costs("/api/v1/costs?group_by=ProviderName&from=2024-10-01&to=2024-10-15"
                      "&filter=ServiceName!%3DAmazon%20EC2&format=csv"),
            expected2);

  auto two = [](const bt::FixtureRow& r) {
    return r.service == "BigQuery" || r.service == "Amazon S3";
  };
  auto expected3 = fixture_->sum([](const bt::FixtureRow& r) { return r.service; }, two);
  EXPECT_EQ(csv_costs("/api/v1/"
                      "costs?group_by=ServiceName&filter=ServiceName%3DBigQuery&filter=ServiceName%"
                      "3DAmazon%20S3"
                      "&format=csv"),
            expected3);
}

TEST_F(ServerApi, TagDimensionsFallBackToTheRawTable) {
  auto expected = fixture_->sum(
      [](const bt::FixtureRow& r) { return r.team.empty() ? "(untagged)" : r.team; }, all);
  EXPECT_EQ(csv_costs("/api/v1/costs?group_by=tag:team&format=csv"), expected);
  EXPECT_EQ(get_json("/api/v1/costs?group_by=tag:team")["source_table"], "focus_costs");
}

TEST_F(ServerApi, TopKeepsTheBiggestGroupsAndAddsUpTheRest) {
  auto by_service = fixture_->sum([](const bt::FixtureRow& r) { return r.service; }, all);
  std::vector<std::pair<__int128, std::string>> ranked;
  for (const auto& [k, v] : by_service) ranked.push_back({v, k});
  std::sort(ranked.rbegin(), ranked.rend());
  std::map<std::string, __int128> expected;
  for (size_t i = 0; i < ranked.size(); ++i)
    expected[i < 2 ? ranked[i].second : "(other)"] += ranked[i].first;
  EXPECT_EQ(csv_costs("/api/v1/costs?group_by=ServiceName&top=2&format=csv"), expected);
}

TEST_F(ServerApi, MoversCompareTwoRanges) {
  auto in = [](const std::string& from, const std::string& to) {
    return [from, to](const bt::FixtureRow& r) { return r.day >= from && r.day <= to; };
  };
  auto key = [](const bt::FixtureRow& r) { return r.service; };
  auto current = fixture_->sum(key, in("2024-10-01", "2024-10-10"));
  auto previous = fixture_->sum(key, in("2024-09-01", "2024-09-10"));
  auto changes = csv_costs(
      "/api/v1/movers?dimension=ServiceName&from=2024-10-01&to=2024-10-10&compare_from=2024-09-01"
      "&compare_to=2024-09-10&format=csv",
      "change");
  ASSERT_EQ(changes.size(), current.size());
  for (const auto& [service, cur] : current) {
    std::string k;
    for (const auto& [ck, cv] : changes) {
      if (ck.rfind(service + "|", 0) == 0) k = ck;
    }
    ASSERT_FALSE(k.empty()) << service;
    EXPECT_EQ(changes[k], cur - previous[service]) << service;
  }
  // Defaults: month to date against the same days of the month before.
  json j = get_json("/api/v1/movers");
  EXPECT_EQ(j["current"]["from"], "2024-10-01");
  EXPECT_EQ(j["current"]["to"], "2024-10-20");
  EXPECT_EQ(j["previous"]["to"], "2024-09-20");
}

TEST_F(ServerApi, OverviewMonthToDateAndForecast) {
  json j = get_json("/api/v1/overview");
  EXPECT_EQ(j["as_of"], "2024-10-20");
  auto october = fixture_->sum([](const bt::FixtureRow&) { return std::string("x"); },
                               [](const bt::FixtureRow& r) { return r.day >= "2024-10-01"; });
  std::string body = bt::body_of(server_->get("/api/v1/overview"));
  EXPECT_NE(body.find("\"month_to_date\": " + bt::format_e10(october["x"])), std::string::npos)
      << body;
  auto last7 = fixture_->sum([](const bt::FixtureRow&) { return std::string("x"); },
                             [](const bt::FixtureRow& r) { return r.day >= "2024-10-14"; });
  // month to date + 11 remaining days × the last 7 days' daily average, to the cent
  double forecast = static_cast<double>(october["x"] + last7["x"] * 11 / 7) / 1e10;
  EXPECT_NEAR(j["forecast"].get<double>(), forecast, 0.01);
  EXPECT_EQ(j["by_provider"].size(), 2u);
}

TEST_F(ServerApi, SourcesShowFreshnessAndPeriods) {
  json j = get_json("/api/v1/sources");
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0]["source"], "cloud");
  EXPECT_EQ(j["rows"][0]["state"], "ok");
  EXPECT_EQ(j["rows"][0]["rows"], fixture_->rows().size());
  EXPECT_EQ(j["periods"].size(), 2u);
  EXPECT_EQ(j["periods"][0]["last_status"], "ok");
  json loads = get_json("/api/v1/loads?source=cloud");
  EXPECT_EQ(loads["rows"].size(), 2u);
}

TEST_F(ServerApi, CsvIsADownloadOfTheSameTable) {
  auto r = server_->get("/api/v1/sources?format=csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/csv"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Disposition")
                .find("attachment; filename=\"billingfoot-sources.csv\""),
            std::string::npos);
  EXPECT_EQ(r->body.rfind("source,type,state,", 0), 0u) << r->body;
}

TEST_F(ServerApi, BadParametersAre400WithAMessage) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/costs?group_by=NoSuchColumn", "unknown dimension 'NoSuchColumn'"},
      {"/api/v1/costs?from=2024-13", "from must be YYYY-MM or YYYY-MM-DD"},
      {"/api/v1/costs?to=yesterday", "to must be YYYY-MM or YYYY-MM-DD"},
      {"/api/v1/costs?granularity=week", "granularity must be day, month or none"},
      {"/api/v1/costs?cost=amortized", "unknown cost metric 'amortized'"},
      {"/api/v1/costs?top=many", "top must be a whole number"},
      {"/api/v1/costs?filter=ServiceName", "filter must be DIMENSION=VALUE"},
      {"/api/v1/costs?groupby=ServiceName", "unknown parameter 'groupby'"},
      {"/api/v1/costs?format=xml", "format must be json or csv"},
      {"/api/v1/movers?compare_from=last-month", "compare_from must be"},
      {"/api/v1/loads?limit=-1", "limit must be a whole number"},
  };
  for (const auto& [path, message] : cases) {
    json j = get_json(path, 400);
    ASSERT_TRUE(j.is_object()) << path;
    EXPECT_NE(j.value("error", "").find(message), std::string::npos) << path << ": " << j.dump();
  }
  json missing = get_json("/api/v1/nothing-here", 404);
  EXPECT_NE(missing.value("error", "").find("no API endpoint"), std::string::npos);
}

TEST_F(ServerApi, EveryDocumentedPathAnswers) {
  json spec = get_json("/api/v1/openapi.json");
  ASSERT_TRUE(spec.contains("paths"));
  for (const char* path :
       {"/api/v1/costs", "/api/v1/movers", "/api/v1/overview", "/api/v1/sources", "/api/v1/loads",
        "/api/v1/unit-costs", "/api/v1/query", "/api/v1/dashboards", "/healthz", "/metrics"}) {
    EXPECT_TRUE(spec["paths"].contains(path)) << path;
  }
  for (const auto& [path, ops] : spec["paths"].items()) {
    if (!ops.contains("get") || path.find('{') != std::string::npos) continue;
    auto r = server_->get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << "\n" << r->body;
  }
  // Tables that later features compute are reported as not there yet, not as errors.
  EXPECT_EQ(get_json("/api/v1/unit-costs")["available"], false);
}

TEST_F(ServerApi, MetricsCountRequestsAndShowFreshness) {
  get_json("/api/v1/sources");
  std::string metrics = bt::body_of(server_->get("/metrics"));
  EXPECT_NE(metrics.find("billingfoot_http_requests_total{route=\"/api/v1/"
                         "sources\",method=\"GET\",status=\"200\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("billingfoot_focus_rows " + std::to_string(fixture_->rows().size())),
            std::string::npos);
  EXPECT_NE(metrics.find("billingfoot_source_last_success_timestamp_seconds{source=\"cloud\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("billingfoot_http_request_duration_seconds_bucket{route=\"/api/v1/"
                         "sources\",le=\"+Inf\"}"),
            std::string::npos);
}

TEST_F(ServerApi, CompressesWhenTheClientAcceptsGzip) {
  auto client = server_->client();
  client.set_decompress(false);
  auto r = client.Get("/api/v1/costs?group_by=ServiceName&granularity=day",
                      {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "gzip");
  auto plain = server_->client().Get("/api/v1/costs?group_by=ServiceName&granularity=day");
  ASSERT_TRUE(plain);
  EXPECT_LT(r->body.size(), plain->body.size() / 3);
}

TEST_F(ServerApi, RequestLogNamesEveryRequest) {
  get_json("/api/v1/costs?group_by=ProviderName");
  // The line is written right after the response is sent.
  std::string log;
  for (int i = 0;
       i < 100 && log.find("GET /api/v1/costs?group_by=ProviderName") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = server_->log();
  }
  EXPECT_NE(log.find("127.0.0.1 GET /api/v1/costs?group_by=ProviderName 200 "), std::string::npos)
      << log;
}

// Separate warehouse: this one is written while the server runs.
TEST(ServerLease, SyncTakesTheFileBetweenRequestsAndServerSays503WhileItWrites) {
  bt::TempDir dir;
  bt::CostFixture fixture(dir);
  ASSERT_TRUE(fixture.synced);
  bt::ServeProcess server(dir.path());
  ASSERT_TRUE(server.listening());
  ASSERT_EQ(server.get("/api/v1/sources")->status, 200);

  // A sync right after a request gets the file once the server lets go of it.
  auto sync = bt::run_cli({"sync", "--full"}, {}, dir.path());
  EXPECT_EQ(sync.status, 0) << sync.err;

  // A sync stopped inside its write transaction holds the file: the API answers 503 with
  // Retry-After (not stale or half-written data), and recovers once the sync is gone.
  auto writer =
      bt::start_cli({"sync", "--full"},
                    {{"BILLINGFOOT_FAILPOINT", "replace_partition.after_insert"}}, dir.path());
  ASSERT_TRUE(writer.wait_for_stderr("failpoint replace_partition.after_insert reached", 60000))
      << writer.seen;
  auto busy = server.get("/api/v1/costs?group_by=ServiceName");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503) << busy->body;
  EXPECT_EQ(busy->get_header_value("Retry-After"), "5");
  EXPECT_NE(busy->body.find("being updated by a sync"), std::string::npos);
  writer.kill_hard();
  auto after = server.get("/api/v1/costs?group_by=ServiceName&format=csv");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->body;
  auto expected = fixture.sum([](const bt::FixtureRow& r) { return r.service; }, all);
  auto rows = bt::parse_csv(after->body);
  std::map<std::string, __int128> got;
  for (size_t i = 1; i < rows.size(); ++i) got[rows[i][0]] = bt::parse_decimal_e10(rows[i][1]);
  EXPECT_EQ(got, expected);  // the killed sync changed nothing
}

TEST(ServerLifecycle, SigtermStopsGracefully) {
  bt::TempDir dir;
  bt::CostFixture fixture(dir);
  bt::ServeProcess server(dir.path());
  ASSERT_TRUE(server.listening());
  EXPECT_EQ(server.get("/healthz")->status, 200);
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(server.log().find("billingfoot serve: stopped"), std::string::npos) << server.log();
}
