#pragma once
// `type: aws_data_exports` — AWS Data Exports (CUR 2.0, FOCUS 1.x with AWS columns) and the
// legacy Cost and Usage Report, from s3://bucket/prefix/export or a local folder with the same
// layout. Per billing period the newest delivery replaces the month (see deliveries.hpp); a
// delivery whose fingerprint (manifest and file ETags) is unchanged is not downloaded again.
#include <memory>
#include <string_view>
#include <vector>

#include "sources/source.hpp"

namespace billingfoot::sources::aws {

extern const std::vector<std::string_view> kConfigKeys;
std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source);

}  // namespace billingfoot::sources::aws
