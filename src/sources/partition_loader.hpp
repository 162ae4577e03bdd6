#pragma once
// The load step every source shares: take a staged relation of FOCUS rows (with
// x_BillingPeriod), and for each billing period in range either report it unchanged (its
// content fingerprint equals the last successful load) or replace the partition; the changed
// periods are replaced together, atomically (Warehouse::replace_partitions), each recorded as
// its own load.
#include <functional>
#include <string>
#include <vector>

#include "sources/source.hpp"

namespace billingfoot::sources {

struct StagedLoad {
  std::string source;
  std::string source_type;
  std::string staging_relation;
  // Prepended to each period's content fingerprint; change it when the normalization changes
  // so that old loads are not mistaken for current ones.
  std::string fingerprint_prefix;
  std::string started_at;
  // load_streamed_period: the views whose rows make up the period, inserted in this order
  // (warehouse::StreamedLoad::views); empty: staging_relation alone.
  std::vector<std::string> streamed_views = {};
};

std::vector<PeriodResult> load_staged_periods(warehouse::Warehouse& warehouse, const StagedLoad& load,
                                              const SyncOptions& options);

// One billing period loaded straight from the staged views (every row of them belongs to
// `period`): each is evaluated once, into focus_costs, and the content fingerprint is taken
// from the inserted rows; when it equals the last successful load's, the insert is rolled back
// and the period reported unchanged. Failures are reported (and recorded) as a failed period.
// `explain_failure`, when given, runs after a failed load (rolled back) and may throw an
// exception whose message explains the failure better than the engine's.
PeriodResult load_streamed_period(warehouse::Warehouse& warehouse, const StagedLoad& load, const std::string& period,
                                  const SyncOptions& options, const std::function<void()>& explain_failure = {});

// The periods a source holds (from its newest successful loads), reported as unchanged; used
// when a source knows from its delivery fingerprint that nothing changed.
std::vector<PeriodResult> unchanged_periods(warehouse::Warehouse& warehouse, const std::string& source,
                                            const SyncOptions& options);

// One period reported unchanged (what focus_costs holds for it), recorded in `loads` as skipped.
PeriodResult unchanged_period(warehouse::Warehouse& warehouse, const std::string& source, const std::string& period,
                              const std::string& message, const std::string& started_at);

}  // namespace billingfoot::sources
