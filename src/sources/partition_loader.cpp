#include "sources/partition_loader.hpp"

#include <spdlog/spdlog.h>

#include "common/step_timer.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources {

using common::quote_ident;

std::vector<PeriodResult> load_staged_periods(warehouse::Warehouse& warehouse, const StagedLoad& load,
                                              const SyncOptions& options) {
  auto& con = warehouse.connection();
  // Order-independent content hash: sum of row hashes (duplicates do not cancel out).
  warehouse::Result periods;
  {
    common::StepTimer timer(load.source + ": fingerprint periods");
    periods = con.query("SELECT x_BillingPeriod, count(*), sum(hash(t)::HUGEINT) FROM " +
                            quote_ident(load.staging_relation) + " t GROUP BY 1 ORDER BY 1",
                        "fingerprinting " + load.source);
  }
  // Unchanged periods are recorded as such; the changed ones are replaced together, in one
  // transaction and one insert (one pass over the staged rows instead of one per period).
  std::vector<PeriodResult> results;
  std::vector<warehouse::PartitionLoad> changed;
  std::vector<size_t> changed_result;  // index in results of each changed period
  for (size_t i = 0; i < periods.row_count(); ++i) {
    std::string period = periods.text(i, 0);
    if (!options.range.contains(period)) continue;
    std::string fingerprint =
        load.fingerprint_prefix + "rows=" + periods.text(i, 1) + ";sum=" + periods.text(i, 2);
    PeriodResult r;
    r.billing_period = period;
    try {
      if (!options.full && warehouse.last_fingerprint(load.source, period) == fingerprint) {
        r.status = PeriodStatus::Unchanged;
        auto q = con.prepare(
            "SELECT count(*), coalesce(sum(BilledCost), 0) FROM focus_costs WHERE x_SourceName = ? "
            "AND x_BillingPeriod = ?");
        auto t = q.bind(1, load.source).bind(2, period).execute();
        r.rows = t.int64(0, 0);
        r.billed_cost = t.text(0, 1);
        warehouse.record_load({load.source, period, fingerprint, "skipped", "unchanged", load.started_at});
      } else {
        changed.push_back({load.source, load.source_type, period, fingerprint, load.staging_relation,
                           load.started_at});
        changed_result.push_back(results.size());
        r.status = PeriodStatus::Loaded;
      }
    } catch (const std::exception& e) {
      r.status = PeriodStatus::Failed;
      r.message = e.what();
      spdlog::error("{} {}: {}", load.source, period, e.what());
      try {
        warehouse.record_load({load.source, period, fingerprint, "failed", e.what(), load.started_at});
      } catch (const std::exception& e2) {
        spdlog::error("{} {}: could not record the failed load: {}", load.source, period, e2.what());
      }
    }
    results.push_back(std::move(r));
  }
  if (changed.empty()) return results;
  try {
    common::StepTimer timer(load.source + ": replace " + std::to_string(changed.size()) + " partitions");
    auto outcomes = warehouse.replace_partitions(changed);
    for (size_t k = 0; k < changed.size(); ++k) {
      results[changed_result[k]].rows = outcomes[k].rows;
      results[changed_result[k]].billed_cost = outcomes[k].billed_cost;
    }
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", load.source, e.what());
    for (size_t k = 0; k < changed.size(); ++k) {
      PeriodResult& r = results[changed_result[k]];
      r.status = PeriodStatus::Failed;
      r.message = e.what();
      try {
        warehouse.record_load({load.source, r.billing_period, changed[k].fingerprint, "failed", e.what(),
                               load.started_at});
      } catch (const std::exception& e2) {
        spdlog::error("{} {}: could not record the failed load: {}", load.source, r.billing_period, e2.what());
      }
    }
  }
  return results;
}

PeriodResult load_streamed_period(warehouse::Warehouse& warehouse, const StagedLoad& load, const std::string& period,
                                  const SyncOptions& options, const std::function<void()>& explain_failure) {
  PeriodResult r;
  r.billing_period = period;
  std::string fingerprint = load.fingerprint_prefix;
  try {
    warehouse::StreamedLoad s{load.source,
                              load.source_type,
                              period,
                              load.streamed_views.empty() ? std::vector<std::string>{load.staging_relation}
                                                          : load.streamed_views,
                              load.fingerprint_prefix,
                              // The rows held can only be kept when the same mapping made them.
                              !options.full && warehouse.last_fingerprint(load.source, period).starts_with(
                                                   load.fingerprint_prefix),
                              load.started_at};
    warehouse::LoadOutcome outcome;
    {
      common::StepTimer timer(load.source + " " + period + ": replace partition");
      outcome = warehouse.replace_partition_streamed(s);
    }
    fingerprint = outcome.fingerprint;
    r.rows = outcome.rows;
    r.billed_cost = outcome.billed_cost;
    if (outcome.unchanged) {
      r.status = PeriodStatus::Unchanged;
      fingerprint = warehouse.last_fingerprint(load.source, period);
      warehouse.record_load({load.source, period, fingerprint, "skipped", "unchanged", load.started_at});
    } else {
      r.status = PeriodStatus::Loaded;
    }
  } catch (const std::exception& e) {
    r.status = PeriodStatus::Failed;
    r.rows = 0;
    r.billed_cost.clear();
    r.message = e.what();
    if (explain_failure) {
      try {
        explain_failure();
      } catch (const std::exception& better) {
        r.message = better.what();
      }
    }
    spdlog::error("{} {}: {}", load.source, period, r.message);
    try {
      warehouse.record_load({load.source, period, fingerprint, "failed", r.message, load.started_at});
    } catch (const std::exception& e2) {
      spdlog::error("{} {}: could not record the failed load: {}", load.source, period, e2.what());
    }
  }
  return r;
}

PeriodResult unchanged_period(warehouse::Warehouse& warehouse, const std::string& source, const std::string& period,
                              const std::string& message, const std::string& started_at) {
  auto q = warehouse.connection().prepare(
      "SELECT count(*), coalesce(sum(BilledCost), 0) FROM focus_costs WHERE x_SourceName = ? AND x_BillingPeriod = ?");
  auto held = q.bind(1, source).bind(2, period).execute();
  PeriodResult r;
  r.billing_period = period;
  r.status = PeriodStatus::Unchanged;
  r.rows = held.int64(0, 0);
  r.billed_cost = held.text(0, 1);
  warehouse.record_load(
      {source, period, warehouse.last_fingerprint(source, period), "skipped", message, started_at});
  return r;
}

std::vector<PeriodResult> unchanged_periods(warehouse::Warehouse& warehouse, const std::string& source,
                                            const SyncOptions& options) {
  auto q = warehouse.connection().prepare(
      "SELECT DISTINCT x_BillingPeriod FROM focus_costs WHERE x_SourceName = ? ORDER BY 1");
  auto held = q.bind(1, source).execute();
  std::vector<PeriodResult> results;
  for (size_t i = 0; i < held.row_count(); ++i) {
    std::string period = held.text(i, 0);
    if (options.range.contains(period)) {
      results.push_back(unchanged_period(warehouse, source, period, "unchanged (same delivery)", ""));
    }
  }
  return results;
}

}  // namespace billingfoot::sources
