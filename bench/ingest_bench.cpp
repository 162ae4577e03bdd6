// Ingestion benchmark: generates a FOCUS CSV of N rows (default 2,000,000) spread over 12
// billing periods, then times, through the real binary: a cold sync, an unchanged re-sync, a
// --full re-sync, and a report. Prints numbers; asserts nothing.
//
//   build/bench/bench_ingest [ROWS]
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "warehouse/duckdb.hpp"

namespace fs = std::filesystem;

namespace {

double run(const fs::path& dir, const std::string& args) {
  auto start = std::chrono::steady_clock::now();
  std::string cmd = "cd '" + dir.string() + "' && '" BILLINGFOOT_BINARY "' " + args + " > /dev/null";
  int rc = std::system(cmd.c_str());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (rc != 0) {
    std::fprintf(stderr, "command failed (%d): %s\n", rc, args.c_str());
    std::exit(1);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 2'000'000;
  fs::path dir = fs::temp_directory_path() / ("billingfoot-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "exports");

  auto gen_start = std::chrono::steady_clock::now();
  {
    auto db = billingfoot::warehouse::Database::open(":memory:");
    auto con = db.connect();
    con.execute(
        "COPY (SELECT '1234' AS BillingAccountId, 'USD' AS BillingCurrency, "
        "strftime(date_trunc('month', d), '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodStart, "
        "strftime(date_trunc('month', d) + INTERVAL 1 MONTH, '%Y-%m-%dT%H:%M:%SZ') AS BillingPeriodEnd, "
        "strftime(d, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodStart, "
        "strftime(d + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ') AS ChargePeriodEnd, 'Usage' AS ChargeCategory, "
        "round(random() * 10, 6) AS BilledCost, round(random() * 10, 6) AS EffectiveCost, "
        "'Service ' || (i % 40) AS ServiceName, 'Compute' AS ServiceCategory, 'acct-' || (i % 25) AS SubAccountId, "
        "'{\"team\": \"team-' || (i % 7) || '\"}' AS Tags "
        "FROM (SELECT i, TIMESTAMP '2024-01-01' + to_hours(CAST(i % (365 * 24) AS INTEGER)) AS d FROM range(" +
        std::to_string(rows) + ") t(i))) TO '" + (dir / "exports/focus.csv").string() + "' (HEADER)");
  }
  double gen = std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count();
  std::ofstream(dir / "billingfoot.yaml") << "sources:\n  - {name: bench, type: focus, location: ./exports}\n";

  double cold = run(dir, "sync");
  double unchanged = run(dir, "sync");
  double full = run(dir, "sync --full");
  double report = run(dir, "report --by ServiceName,tag:team --granularity month");
  auto mb = static_cast<double>(fs::file_size(dir / "exports/focus.csv")) / 1e6;

  std::printf("rows                     %ld (%.0f MB CSV, generated in %.1f s)\n", rows, mb, gen);
  std::printf("cold sync                %.2f s  (%.0f rows/s, %.1f MB/s)\n", cold, rows / cold, mb / cold);
  std::printf("unchanged re-sync        %.3f s  (ratio to cold: %.4f)\n", unchanged, unchanged / cold);
  std::printf("full re-sync             %.2f s  (%.0f rows/s)\n", full, rows / full);
  std::printf("report by service x team %.3f s\n", report);
  fs::remove_all(dir);
  return 0;
}
