#include "common/cron.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "sources/aws/aws_source.hpp"
#include "sources/datadog/datadog_source.hpp"
#include "sources/focus/focus_source.hpp"
#include "sources/gcp/gcp_source.hpp"
#include "sources/source.hpp"

namespace billingfoot::sources {

const std::vector<SourceType>& source_types() {
  static const std::vector<SourceType> types = {
      // Default schedules follow how often each provider updates its data: FOCUS files from
      // Azure / OCI / SaaS vendors about daily, AWS up to three deliveries a day, the BigQuery
      // export several times an hour, Datadog's usage once a day (with hourly detail).
      {"focus", focus::kConfigKeys, focus::create, "0 */8 * * *"},
      {"aws_data_exports", aws::kConfigKeys, aws::create, "0 */8 * * *"},
      {"gcp_billing_export", gcp::kConfigKeys, gcp::create, "0 * * * *"},
      {"datadog_usage", datadog::kConfigKeys, datadog::create, "0 6 * * *"},
  };
  return types;
}

const SourceType* find_source_type(std::string_view name) {
  for (const auto& t : source_types()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void validate_source_configs(const config::Config& config) {
  static const std::vector<std::string_view> common_keys = {"name", "type", "location", "schedule"};
  for (const auto& src : config.sources) {
    const SourceType* type = find_source_type(src.type);
    if (!type) {
      std::string known;
      for (const auto& t : source_types()) known += (known.empty() ? "" : ", ") + std::string(t.name);
      throw UsageError(src.origin_of("type").describe() + ": unknown source type " + src.type +
                       " (known types: " + known + ")");
    }
    for (auto it = src.raw.begin(); it != src.raw.end(); ++it) {
      std::string key = it->first.Scalar();
      bool allowed = false;
      for (auto k : common_keys) allowed = allowed || k == key;
      for (auto k : type->keys) allowed = allowed || k == key;
      if (!allowed) {
        config::Origin o{src.origin.file, it->first.Mark().line + 1, it->first.Mark().column + 1,
                         src.origin.key + "." + key};
        throw UsageError(o.describe() + ": unknown key for a source of type " + src.type);
      }
    }
    if (src.schedule) {
      try {
        common::CronSchedule::parse(*src.schedule);
      } catch (const common::CronError& e) {
        throw UsageError(src.origin_of("schedule").describe() + ": " + e.what());
      }
    }
  }
}

common::CronSchedule schedule_of(const config::SourceConfig& source) {
  if (source.schedule) return common::CronSchedule::parse(*source.schedule);
  const SourceType* type = find_source_type(source.type);
  return common::CronSchedule::parse(type ? std::string(type->default_schedule) : "0 */8 * * *");
}

std::vector<warehouse::ConfiguredSource> configured_sources(const config::Config& config) {
  std::vector<warehouse::ConfiguredSource> out;
  auto now = std::chrono::system_clock::now();
  for (const auto& s : config.sources) {
    common::CronSchedule schedule = schedule_of(s);
    auto window = std::max<int64_t>(3600, 2 * schedule.longest_gap(now).count());
    out.push_back({s.name, s.type, schedule.text(), window});
  }
  return out;
}

std::unique_ptr<Source> create_source(const config::Config& config, const config::SourceConfig& source) {
  const SourceType* type = find_source_type(source.type);
  if (!type) throw UsageError(source.origin_of("type").describe() + ": unknown source type " + source.type);
  return type->create(config, source);
}

SyncResult sync_source(const config::Config& config, const config::SourceConfig& source,
                       warehouse::Warehouse& warehouse, const SyncOptions& options) {
  std::string started_at = warehouse::utc_now();
  SyncResult result;
  try {
    result = create_source(config, source)->sync(warehouse, options);
  } catch (const UsageError&) {
    throw;  // configuration problems are the user's to fix, exit 2
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  warehouse::Warehouse::RunRecord run;
  run.source = source.name;
  run.started_at = started_at;
  run.status = result.ok() ? "ok" : "failed";
  std::vector<std::string> problems;
  if (!result.error.empty()) problems.push_back(result.error);
  for (const auto& p : result.periods) {
    run.loaded += p.status == PeriodStatus::Loaded;
    run.unchanged += p.status == PeriodStatus::Unchanged;
    run.failed += p.status == PeriodStatus::Failed;
    if (p.status == PeriodStatus::Loaded) run.rows += p.rows;
    if (p.status == PeriodStatus::Failed) problems.push_back(p.billing_period + ": " + p.message);
  }
  run.message = common::join(problems, "; ");
  try {
    if (!result.error.empty()) warehouse.record_load({source.name, "*", "", "failed", result.error, started_at});
    warehouse.record_run(run);
  } catch (const std::exception&) {
    // The warehouse itself is failing; the error is reported to the caller anyway.
  }
  return result;
}

bool PeriodRange::contains(const std::string& period) const {
  return (!from || period >= *from) && (!to || period <= *to);
}

std::string_view status_name(PeriodStatus status) {
  switch (status) {
    case PeriodStatus::Loaded:
      return "loaded";
    case PeriodStatus::Unchanged:
      return "unchanged";
    case PeriodStatus::Failed:
      return "failed";
  }
  return "failed";
}

bool SyncResult::ok() const {
  if (!error.empty()) return false;
  for (const auto& p : periods) {
    if (p.status == PeriodStatus::Failed) return false;
  }
  return true;
}

}  // namespace billingfoot::sources
