#pragma once
// The landing zone of a datadog_usage source: Datadog's responses exactly as received, one
// folder per billing period, so a period can be normalized again without calling the API (and
// the demo can ship responses). The same layout is what `location:` reads offline:
//
//   <root>/<YYYY-MM>/historical_cost.json   the month's final cost   (or estimated_cost.json)
//                    projected_cost.json    current month only: Datadog's projection
//                    hourly_usage-0001.json hourly usage pages, in page order
//                    manifest.json          optional: {"cost_status", "data_end", "fetched_at"}
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sources/source.hpp"

namespace billingfoot::sources::datadog {

inline constexpr const char* kHistoricalCostFile = "historical_cost.json";
inline constexpr const char* kEstimatedCostFile = "estimated_cost.json";
inline constexpr const char* kProjectedCostFile = "projected_cost.json";
inline constexpr const char* kManifestFile = "manifest.json";
std::string usage_page_file(int page);  // hourly_usage-0001.json

// What kind of response a file is, for the shape check.
enum class ResponseKind { Cost, Usage };

struct LandedMonth {
  std::string billing_period;  // YYYY-MM
  std::string cost_status;     // final | estimated
  std::filesystem::path cost_file;
  std::optional<std::filesystem::path> projected_file;
  std::vector<std::filesystem::path> usage_files;
  // Exclusive end (YYYY-MM-DD) of the days a cost without usage data is spread over: the month's
  // end when final, else the day after the data was fetched.
  std::string data_end;
};

// The landed periods under `root` within `range`, each checked (valid JSON shaped like
// Datadog's responses). Throws InputError naming the source and file on any problem.
std::vector<LandedMonth> find_landed_months(const std::filesystem::path& root,
                                            const std::string& source, const PeriodRange& range);

// The cost status of a landed period ("final" / "estimated"), or "" when none is landed.
std::string landed_cost_status(const std::filesystem::path& root, const std::string& period);

// Replaces the period's folder with `files` (name → content) as one step: written to a
// temporary folder first, then swapped in, so a crash leaves the old or the new folder whole.
void land_month(const std::filesystem::path& root, const std::string& period,
                const std::vector<std::pair<std::string, std::string>>& files);

// Throws InputError (naming source and file) unless `body` is a JSON object with a `data`
// array of items carrying `attributes` shaped like Datadog's cost or hourly usage responses.
void check_response(const std::string& body, ResponseKind kind, const std::string& source,
                    const std::string& file);

}  // namespace billingfoot::sources::datadog
