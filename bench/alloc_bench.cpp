// Allocation benchmark: N FOCUS rows (default 10,000,000) with realistic messy tags, allocated
// by 50 rules (3 dimensions, 45 rules, 5 shared-cost splits) through model::allocate — the
// same set-based SQL `sync` runs. Prints rows, time and rows/s; asserts nothing.
//
//   build/bench/bench_alloc [ROWS] [MEMORY_LIMIT]
//
// The warehouse gets the memory limit `sync` gives DuckDB (warehouse.memory_limit, default
// 1536MB) unless MEMORY_LIMIT says otherwise ("" = DuckDB's own default, 80% of RAM).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "app/app.hpp"
#include "config/config.hpp"
#include "model/allocation.hpp"
#include "warehouse/warehouse.hpp"

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// 45 dimension rules and 5 shared-cost rules.
std::string rules() {
  std::string yaml =
      "allocation:\n  tag_aliases: {team: [Team, owner-team]}\n  tag_values: {team: {case: "
      "lower}}\n  dimensions:\n"
      "    - name: team\n      rules:\n        - {match: {\"tag:team\": {regex: \"^(.+)$\"}}, "
      "value: \"$1\"}\n";
  for (int i = 0; i < 19; ++i) {
    yaml += "        - {match: {SubAccountId: \"acct-" + std::to_string(i) + "\"}, value: team" +
            std::to_string(i % 7) + "}\n";
  }
  yaml +=
      "    - name: product\n      default: shared\n      rules:\n"
      "        - {match: {\"tag:product\": {regex: \"^(.+)$\"}}, value: \"$1\"}\n";
  for (int i = 0; i < 14; ++i) {
    yaml += "        - {match: {team: team" + std::to_string(i % 7) +
            ", ServiceName: {prefix: \"Service " + std::to_string(i) + "\"}}, value: product" +
            std::to_string(i % 4) + "}\n";
  }
  yaml +=
      "    - name: environment\n      default: prod\n      rules:\n"
      "        - {match: {\"tag:env\": {in: [prod, staging, dev]}, ServiceName: {regex: "
      "\"^Service\"}}, value: tagged}\n";
  for (int i = 0; i < 9; ++i) {
    yaml += "        - {match: {RegionId: region-" + std::to_string(i) + "}, value: env" +
            std::to_string(i % 3) + "}\n";
  }
  yaml +=
      "  shared:\n"
      "    - {name: platform, match: {team: team0}, split_by: team, method: proportional}\n"
      "    - {name: support, match: {ServiceName: Support}, split_by: team, method: even}\n"
      "    - {name: network, match: {ServiceName: \"Service 7\", team: unallocated}, split_by: "
      "team, method: even}\n"
      "    - {name: data, match: {team: team1}, split_by: product, method: fixed, weights: "
      "{product0: 0.5, product1: 0.5}}\n"
      "    - {name: dev, match: {environment: env2, team: team2}, split_by: team, method: "
      "proportional}\n";
  return yaml;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::debug);  // step timings of the allocation
  long rows = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  billingfoot::warehouse::OpenOptions options;
  options.memory_limit =
      argc > 2 ? std::string(argv[2]) : billingfoot::config::WarehouseConfig{}.memory_limit;
  fs::path dir =
      fs::temp_directory_path() / ("billingfoot-alloc-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    auto wh = billingfoot::warehouse::Warehouse::open(
        dir / "bench.duckdb", billingfoot::app::schema_migrations(), options);
    std::printf("memory limit: %s\n",
                options.memory_limit.empty() ? "DuckDB default" : options.memory_limit.c_str());
    auto& con = wh.connection();
    auto start = std::chrono::steady_clock::now();
    con.execute(
        "INSERT INTO focus_costs (BillingPeriodStart, ChargePeriodStart, BilledCost, "
        "EffectiveCost, ListCost, ServiceName, "
        "SubAccountId, RegionId, Tags, BillingCurrency, x_SourceName, x_SourceType, x_LoadId, "
        "x_BillingPeriod) "
        "SELECT date_trunc('month', d), d, c, c, c, CASE WHEN i % 50 = 0 THEN 'Support' ELSE "
        "'Service ' || (i % 17) END, "
        "'acct-' || (i % 23), 'region-' || (i % 11), "
        "CASE WHEN i % 12 = 0 THEN NULL ELSE json_object(CASE i % 10 WHEN 0 THEN 'Team' WHEN 1 "
        "THEN 'owner-team' ELSE "
        "'team' END, 'team' || (i % 9), 'product', 'product' || (i % 5), 'env', CASE i % 3 WHEN 0 "
        "THEN 'prod' WHEN 1 THEN "
        "'staging' ELSE 'dev' END) END, 'USD', 'bench', 'focus', 'l', strftime(d, '%Y-%m') "
        "FROM (SELECT i, TIMESTAMP '2024-01-01' + to_hours(CAST(i % 8760 AS INTEGER)) AS d, "
        "CAST((i * 7919 % 100000) / 1000.0 AS DECIMAL(38,10)) AS c FROM range(" +
        std::to_string(rows) + ") t(i))");
    std::printf("generated %ld rows in %.1f s\n", rows, seconds_since(start));

    auto cfg = billingfoot::config::parse(rules(), dir / "billingfoot.yaml");
    size_t rule_count = cfg.model.allocation.shared.size();
    for (const auto& d : cfg.model.allocation.dimensions) rule_count += d.rules.size();
    start = std::chrono::steady_clock::now();
    auto summary = billingfoot::model::allocate(con, cfg.model.allocation);
    double s = seconds_since(start);
    std::printf("allocated %ld rows with %zu rules in %.2f s: %.0f rows/s\n", rows, rule_count, s,
                rows / s);
    std::printf(
        "  %lld shared rows split into %lld, cost_allocated %lld rows, totals checked: %s billed\n",
        static_cast<long long>(summary.shared_rows), static_cast<long long>(summary.split_rows),
        static_cast<long long>(summary.rows), summary.billed_cost.c_str());
  }
  fs::remove_all(dir);
  return 0;
}
