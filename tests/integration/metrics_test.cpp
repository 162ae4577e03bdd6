// Business metrics and unit costs through the binary: a real PostgreSQL server holding the demo
// company's orders, CSV metrics, idempotent reloads, bad input, and `report --unit`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "app/demo/business_metrics.hpp"
#include "app/demo/company.hpp"
#include "support/cli.hpp"
#include "support/postgres.hpp"

namespace bt = billingfoot::testing;
namespace demo = billingfoot::app::demo;

namespace {

// Costs: 2024-09 and 2024-10, team shop 100 + 300, team web 50 + 50 (BilledCost = EffectiveCost).
void write_costs(const bt::TempDir& dir) {
  bt::write_file(dir / "exports/costs.csv",
                 "BillingPeriodStart,ChargePeriodStart,BilledCost,EffectiveCost,ServiceName,Tags,"
                 "BillingCurrency\n"
                 "2024-09-01T00:00:00Z,2024-09-03T00:00:00Z,100,100,Compute,\"{\"\"team\"\": "
                 "\"\"shop\"\"}\",USD\n"
                 "2024-09-01T00:00:00Z,2024-09-03T00:00:00Z,50,50,Compute,\"{\"\"team\"\": "
                 "\"\"web\"\"}\",USD\n"
                 "2024-10-01T00:00:00Z,2024-10-03T00:00:00Z,300,300,Compute,\"{\"\"team\"\": "
                 "\"\"shop\"\"}\",USD\n"
                 "2024-10-01T00:00:00Z,2024-10-03T00:00:00Z,50,50,Compute,\"{\"\"team\"\": "
                 "\"\"web\"\"}\",USD\n");
}

const char* kAllocation = R"(
allocation:
  dimensions:
    - name: team
      rules: [{match: {"tag:team": {regex: "^(.+)$"}}, value: "$1"}]
)";

std::map<std::string, std::string> csv_map(const std::string& text, size_t key, size_t value) {
  std::map<std::string, std::string> out;
  auto rows = bt::parse_csv(text);
  for (size_t i = 1; i < rows.size(); ++i) out[rows[i].at(key)] = rows[i].at(value);
  return out;
}

}  // namespace

TEST(PostgresMetrics, DemoOrdersAreReadWithARealQueryIdempotentlyAndBecomeUnitCosts) {
  if (!bt::PostgresServer::available())
    GTEST_SKIP() << "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
  bt::PostgresServer pg;
  // The demo company's daily orders, as its application database holds them.
  demo::Company company(7, std::chrono::sys_days{std::chrono::year{2024} / 10 / 31});
  std::string orders_csv;
  for (const auto& f : demo::generate_business_metrics(company)) {
    if (f.path == "metrics/orders.csv") orders_csv = f.content;
  }
  auto rows = bt::parse_csv(orders_csv);
  ASSERT_GT(rows.size(), 300u);
  std::string sql =
      "CREATE TABLE daily_orders (day date, product text, orders integer);\nINSERT INTO "
      "daily_orders VALUES ";
  std::map<std::string, int64_t> per_month;
  for (size_t i = 1; i < rows.size(); ++i) {
    sql += (i > 1 ? ", " : "") + std::string("('") + rows[i][0] + "', '" + rows[i][1] + "', " +
           rows[i][2] + ")";
    per_month[rows[i][0].substr(0, 7)] += std::stoll(rows[i][2]);
  }
  pg.execute(sql);

  bt::TempDir dir;
  write_costs(dir);
  std::string config =
      std::string("sources:\n  - {name: f, type: focus, location: ./exports}\n") + kAllocation +
      "metrics:\n  - name: orders\n    grain: month\n    postgres:\n      dsn: \"${METRICS_DSN}\"\n"
      "      query: \"SELECT date_trunc('month', day)::date AS date, product, sum(orders) AS value "
      "FROM "
      "daily_orders GROUP BY 1, 2\"\n"
      "unit_costs:\n  - {name: shop_per_1000_orders, cost: {team: shop}, metric: "
      "\"orders{product=shop-builder}\", per: 1000}\n";
  bt::write_file(dir / "billingfoot.yaml", config);
  std::map<std::string, std::string> env = {{"METRICS_DSN", pg.dsn()}};
  // Every command reads the config, which names ${METRICS_DSN}; query_scalar inherits it.
  setenv("METRICS_DSN", pg.dsn().c_str(), 1);

  auto sync = bt::run_cli({"sync"}, env, dir.path());
  ASSERT_EQ(sync.status, 0) << sync.out << sync.err;
  EXPECT_NE(sync.out.find("metric  orders  loaded"), std::string::npos) << sync.out;
  EXPECT_EQ(sync.out.find("host=127.0.0.1"), std::string::npos) << "the DSN must not be printed";
  std::string check =
      "SELECT count(*) || ',' || CAST(sum(value) AS BIGINT) FROM business_metrics WHERE metric = "
      "'orders'";
  int64_t all_orders = 0;
  for (const auto& [month, n] : per_month) all_orders += n;
  std::string expected = std::to_string(per_month.size()) + "," + std::to_string(all_orders);
  EXPECT_EQ(bt::query_scalar(dir.path(), check), expected);
  EXPECT_EQ(bt::query_scalar(
                dir.path(),
                "SELECT CAST(value AS BIGINT) FROM business_metrics WHERE date = '2024-09-01'"),
            std::to_string(per_month["2024-09"]));

  // Loading again changes nothing; a failing query leaves the loaded rows as they were.
  ASSERT_EQ(bt::run_cli({"sync"}, env, dir.path()).status, 0);
  EXPECT_EQ(bt::query_scalar(dir.path(), check), expected);

  // Unit cost: shop cost per 1,000 orders, exact: 100 × 1000 / orders(2024-09).
  auto unit =
      bt::run_cli({"report", "--unit", "shop_per_1000_orders", "--format", "csv"}, env, dir.path());
  ASSERT_EQ(unit.status, 0) << unit.err;
  auto by_period = csv_map(unit.out, 0, 3);
  long double want = 100.0L * 1000 / per_month["2024-09"];
  EXPECT_NEAR(std::stold(by_period["2024-09-01"]), want, 1e-9L) << unit.out;
  // Marginal view: (300 - 100) × 1000 / (orders Oct - orders Sep).
  auto marginal = csv_map(unit.out, 0, 6);
  long double want_marginal = 200.0L * 1000 / (per_month["2024-10"] - per_month["2024-09"]);
  EXPECT_NEAR(std::stold(marginal["2024-10-01"]), want_marginal, 1e-9L) << unit.out;

  std::string broken = config;
  broken.replace(broken.find("FROM daily_orders"), 17, "FROM no_such_table");
  bt::write_file(dir / "billingfoot.yaml", broken);
  auto bad = bt::run_cli({"sync"}, env, dir.path());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("metric orders: PostgreSQL: the metric query failed"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("no_such_table"), std::string::npos) << bad.err;
  EXPECT_EQ(bt::query_scalar(dir.path(), check), expected);

  pg.stop();
  bt::write_file(dir / "billingfoot.yaml", config);
  auto down = bt::run_cli({"sync"}, env, dir.path());
  EXPECT_EQ(down.status, 1);
  EXPECT_NE(down.err.find("metric orders: PostgreSQL: cannot connect"), std::string::npos)
      << down.err;
  EXPECT_EQ(bt::query_scalar(dir.path(), check), expected);
}

TEST(CsvMetrics, BadRowsAreNamedAndNothingChanges) {
  bt::TempDir dir;
  write_costs(dir);
  bt::write_file(dir / "m.csv",
                 "date,product,value\n2024-09-01,shop,10\n2024-09-02,shop,5\n2024-09-02,web,7\n");
  bt::write_file(dir / "billingfoot.yaml",
                 std::string("sources:\n  - {name: f, type: focus, location: ./exports}\n") +
                     "metrics:\n  - {name: users, aggregate: sum, csv: ./m.csv}\n");
  auto ok = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(ok.status, 0) << ok.err;
  std::string check =
      "SELECT string_agg(product || '=' || CAST(value AS INTEGER), ' ' ORDER BY date, product) "
      "FROM business_metrics";
  EXPECT_EQ(bt::query_scalar(dir.path(), check), "shop=10 shop=5 web=7");
  bt::write_file(dir / "m.csv", "date,product,value\n2024-09-01,shop,11\n2024-09-02,shop,five\n");
  auto bad = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("metric users: "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("m.csv: row 3: value 'five' is not a number"), std::string::npos)
      << bad.err;
  EXPECT_EQ(bt::query_scalar(dir.path(), check), "shop=10 shop=5 web=7");
  // A reload replaces only the days it delivers.
  bt::write_file(dir / "m.csv", "date,product,value\n2024-09-02,shop,6\n");
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);
  EXPECT_EQ(bt::query_scalar(dir.path(), check), "shop=10 shop=6");
}

TEST(AllocatedReports, RuleChangesRecomputeWithoutSyncAndUnallocatedIsShown) {
  bt::TempDir dir;
  write_costs(dir);
  std::string sources = "sources:\n  - {name: f, type: focus, location: ./exports}\n";
  bt::write_file(dir / "billingfoot.yaml", sources + kAllocation);
  ASSERT_EQ(bt::run_cli({"sync"}, {}, dir.path()).status, 0);
  auto r = bt::run_cli({"report", "--by", "team", "--format", "csv"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(csv_map(r.out, 0, 1), (std::map<std::string, std::string>{{"shop", "400.0000000000"},
                                                                      {"web", "100.0000000000"}}));

  // New rules: web's cost is now shared by shop and a new team, 1:3. No sync: report recomputes.
  bt::write_file(dir / "billingfoot.yaml",
                 sources + kAllocation +
                     "  shared:\n    - {name: web, match: {team: web}, split_by: team, method: "
                     "fixed, weights: {shop: 0.25, ops: 0.75}}\n");
  r = bt::run_cli({"report", "--by", "team", "--format", "csv"}, {}, dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(csv_map(r.out, 0, 1), (std::map<std::string, std::string>{{"shop", "425.0000000000"},
                                                                      {"ops", "75.0000000000"}}));

  auto u = bt::run_cli({"report", "--by", "team", "--show-unallocated"}, {}, dir.path());
  ASSERT_EQ(u.status, 0) << u.err;
  EXPECT_NE(u.out.find("Unallocated (team = unallocated): 0.00 USD"), std::string::npos) << u.out;
  auto none = bt::run_cli({"report", "--by", "ServiceName", "--show-unallocated"}, {}, dir.path());
  EXPECT_EQ(none.status, 2);
}
