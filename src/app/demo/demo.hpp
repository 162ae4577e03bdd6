#pragma once
// The `demo` command's generator: the whole demo company as files (every provider's exports
// and billingfoot.yaml), and writing them so that unchanged files are left untouched — a second
// run then finds nothing new to sync.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "app/demo/calendar.hpp"
#include "app/demo/focus_csv.hpp"

namespace billingfoot::app::demo {

inline constexpr uint64_t kDefaultSeed = 20240917;

struct DemoOptions {
  uint64_t seed = kDefaultSeed;
  Day as_of;  // last day of data (the current month to date ends here)
};

struct ProviderFiles {
  std::string source;  // its name in billingfoot.yaml
  std::vector<GeneratedFile> files;
};

struct DemoCompany {
  Timeline timeline;
  std::vector<ProviderFiles> providers;
  GeneratedFile config;  // billingfoot.yaml
  std::vector<GeneratedFile> business_metrics;  // the application database's CSV exports
  std::vector<GeneratedFile> dashboards;  // dashboards/*.yaml (dashboards as code)
};

// Deterministic: the same options give byte-identical files.
DemoCompany generate_demo(const DemoOptions& options);

// billingfoot.yaml of the demo: one source per provider folder, of the provider's type.
std::string demo_config();
// Its anomalies:, budgets: and alerts: sections.
std::string demo_analysis_config();

struct WriteSummary {
  int written = 0, unchanged = 0, removed = 0;
};

// Writes the files under `dir`, skipping those whose content is already identical, and removes
// files in the providers' folders that the demo no longer generates (months that fell out of
// the history, deliveries after an earlier as-of date).
WriteSummary write_demo(const std::filesystem::path& dir, const DemoCompany& company);

}  // namespace billingfoot::app::demo
