#pragma once
// The settings of one `type: datadog_usage` source, read from its billingfoot.yaml entry.
// Two modes: the Usage Metering API (site or api_endpoint, keys from ${ENV}), or `location:`,
// a local folder of responses laid out like the landing zone (offline, e.g. the demo).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace billingfoot::sources::datadog {

struct Settings {
  std::string name;  // the source's name in billingfoot.yaml

  // API mode. The keys are secrets: never logged, printed or written to the landing zone.
  std::string api_base;  // e.g. https://api.datadoghq.com (no trailing slash)
  std::string api_key;
  std::string app_key;
  std::string view = "summary";  // summary | sub-org (cost per child org of a parent)
  bool include_connected_accounts = false;
  int lookback_months = 3;                    // months synced without --from: current and 2 before
  std::vector<std::string> product_families;  // hourly usage to fetch; empty = what the costs need
  int page_limit = 500;                       // hourly usage records per page

  // Offline mode: responses are read from this folder instead of the API.
  std::optional<std::filesystem::path> location;

  // Where API responses are landed: <data_dir>/landing/<source>.
  std::filesystem::path landing;

  bool offline() const { return location.has_value(); }
  // The folder billing periods are read from: `location` offline, else the landing zone.
  const std::filesystem::path& responses() const { return location ? *location : landing; }
};

// Keys a datadog_usage source accepts besides name, type, location and schedule.
extern const std::vector<std::string_view> kConfigKeys;

// Reads and checks the entry; throws UsageError naming file, line and key.
Settings parse_settings(const config::Config& config, const config::SourceConfig& source);

// The API base URL of a Datadog site ("datadoghq.eu", "us5.datadoghq.com", "app.datadoghq.com",
// "ddog-gov.com", …); throws std::invalid_argument listing the known sites.
std::string api_base_for_site(std::string_view site);

}  // namespace billingfoot::sources::datadog
