#pragma once
// What `sync --alert` does after loading: anomaly detection, budget status, and one alert per
// new event on every configured channel (deduplicated across runs by notify::dispatch).
#include <ostream>
#include <string>
#include <vector>

#include "analysis/anomalies.hpp"
#include "analysis/budgets.hpp"
#include "config/analysis_config.hpp"
#include "config/config.hpp"
#include "notify/channels.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::app {

// One event per incident (dedup key anomaly:<id of its largest anomaly>): anomalies on
// overlapping days, in the same direction, with impacts within 20 % of the largest are the same
// incident seen in several scopes; the event covers their keys too.
std::vector<notify::AlertEvent> anomaly_events(
    const std::vector<analysis::StoredAnomaly>& anomalies, const std::string& currency);
// For each current budget period, the highest crossed actual threshold and the highest crossed
// forecast threshold (dedup key budget:<name>:<period start>:<actual|forecast>:<fraction>).
std::vector<notify::AlertEvent> budget_events(
    const std::vector<analysis::BudgetPeriodStatus>& statuses, const config::AnalysisConfig& config,
    const std::string& currency);

// Detects, updates budget_status and sends alerts, printing one line per step to `out`; false
// when a delivery failed (it is recorded and retried on the next run). On a shared ClickHouse
// warehouse, run it as update_models_and_print's `then`, which makes the other machines' costs
// visible.
bool detect_and_alert(const config::Config& config, warehouse::Warehouse& warehouse,
                      std::ostream& out);

// "1,234.57 USD" from a double (rounded to cents).
std::string money(double amount, const std::string& currency);

}  // namespace billingfoot::app
