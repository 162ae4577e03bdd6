// API latency benchmark: builds a warehouse of N charges (default 60,000,000: a year of a large
// company: 365 days, 3 providers, 40 services, 200 accounts, 12 regions, team tags), refreshes
// the cost_daily rollup, starts `billingfoot serve` and times the explorer's main queries over
// HTTP. Prints p50 / p95 per query; asserts nothing.
//
//   build/bench/bench_api [ROWS] [REQUESTS_PER_QUERY]
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "model/rollup.hpp"
#include "warehouse/duckdb.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string slurp(const fs::path& f) {
  std::ifstream in(f);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 60'000'000;
  int requests = argc > 2 ? std::atoi(argv[2]) : 30;
  fs::path dir = fs::temp_directory_path() / ("billingfoot-api-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "exports");
  // A one-row export gives the warehouse its schema through the real sync.
  std::ofstream(dir / "exports/seed.csv")
      << "BillingPeriodStart,ChargePeriodStart,BilledCost,ServiceName\n"
         "2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,0,seed\n";
  std::ofstream(dir / "billingfoot.yaml")
      << "sources:\n  - name: seed\n    type: focus\n    location: ./exports\n";
  std::string sync = "cd '" + dir.string() + "' && '" BILLINGFOOT_BINARY "' sync > /dev/null";
  if (std::system(sync.c_str()) != 0) return 1;

  auto t = Clock::now();
  {
    auto db =
        billingfoot::warehouse::Database::open((dir / ".billingfoot/billingfoot.duckdb").string());
    auto con = db.connect();
    con.execute(
        "INSERT INTO focus_costs BY NAME SELECT "
        "TIMESTAMP '2024-01-01' + INTERVAL (i % 365) DAY AS ChargePeriodStart, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i % 365 + 1) DAY AS ChargePeriodEnd, "
        "date_trunc('month', TIMESTAMP '2024-01-01' + INTERVAL (i % 365) DAY) AS "
        "BillingPeriodStart, "
        "date_trunc('month', TIMESTAMP '2024-01-01' + INTERVAL (i % 365) DAY) + INTERVAL 1 MONTH "
        "AS BillingPeriodEnd, "
        "CAST((i * 7919 % 100000) / 1000.0 AS DECIMAL(38,10)) AS BilledCost, "
        "CAST((i * 7919 % 100000) / 1100.0 AS DECIMAL(38,10)) AS EffectiveCost, "
        "CAST((i * 7919 % 100000) / 900.0 AS DECIMAL(38,10)) AS ListCost, "
        "CAST((i * 7919 % 100000) / 1000.0 AS DECIMAL(38,10)) AS ContractedCost, "
        "['AWS', 'Google Cloud', 'Microsoft'][i % 3 + 1] AS ProviderName, "
        "'Service ' || (i // 3 % 40) AS ServiceName, 'Compute' AS ServiceCategory, 'Usage' AS "
        "ChargeCategory, "
        // An account runs a few services in one region, as in real bills (the rollup then
        // folds many charges per day into one row, as it does for real data).
        "'acct-' || (i // 3 % 40 * 5 + i // 120 % 5) AS SubAccountId, "
        "'region-' || ((i // 3 % 40 * 5 + i // 120 % 5) % 12) AS RegionId, 'USD' AS "
        "BillingCurrency, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE json_object('team', 'team-' || (i // 3 % 40 % 15)) END "
        "AS Tags, "
        "'big' AS x_SourceName, 'focus' AS x_SourceType, 'bench' AS x_LoadId, "
        "strftime(date_trunc('month', TIMESTAMP '2024-01-01' + INTERVAL (i % 365) DAY), '%Y-%m') "
        "AS x_BillingPeriod "
        "FROM range(" +
        std::to_string(rows) + ") r(i)");
    con.execute(
        "INSERT INTO loads SELECT 'bench-' || p, 'big', p, 'bench', 0, 0, 0, now()::TIMESTAMP, "
        "now()::TIMESTAMP, "
        "'ok', '' FROM (SELECT DISTINCT x_BillingPeriod AS p FROM focus_costs WHERE x_SourceName = "
        "'big')");
    std::printf("loaded %ld rows in %.1f s\n", rows, since(t));
    t = Clock::now();
    billingfoot::model::refresh_cost_daily(con);
    std::printf("cost_daily rollup built in %.1f s (%s rows)\n", since(t),
                con.query("SELECT count(*) FROM cost_daily").text(0, 0).c_str());
  }

  fs::path log = dir / "serve.log";
  pid_t pid = fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    if (chdir(dir.c_str()) != 0) _exit(127);
    execl(BILLINGFOOT_BINARY, BILLINGFOOT_BINARY, "serve", "--listen", "127.0.0.1:0", nullptr);
    _exit(127);
  }
  int port = 0;
  std::smatch m;
  for (int i = 0; i < 300 && !port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string out = slurp(log);
    if (std::regex_search(out, m, std::regex(R"(127\.0\.0\.1:(\d+)/)"))) port = std::stoi(m[1]);
  }
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(300, 0);
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"by provider, daily, 3 months",
       "/api/v1/costs?group_by=ProviderName&granularity=day&from=2024-10-01&to=2024-12-30"},
      {"by service, monthly, top 12, year",
       "/api/v1/costs?group_by=ServiceName&granularity=month&top=12"},
      {"by account, daily, filtered",
       "/api/v1/"
       "costs?group_by=SubAccountId&granularity=day&top=12&from=2024-11-01&filter=ProviderName%"
       "3DAWS"},
      {"breakdown table by region",
       "/api/v1/costs?group_by=RegionId&from=2024-10-01&to=2024-12-30"},
      {"movers by service", "/api/v1/movers?dimension=ServiceName"},
      {"overview", "/api/v1/overview"},
      {"by tag:team (raw table)", "/api/v1/costs?group_by=tag:team&granularity=month&top=12"},
  };
  std::printf("\n%-36s %10s %10s %10s\n", "query", "p50 ms", "p95 ms", "max ms");
  for (const auto& [name, path] : queries) {
    std::vector<double> ms;
    for (int i = 0; i < requests; ++i) {
      auto s = Clock::now();
      auto r = client.Get(path);
      ms.push_back(since(s) * 1000);
      if (!r || r->status != 200) {
        std::printf("%s failed: %d\n", name.c_str(), r ? r->status : 0);
        break;
      }
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) {
      return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
    };
    std::printf("%-36s %10.1f %10.1f %10.1f\n", name.c_str(), pct(0.5), pct(0.95), ms.back());
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
