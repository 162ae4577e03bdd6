#pragma once
// What every source type provides, and the registry that maps `type:` in billingfoot.yaml to
// the code that syncs it. Adding a source type = a folder under sources/ + one line in
// registry.cpp.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cron.hpp"
#include "config/config.hpp"
#include "warehouse/source_status.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::sources {

// Inclusive range of billing periods (YYYY-MM); an empty bound is open.
struct PeriodRange {
  std::optional<std::string> from;
  std::optional<std::string> to;
  bool contains(const std::string& period) const;
};

struct SyncOptions {
  PeriodRange range;
  bool full = false;  // ignore fingerprints: reload every period in range
};

enum class PeriodStatus { Loaded, Unchanged, Failed };
std::string_view status_name(PeriodStatus status);  // "loaded" | "unchanged" | "failed"

struct PeriodResult {
  std::string billing_period;
  PeriodStatus status = PeriodStatus::Failed;
  int64_t rows = 0;
  std::string billed_cost;  // exact decimal text ("" when unknown)
  std::string message;      // why it failed, or a note
};

struct SyncResult {
  std::vector<PeriodResult> periods;
  std::string error;  // a failure of the whole source (nothing could be read), else ""
  bool ok() const;
};

class Source {
 public:
  virtual ~Source() = default;
  // Extract + normalize + load every billing period in range. Never throws for bad input:
  // failures are reported in the result, and previously loaded data stays as it was.
  virtual SyncResult sync(warehouse::Warehouse& warehouse, const SyncOptions& options) = 0;
};

struct SourceType {
  std::string_view name;
  std::vector<std::string_view> keys;  // keys allowed besides name, type, location, schedule
  std::unique_ptr<Source> (*create)(const config::Config& config, const config::SourceConfig& source);
  std::string_view default_schedule;  // cron, used by `billingfoot run` when `schedule:` is absent
};

const std::vector<SourceType>& source_types();
const SourceType* find_source_type(std::string_view name);
// Checks every source's type and keys; throws UsageError naming file, line and key.
void validate_source_configs(const config::Config& config);
// The source's `schedule:`, else its type's default (validate_source_configs checked it).
common::CronSchedule schedule_of(const config::SourceConfig& source);
// The configured sources for the freshness view (status, API): each with its schedule and the
// window after which it counts as stale (twice the schedule's longest gap, at least an hour).
std::vector<warehouse::ConfiguredSource> configured_sources(const config::Config& config);
std::unique_ptr<Source> create_source(const config::Config& config, const config::SourceConfig& source);

// Creates and syncs one configured source; a failure of the whole source (no files, bad
// credentials, …) is also recorded in `loads` (billing_period "*") so `status` shows it.
SyncResult sync_source(const config::Config& config, const config::SourceConfig& source,
                       warehouse::Warehouse& warehouse, const SyncOptions& options);

}  // namespace billingfoot::sources
