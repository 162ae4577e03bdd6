#pragma once
// Hive-style partition folders ("provider=AWS/billing_period=2024-09"), the layout BigQuery
// external tables, Athena, Trino and Spark discover partitions from.
#include <optional>
#include <string>
#include <string_view>

namespace billingfoot::lake {

// What Hive writes for a NULL (or empty) partition value.
inline constexpr std::string_view kHiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

// Percent-encodes a partition value the way Hive does (uppercase hex): control characters,
// space and "#%'*/:=?\{[]^ and DEL. Other bytes (UTF-8 included) stay as they are; readers
// decode %XX. nullopt and "" become kHiveDefaultPartition.
std::string hive_escape(const std::optional<std::string>& value);
// The reverse: %XX → byte; kHiveDefaultPartition → nullopt.
std::optional<std::string> hive_unescape(std::string_view text);

// One partition of an exported table: its values and its folder relative to the table.
struct PartitionKey {
  std::optional<std::string> provider;  // ProviderName
  std::string billing_period;           // YYYY-MM of BillingPeriodStart
  // "provider=<escaped>/billing_period=YYYY-MM"
  std::string dir() const;
  bool operator<(const PartitionKey& other) const { return dir() < other.dir(); }
};

// A folder name pair as dir() makes it, back to the key; nullopt for anything else.
std::optional<PartitionKey> parse_partition_dir(std::string_view dir);

}  // namespace billingfoot::lake
