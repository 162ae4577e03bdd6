#pragma once
// `type: datadog_usage` — Datadog's bill from the Usage Metering API v2: historical cost for
// closed months (final), estimated cost for the current and previous month (replaced as it
// changes, then by the final figure), projected cost for the current month (kept as a forecast
// in cost_forecasts, never as cost), and hourly usage, by which each product's monthly cost is
// spread over days. Responses are landed per billing period (landing.hpp) and normalized with
// normalize.sql; `location:` reads such a folder offline instead of calling the API.
#include <memory>
#include <string_view>
#include <vector>

#include "sources/datadog/settings.hpp"  // kConfigKeys
#include "sources/source.hpp"

namespace billingfoot::sources::datadog {

std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source);

}  // namespace billingfoot::sources::datadog
