#pragma once
// The load step every source shares: take a staged relation of FOCUS rows (with
// x_BillingPeriod), and for each billing period in range either report it unchanged (its
// content fingerprint equals the last successful load) or replace the partition atomically.
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
};

std::vector<PeriodResult> load_staged_periods(warehouse::Warehouse& warehouse, const StagedLoad& load,
                                              const SyncOptions& options);

// The periods a source holds (from its newest successful loads), reported as unchanged; used
// when a source knows from its delivery fingerprint that nothing changed.
std::vector<PeriodResult> unchanged_periods(warehouse::Warehouse& warehouse, const std::string& source,
                                            const SyncOptions& options);

// One period reported unchanged (what focus_costs holds for it), recorded in `loads` as skipped.
PeriodResult unchanged_period(warehouse::Warehouse& warehouse, const std::string& source, const std::string& period,
                              const std::string& message, const std::string& started_at);

}  // namespace billingfoot::sources
