#pragma once
// Extract: which billing periods to ask Datadog for, and landing what it answers for each.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "sources/datadog/settings.hpp"
#include "sources/datadog/usage_api.hpp"
#include "sources/source.hpp"

namespace billingfoot::sources::datadog {

// Periods to fetch: the range asked for (default: the last `lookback_months` months up to the
// current one), never after the current month, plus landed periods still estimated (so they
// become final); periods landed as final are skipped unless `full`.
std::vector<std::string> periods_to_fetch(const Settings& settings, const SyncOptions& options,
                                          std::chrono::sys_seconds now);

// The hourly usage product families a cost response's products are measured by.
using FamilyLookup =
    std::function<std::vector<std::string>(const std::vector<std::string>& products)>;

// Fetches one period (cost: historical, else estimated when the period is the current or previous
// month; projected cost for the current month; hourly usage of the families the costs need) and
// lands it. Returns false when Datadog has no cost for the period (nothing landed).
bool fetch_period(const UsageApi& api, const Settings& settings, const std::string& period,
                  std::chrono::sys_seconds now, const FamilyLookup& families_for);

}  // namespace billingfoot::sources::datadog
