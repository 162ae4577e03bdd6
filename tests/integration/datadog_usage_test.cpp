// `type: datadog_usage` end to end: the real binary against a fake Datadog Usage Metering API
// (tests/fakes/fake_datadog_api.py) on a loopback port. Fixtures are written relative to the
// current month, and every expectation is computed here from the fixtures' own decimal text.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/cli.hpp"
#include "support/server_process.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kApiKey = "dd-api-secret-4f1e9a";
const std::string kAppKey = "dd-app-secret-7c2b05";
const std::string kParent = "a1b2c3";

using namespace std::chrono;

std::string period_of(year_month ym) {
  return fmt::format("{:04d}-{:02d}", static_cast<int>(ym.year()),
                     static_cast<unsigned>(ym.month()));
}

year_month current_month() {
  year_month_day today{floor<days>(system_clock::now())};
  return today.year() / today.month();
}

struct Charge {
  std::string product, type, cost;  // cost as decimal text, written into the JSON as is
};

struct Org {
  std::string id, name;
};

// One org's cost attributes for a month, shaped like Datadog's historical/estimated responses.
std::string cost_attributes(const std::string& period, const Org& org,
                            const std::vector<Charge>& charges,
                            const std::string& total_key = "total_cost") {
  std::string items;
  for (const auto& c : charges) {
    items += fmt::format(
        R"({}{{"product_name":"{}","charge_type":"{}","cost":{},"last_aggregation_function":"sum"}})",
        items.empty() ? "" : ",", c.product, c.type, c.cost);
  }
  std::string account =
      org.id == kParent
          ? ""
          : fmt::format(R"("account_name":"Acme","account_public_id":"{}",)", kParent);
  return fmt::format(
      R"({{{}"org_name":"{}","public_id":"{}","region":"us","date":"{}-01T00:00:00+00:00","{}":0,"charges":[{}]}})",
      account, org.name, org.id, period, total_key, items);
}

void write_costs(const fs::path& fixtures, const std::string& endpoint, const std::string& view,
                 const std::string& period, const std::vector<std::string>& orgs) {
  std::string list;
  for (const auto& o : orgs) list += (list.empty() ? "" : ",") + o;
  bt::write_file(fixtures / endpoint / view / (period + ".json"), "[" + list + "]");
}

// Billed cost of a month as Datadog states it: per product the `total` when present, else the
// sum of its parts (exact, from the fixture text).
__int128 billed(const std::vector<Charge>& charges) {
  std::map<std::string, __int128> parts, totals;
  std::set<std::string> has_total;
  for (const auto& c : charges) {
    if (c.type == "total") {
      totals[c.product] += bt::parse_decimal_e10(c.cost);
      has_total.insert(c.product);
    } else {
      parts[c.product] += bt::parse_decimal_e10(c.cost);
    }
  }
  __int128 sum = 0;
  for (const auto& [product, value] : parts) sum += has_total.count(product) ? 0 : value;
  for (const auto& [product, value] : totals) sum += value;
  return sum;
}

// Hourly infra host count of an org on (day of month, hour): varies by day so shares differ.
int hosts(unsigned day, int hour) {
  return 10 + static_cast<int>(day % 7) + hour % 3;
}

// The month's days with usage: closed months whole, the current month up to yesterday.
std::vector<year_month_day> usage_days(year_month ym) {
  std::vector<year_month_day> out;
  sys_days today = floor<days>(system_clock::now());
  for (sys_days d{ym / 1}; d < sys_days{(ym + months{1}) / 1} && d < today; d += days{1})
    out.push_back(d);
  return out;
}

std::string timestamp(year_month_day d, int hour) {
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:00:00+00:00", static_cast<int>(d.year()),
                     static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), hour);
}

// Hourly usage records: infra hosts every hour of every day, indexed logs on the first ten days.
json usage_records(year_month ym, const Org& org) {
  json records = json::array();
  for (auto d : usage_days(ym)) {
    for (int h = 0; h < 24; ++h) {
      auto record = [&](const char* family, json measurements) {
        records.push_back({{"timestamp", timestamp(d, h)},
                           {"product_family", family},
                           {"org_name", org.name},
                           {"public_id", org.id},
                           {"region", "us"},
                           {"measurements", measurements}});
      };
      record("infra_hosts",
             {{{"usage_type", "host_count"}, {"value", hosts(static_cast<unsigned>(d.day()), h)}},
              {{"usage_type", "apm_host_count"}, {"value", 4}}});
      if (static_cast<unsigned>(d.day()) <= 10) {
        record("indexed_logs",
               {{{"usage_type", "logs_indexed_events_15_day_count"}, {"value", 1000 + h}}});
      }
    }
  }
  return records;
}

std::string config(const std::string& endpoint, const std::string& extra = "") {
  return "data_dir: ./data\nsources:\n  - name: datadog\n    type: datadog_usage\n    "
         "api_endpoint: " +
         endpoint +
         "\n    api_key: ${DD_API_KEY}\n    app_key: ${DD_APP_KEY}\n    page_limit: 200\n" + extra;
}

const std::map<std::string, std::string> kEnv = {
    {"DD_API_KEY", kApiKey}, {"DD_APP_KEY", kAppKey}, {"BILLINGFOOT_HTTP_BACKOFF_MS", "20"}};

// The keys in the test process's own environment too: every command (query, status) expands
// the whole config, ${DD_API_KEY} included.
const bool kKeysInEnvironment = [] {
  setenv("DD_API_KEY", kApiKey.c_str(), 1);
  setenv("DD_APP_KEY", kAppKey.c_str(), 1);
  return true;
}();

std::unique_ptr<bt::ServerProcess> start_fake(const fs::path& fixtures, const fs::path& log,
                                              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {
      "python3",         bt::fake_server_script("fake_datadog_api.py").string(),
      "{port}",          "--fixtures",
      fixtures.string(), "--api-key",
      kApiKey,           "--app-key",
      kAppKey,           "--parent-org",
      kParent,           "--log",
      log.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return bt::ServerProcess::start(argv);
}

std::vector<json> requests(const fs::path& log) {
  std::vector<json> out;
  std::istringstream in(bt::read_file(log));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// The three months every test syncs: two months back (final), the previous (estimated until a
// test closes it) and the current one (estimated, with a projection).
class DatadogUsage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bt::TempDir();
    fixtures_ = new fs::path(*dir_ / "fixtures");
    const Org acme{kParent, "Acme"};
    closed_ = {{"infra_host", "committed", "800.00"},
               {"infra_host", "on_demand", "34.50"},
               {"infra_host", "total", "834.50"},
               {"logs_indexed_15day", "total", "120.37"},
               {"apm_host", "committed", "310.00"},
               {"apm_host", "total", "310.00"},
               {"synthetics_api_tests", "on_demand", "12.345678"},
               {"rum_sessions", "on_demand", "0"}};
    previous_estimate_ = {{"infra_host", "committed", "700.00"},
                          {"infra_host", "on_demand", "20.00"},
                          {"infra_host", "total", "720.00"},
                          {"logs_indexed_15day", "total", "100.00"}};
    current_ = {{"infra_host", "committed", "300.00"},
                {"infra_host", "on_demand", "5.55"},
                {"infra_host", "total", "305.55"}};
    projected_ = {{"infra_host", "committed", "850.00"},
                  {"infra_host", "on_demand", "50.00"},
                  {"infra_host", "total", "900.00"}};
    year_month cur = current_month();
    write_costs(*fixtures_, "historical_cost", "summary", period_of(cur - months{2}),
                {cost_attributes(period_of(cur - months{2}), acme, closed_)});
    write_costs(*fixtures_, "estimated_cost", "summary", period_of(cur - months{1}),
                {cost_attributes(period_of(cur - months{1}), acme, previous_estimate_)});
    write_costs(*fixtures_, "estimated_cost", "summary", period_of(cur),
                {cost_attributes(period_of(cur), acme, current_)});
    write_costs(*fixtures_, "projected_cost", "summary", period_of(cur),
                {cost_attributes(period_of(cur), acme, projected_, "projected_total_cost")});
    json hourly = json::array();
    for (int back = 2; back >= 0; --back) {
      for (auto& r : usage_records(cur - months{back}, acme)) hourly.push_back(r);
    }
    bt::write_file(*fixtures_ / "hourly_usage.json", hourly.dump());

    log_ = new fs::path(*dir_ / "requests.log");
    server_ = start_fake(*fixtures_, *log_,
                         {"--fail-once", "429:/api/v2/usage/hourly_usage", "--fail-once",
                          "500:/api/v2/usage/estimated_cost"})
                  .release();
    bt::write_file(*dir_ / "billingfoot.yaml", config(server_->url()));
    first_ = new bt::CliResult(bt::run_cli({"--log-level", "debug", "sync"}, kEnv, dir_->path()));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete server_;
    delete log_;
    delete fixtures_;
    delete dir_;
  }
  static std::string period(int months_back) {
    return period_of(current_month() - months{months_back});
  }
  static std::string scalar(const std::string& sql) { return bt::query_scalar(dir_->path(), sql); }
  static std::string month_total(const std::string& p) {
    return scalar("SELECT sum(BilledCost) FROM focus_costs WHERE x_BillingPeriod = '" + p + "'");
  }

  static bt::TempDir* dir_;
  static fs::path* fixtures_;
  static fs::path* log_;
  static bt::ServerProcess* server_;
  static bt::CliResult* first_;
  static std::vector<Charge> closed_, previous_estimate_, current_, projected_;
};

bt::TempDir* DatadogUsage::dir_ = nullptr;
fs::path* DatadogUsage::fixtures_ = nullptr;
fs::path* DatadogUsage::log_ = nullptr;
bt::ServerProcess* DatadogUsage::server_ = nullptr;
bt::CliResult* DatadogUsage::first_ = nullptr;
std::vector<Charge> DatadogUsage::closed_, DatadogUsage::previous_estimate_, DatadogUsage::current_,
    DatadogUsage::projected_;

}  // namespace

TEST_F(DatadogUsage, LoadsEachMonthWithTheTotalOfTheFixtures) {
  ASSERT_EQ(first_->status, 0) << first_->out << first_->err << server_->output();
  EXPECT_NE(first_->out.find(period(2) + "  loaded"), std::string::npos) << first_->out;
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(month_total(period(2)))),
            bt::format_e10(billed(closed_)));
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(month_total(period(1)))),
            bt::format_e10(billed(previous_estimate_)));
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(month_total(period(0)))),
            bt::format_e10(billed(current_)));
  EXPECT_EQ(scalar("SELECT string_agg(DISTINCT x_CostStatus, ',' ORDER BY x_CostStatus) FROM "
                   "focus_costs WHERE "
                   "x_BillingPeriod = '" +
                   period(2) + "'"),
            "final");
  EXPECT_EQ(scalar("SELECT string_agg(DISTINCT x_CostStatus, ',') FROM focus_costs WHERE "
                   "x_BillingPeriod <> '" +
                   period(2) + "'"),
            "estimated");
}

TEST_F(DatadogUsage, MapsChargesToFocusWithoutDoubleCounting) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  // Per product and charge type, what Datadog billed: committed / on_demand parts, `total` only
  // where no parts exist; zero charges are dropped.
  std::string p = period(2);
  EXPECT_EQ(
      scalar("SELECT string_agg(DISTINCT SkuId || ':' || x_ChargeType || ':' || PricingCategory, ' "
             "' ORDER BY "
             "SkuId || ':' || x_ChargeType || ':' || PricingCategory) FROM focus_costs WHERE "
             "x_BillingPeriod = '" +
             p + "'"),
      "apm_host:committed:Committed infra_host:committed:Committed infra_host:on_demand:Standard "
      "logs_indexed_15day:total:Standard synthetics_api_tests:on_demand:Standard");
  EXPECT_EQ(
      scalar("SELECT string_agg(DISTINCT ServiceName, ', ' ORDER BY ServiceName) FROM focus_costs"),
      "APM, Infrastructure Monitoring, Log Management, Synthetic Monitoring");
  EXPECT_EQ(scalar("SELECT count(*) FROM focus_costs WHERE ProviderName <> 'Datadog' OR "
                   "ServiceProviderName <> "
                   "'Datadog' OR InvoiceIssuerName <> 'Datadog' OR ServiceCategory <> 'Management "
                   "and Governance' "
                   "OR BillingAccountId <> '" +
                   kParent + "' OR ChargeCategory <> 'Usage' OR BillingCurrency <> 'USD'"),
            "0");
}

TEST_F(DatadogUsage, DailySpreadSumsBackToEachChargeToTheCent) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  std::string p = period(2);
  auto rows = bt::parse_csv(
      bt::run_cli(
          {"query", "--format", "csv",
           "SELECT SkuId, x_ChargeType, sum(BilledCost), count(*), min(ChargePeriodStart), "
           "max(ChargePeriodEnd), count(*) FILTER (WHERE BilledCost <> round(BilledCost, 2)) "
           "FROM focus_costs WHERE x_BillingPeriod = '" +
               p + "' GROUP BY ALL ORDER BY 1, 2"},
          {}, dir_->path())
          .out);
  std::map<std::string, std::string> expected = {{"apm_host/committed", "310.00"},
                                                 {"infra_host/committed", "800.00"},
                                                 {"infra_host/on_demand", "34.50"},
                                                 {"logs_indexed_15day/total", "120.37"},
                                                 {"synthetics_api_tests/on_demand", "12.345678"}};
  ASSERT_EQ(rows.size(), expected.size() + 1) << p;
  int days_in_month = static_cast<int>(
      (sys_days{(current_month() - months{1}) / 1} - sys_days{(current_month() - months{2}) / 1})
          .count());
  for (size_t i = 1; i < rows.size(); ++i) {
    std::string key = rows[i][0] + "/" + rows[i][1];
    ASSERT_TRUE(expected.count(key)) << key;
    EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(rows[i][2])),
              bt::format_e10(bt::parse_decimal_e10(expected[key])))
        << key;
    EXPECT_EQ(rows[i][4].substr(0, 10), p + "-01") << key;
    if (key == "logs_indexed_15day/total") {
      EXPECT_EQ(rows[i][3], "10") << "logs had usage on the first ten days only";
    } else {
      EXPECT_EQ(rows[i][3], std::to_string(days_in_month)) << key;
    }
    // Whole-cent charges are spread in whole cents.
    if (key != "synthetics_api_tests/on_demand") {
      EXPECT_EQ(rows[i][6], "0") << key;
    }
  }
}

TEST_F(DatadogUsage, DaysFollowTheProductsHourlyUsage) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  std::string p = period(2);
  auto rows = bt::parse_csv(
      bt::run_cli({"query", "--format", "csv",
                   "SELECT day(ChargePeriodStart), BilledCost, x_AllocationBasis FROM focus_costs "
                   "WHERE x_BillingPeriod = '" +
                       p +
                       "' AND SkuId = 'infra_host' AND "
                       "x_ChargeType = 'committed' ORDER BY 1"},
                  {}, dir_->path())
          .out);
  ASSERT_GT(rows.size(), 28u);
  double total_weight = 0;
  std::map<unsigned, double> weight;
  for (size_t i = 1; i < rows.size(); ++i) {
    unsigned d = static_cast<unsigned>(std::stoi(rows[i][0]));
    for (int h = 0; h < 24; ++h) weight[d] += hosts(d, h);
    total_weight += weight[d];
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    unsigned d = static_cast<unsigned>(std::stoi(rows[i][0]));
    double share = 800.0 * weight[d] / total_weight;
    EXPECT_NEAR(std::stod(rows[i][1]), share, 0.01) << "day " << d;
    EXPECT_EQ(rows[i][2], "hourly_usage:infra_hosts/host_count");
  }
  EXPECT_EQ(
      scalar("SELECT string_agg(DISTINCT x_AllocationBasis, ',') FROM focus_costs WHERE SkuId = "
             "'synthetics_api_tests'"),
      "even:no_usage_data");
}

TEST_F(DatadogUsage, ProjectedCostIsKeptAsAForecastNotAsCost) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  std::string p = period(0);
  EXPECT_EQ(bt::format_e10(
                bt::parse_decimal_e10(scalar("SELECT sum(forecast_cost) FROM cost_forecasts WHERE "
                                             "source = 'datadog' AND billing_period = '" +
                                             p + "'"))),
            bt::format_e10(billed(projected_)));
  EXPECT_EQ(scalar("SELECT string_agg(DISTINCT method || '/' || provider || '/' || service_name, "
                   "',') FROM cost_forecasts"),
            "provider_projection/Datadog/Infrastructure Monitoring");
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(month_total(p))),
            bt::format_e10(billed(current_)));
}

TEST_F(DatadogUsage, HonoursRateLimitResetAndRetriesServerErrors) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  auto log = requests(*log_);
  double limited_at = 0, retried_at = 0;
  int server_errors = 0, estimated_ok = 0;
  for (const auto& r : log) {
    if (r["path"] == "/api/v2/usage/hourly_usage" && r["status"] == 429) limited_at = r["time"];
    if (r["path"] == "/api/v2/usage/hourly_usage" && r["status"] == 200 && limited_at > 0 &&
        retried_at == 0)
      retried_at = r["time"];
    if (r["path"] == "/api/v2/usage/estimated_cost")
      (r["status"] == 500 ? server_errors : estimated_ok) += 1;
  }
  ASSERT_GT(limited_at, 0) << "the fake answered 429 once";
  EXPECT_GE(retried_at - limited_at, 1.0) << "waited X-RateLimit-Reset (1 s) before retrying";
  EXPECT_EQ(server_errors, 1);
  EXPECT_EQ(estimated_ok, 2) << "previous and current month, one retried after the 500";
}

TEST_F(DatadogUsage, PagesHourlyUsageWithNextRecordId) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  std::string p = period(2);
  int pages = 0, continued = 0;
  for (const auto& r : requests(*log_)) {
    if (r["path"] != "/api/v2/usage/hourly_usage" || r["status"] != 200) continue;
    if (!r["query"]["filter[timestamp][start]"].get<std::string>().starts_with(p)) continue;
    ++pages;
    continued += r["query"].contains("page[next_record_id]");
    EXPECT_EQ(r["query"]["page[limit]"], "200");
    EXPECT_EQ(r["query"]["filter[product_families]"], "indexed_logs,infra_hosts,synthetics_api");
  }
  // Two families' records for the month (infra every hour, logs ten days), 200 per page.
  int days_in_month = static_cast<int>(
      (sys_days{(current_month() - months{1}) / 1} - sys_days{(current_month() - months{2}) / 1})
          .count());
  int records = days_in_month * 24 + 10 * 24;
  EXPECT_EQ(pages, (records + 199) / 200);
  EXPECT_EQ(continued, pages - 1);
  int landed = 0;
  for (const auto& f : fs::directory_iterator(*dir_ / "data/landing/datadog" / p)) {
    landed += f.path().filename().string().starts_with("hourly_usage-");
  }
  EXPECT_EQ(landed, pages);
  EXPECT_TRUE(fs::exists(*dir_ / "data/landing/datadog" / p / "historical_cost.json"));
}

TEST_F(DatadogUsage, NeverPrintsTheKeys) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  for (const std::string& key : {kApiKey, kAppKey}) {
    EXPECT_EQ(first_->out.find(key), std::string::npos);
    EXPECT_EQ(first_->err.find(key), std::string::npos);
    for (const auto& f : fs::recursive_directory_iterator(*dir_ / "data/landing")) {
      if (f.is_regular_file()) {
        EXPECT_EQ(bt::read_file(f.path()).find(key), std::string::npos) << f.path();
      }
    }
  }
}

TEST_F(DatadogUsage, ClosedMonthsAreNotFetchedAgainAndUnchangedDataIsUnchanged) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  size_t before = requests(*log_).size();
  auto again = bt::run_cli({"sync"}, kEnv, dir_->path());
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  for (size_t i = before; i < requests(*log_).size(); ++i) {
    auto r = requests(*log_)[i];
    EXPECT_FALSE(r["path"] == "/api/v2/usage/historical_cost" &&
                 r["query"]["start_month"] == period(2))
        << r.dump() << " — the final month is landed already";
  }
  EXPECT_NE(again.out.find(period(2) + "  unchanged"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find(period(0) + "  unchanged"), std::string::npos) << again.out;
}

TEST_F(DatadogUsage, LandedResponsesReNormalizeWithoutTheApi) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  bt::TempDir offline;
  bt::write_file(
      offline / "billingfoot.yaml",
      "data_dir: ./data\nsources:\n  - name: datadog\n    type: datadog_usage\n    location: " +
          (*dir_ / "data/landing/datadog").string() + "\n");
  auto r = bt::run_cli({"sync"}, {}, offline.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::string sql =
      "SELECT sum(BilledCost), count(*), string_agg(DISTINCT x_CostStatus, ',' ORDER BY "
      "x_CostStatus) FROM focus_costs";
  EXPECT_EQ(bt::query_scalar(offline.path(), sql), scalar(sql));
}

// The previous month arrives as an estimate; once Datadog closes it, its historical cost
// replaces the estimate entirely.
TEST(DatadogUsageEstimates, FinalFigureReplacesTheEstimateAcrossSyncs) {
  bt::TempDir dir;
  const Org acme{kParent, "Acme"};
  year_month prev = current_month() - months{1};
  std::string p = period_of(prev);
  std::vector<Charge> estimate = {{"infra_host", "committed", "500.00"},
                                  {"infra_host", "on_demand", "41.17"},
                                  {"infra_host", "total", "541.17"}};
  std::vector<Charge> final_cost = {{"infra_host", "committed", "500.00"},
                                    {"infra_host", "on_demand", "55.03"},
                                    {"infra_host", "total", "555.03"},
                                    {"apm_host", "total", "93.10"}};
  write_costs(dir / "fixtures", "estimated_cost", "summary", p,
              {cost_attributes(p, acme, estimate)});
  bt::write_file(dir / "fixtures/hourly_usage.json", usage_records(prev, acme).dump());
  auto server = start_fake(dir / "fixtures", dir / "requests.log");
  bt::write_file(dir / "billingfoot.yaml", config(server->url(), "    lookback_months: 2\n"));

  auto first = bt::run_cli({"sync", "--from", p, "--to", p}, kEnv, dir.path());
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  std::string totals =
      "SELECT sum(BilledCost) || '/' || string_agg(DISTINCT x_CostStatus, ',') FROM focus_costs";
  EXPECT_EQ(bt::query_scalar(dir.path(), totals), "541.1700000000/estimated");

  write_costs(dir / "fixtures", "historical_cost", "summary", p,
              {cost_attributes(p, acme, final_cost)});
  auto second = bt::run_cli({"sync", "--from", p, "--to", p}, kEnv, dir.path());
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(p + "  loaded"), std::string::npos) << second.out;
  EXPECT_EQ(bt::query_scalar(dir.path(), totals), bt::format_e10(billed(final_cost)) + "/final");
  EXPECT_TRUE(fs::exists(dir / "data/landing/datadog" / p / "historical_cost.json"));
  EXPECT_FALSE(fs::exists(dir / "data/landing/datadog" / p / "estimated_cost.json"));
}

TEST(DatadogUsageErrors, MissingBillingPermissionIsNamedAndLoadedDataStays) {
  bt::TempDir dir;
  const Org acme{kParent, "Acme"};
  std::string p = period_of(current_month());
  write_costs(dir / "fixtures", "estimated_cost", "summary", p,
              {cost_attributes(p, acme, {{"infra_host", "on_demand", "77.70"}})});
  {
    auto server = start_fake(dir / "fixtures", dir / "requests.log");
    bt::write_file(dir / "billingfoot.yaml", config(server->url(), "    lookback_months: 1\n"));
    auto ok = bt::run_cli({"sync"}, kEnv, dir.path());
    ASSERT_EQ(ok.status, 0) << ok.out << ok.err;
  }
  auto server = start_fake(dir / "fixtures", dir / "requests.log", {"--forbid-cost"});
  bt::write_file(dir / "billingfoot.yaml", config(server->url(), "    lookback_months: 1\n"));
  auto denied = bt::run_cli({"sync"}, kEnv, dir.path());
  EXPECT_EQ(denied.status, 1) << denied.out << denied.err;
  EXPECT_NE(denied.err.find("HTTP 403"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("usage_read"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("billing_read"), std::string::npos) << denied.err;
  EXPECT_EQ(denied.err.find(kApiKey), std::string::npos);
  EXPECT_EQ(bt::query_scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"),
            "77.7000000000");
  auto status = bt::run_cli({"status", "--format", "json"}, {}, dir.path());
  EXPECT_NE(status.out.find("billing_read"), std::string::npos) << status.out;
}

TEST(DatadogUsageErrors, WrongKeysAreRejectedByTheApi) {
  bt::TempDir dir;
  auto server = start_fake(dir / "fixtures", dir / "requests.log");
  bt::write_file(dir / "billingfoot.yaml", config(server->url(), "    lookback_months: 1\n"));
  auto env = kEnv;
  env["DD_APP_KEY"] = "not-the-key";
  auto r = bt::run_cli({"sync"}, env, dir.path());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("source datadog"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 403"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-the-key"), std::string::npos) << r.err;
}

TEST(DatadogUsageErrors, MalformedLandedResponseNamesTheFileAndLoadsNothing) {
  bt::TempDir dir;
  std::string p = period_of(current_month() - months{3});
  bt::write_file(dir / "responses" / p / "historical_cost.json",
                 "{\"data\":[{\"type\":\"cost_by_org\",\"id\":\"x\",\"attributes\":" +
                     cost_attributes(p, {kParent, "Acme"}, {{"infra_host", "on_demand", "10.00"}}) +
                     "}]}");
  bt::write_file(dir / "billingfoot.yaml",
                 "data_dir: ./data\nsources:\n  - name: dd\n    type: datadog_usage\n    location: "
                 "./responses\n");
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);
  bt::write_file(dir / "responses" / p / "hourly_usage-0001.json",
                 "{\"data\": [{\"attributes\": {\"timesta");
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("hourly_usage-0001.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(bt::query_scalar(dir.path(), "SELECT sum(BilledCost) FROM focus_costs"),
            "10.0000000000");
}

TEST(DatadogUsageConfig, RejectsAnUnknownSiteAndMissingKeys) {
  bt::TempDir dir;
  bt::write_file(dir / "billingfoot.yaml",
                 "sources:\n  - name: dd\n    type: datadog_usage\n    site: datadoghq.moon\n    "
                 "api_key: a\n    app_key: b\n");
  auto r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("sources[0].site"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("us5.datadoghq.com"), std::string::npos) << r.err;
  bt::write_file(dir / "billingfoot.yaml",
                 "sources:\n  - name: dd\n    type: datadog_usage\n    site: datadoghq.eu\n");
  r = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("api_key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("${DD_API_KEY}"), std::string::npos) << r.err;
}

// A multi-org parent: view sub-org gives each child org's cost; hourly usage across orgs comes
// in 24-hour windows (the fake rejects longer ones, as Datadog does).
TEST(DatadogUsageSubOrgs, EachChildOrgIsASubAccountOfTheParent) {
  bt::TempDir dir;
  std::string p = period_of(current_month());
  const Org web{"c0ffee", "Acme Web"}, shop{"d00d42", "Acme Shop"};
  std::vector<Charge> web_cost = {{"infra_host", "on_demand", "40.40"}},
                      shop_cost = {{"infra_host", "on_demand", "60.61"}};
  write_costs(dir / "fixtures", "estimated_cost", "sub-org", p,
              {cost_attributes(p, web, web_cost), cost_attributes(p, shop, shop_cost)});
  json hourly = usage_records(current_month(), web);
  for (auto& r : usage_records(current_month(), shop)) hourly.push_back(r);
  bt::write_file(dir / "fixtures/hourly_usage.json", hourly.dump());
  auto server = start_fake(dir / "fixtures", dir / "requests.log");
  bt::write_file(dir / "billingfoot.yaml",
                 config(server->url(), "    view: sub-org\n    lookback_months: 1\n"));
  auto r = bt::run_cli({"sync"}, kEnv, dir.path());
  ASSERT_EQ(r.status, 0) << r.out << r.err << server->output();
  EXPECT_EQ(bt::query_scalar(
                dir.path(),
                "SELECT string_agg(SubAccountId || '=' || total, ' ' ORDER BY SubAccountId) FROM "
                "(SELECT SubAccountId, sum(BilledCost) AS total FROM focus_costs WHERE "
                "BillingAccountId = '" +
                    kParent + "' GROUP BY 1)"),
            "c0ffee=40.4000000000 d00d42=60.6100000000");
  int windows = 0;
  for (const auto& req : requests(dir / "requests.log")) {
    if (req["path"] != "/api/v2/usage/hourly_usage") continue;
    EXPECT_EQ(req["status"], 200) << req.dump();
    EXPECT_EQ(req["query"]["filter[include_descendants]"], "true");
    windows += !req["query"].contains("page[next_record_id]");
  }
  auto hours_so_far = (floor<hours>(system_clock::now()) - sys_days{current_month() / 1}).count();
  EXPECT_EQ(windows, static_cast<int>((hours_so_far + 23) / 24));
}
