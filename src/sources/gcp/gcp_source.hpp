#pragma once
// `type: gcp_billing_export` — Google Cloud's billing export to BigQuery (standard or detailed
// table), read through the BigQuery REST API (`bigquery:`) or from files exported from the table
// (`location:`: JSON lines, Parquet, CSV). One billing period per invoice month; each month is
// fingerprinted by its row count and newest export_time, so only months that received rows
// (late usage, credits, tax, adjustments) are extracted and replaced again.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/gcp/bigquery.hpp"
#include "sources/source.hpp"

namespace billingfoot::sources::gcp {

extern const std::vector<std::string_view> kConfigKeys;
std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source);

inline constexpr std::string_view kDefaultApiEndpoint = "https://bigquery.googleapis.com";

// A source entry of this type, checked (throws UsageError naming file, line and key).
struct GcpConfig {
  std::string name;
  std::optional<std::filesystem::path> location;  // file mode
  std::optional<TableRef> table;                  // BigQuery mode
  std::optional<std::filesystem::path> credentials_file;
  std::string access_token;
  std::string token_endpoint;  // "" = the key file's token_uri, else Google's
  std::string api_endpoint = std::string(kDefaultApiEndpoint);
  int lookback_months = 1;  // BigQuery mode: months before the current one re-checked each sync
  std::string billing_account_name;
  std::string invoice_issuer_name = "Google Cloud";
  std::filesystem::path landing_dir;  // <data_dir>/landing/<source>
  std::filesystem::path scratch_dir;  // temporary conversions, removed after a sync
};
GcpConfig parse_config(const config::Config& config, const config::SourceConfig& source);

// The invoice month (YYYY-MM) `months` before the current one. Google's invoice month follows
// US Pacific time; UTC-8 is used so a month is never considered started too early.
std::string invoice_month_before(std::chrono::system_clock::time_point now, int months);

}  // namespace billingfoot::sources::gcp
