#pragma once
// `_billingfoot_export.json` in the lake root: what the last exports wrote, per table and
// partition, so the next export rewrites only partitions whose fingerprint changed.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace billingfoot::lake {

inline constexpr const char* kStateFile = "_billingfoot_export.json";

struct ExportedPartition {
  std::string fingerprint;
  std::vector<std::string> files;  // data file names in the partition folder
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string billed_cost;  // exact decimal text
  std::string export_id;    // the export that wrote it
};

struct ExportState {
  std::string last_export_id;
  std::string updated_at;
  // table → partition folder ("provider=…/billing_period=…") → what is there
  std::map<std::string, std::map<std::string, ExportedPartition>> tables;

  // An unreadable or foreign file yields an empty state (everything is rewritten).
  static ExportState parse(const std::string& text);
  std::string to_json() const;
};

}  // namespace billingfoot::lake
