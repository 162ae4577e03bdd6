#pragma once
// `type: focus` — any FOCUS export (Azure FocusCost, OCI, AWS/Google FOCUS exports, SaaS
// vendors) from a file, a folder or a glob: CSV (optionally gzip), Parquet or JSON lines,
// FOCUS 1.0–1.3 column sets. Rows are grouped into billing periods by BillingPeriodStart.
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "sources/source.hpp"

namespace billingfoot::sources::focus {

extern const std::vector<std::string_view> kConfigKeys;
std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source);

// The name a delivered column gets in focus_costs: the canonical FOCUS spelling when it is a
// FOCUS column (case-insensitive, BOM and spaces trimmed), itself when it already has an x_
// prefix, else "x_" + name (FOCUS requires custom columns to be prefixed).
std::string canonical_column_name(std::string_view delivered);

// Reads FOCUS files into TEMP TABLE focus_staging: focus_costs columns typed as the catalogue
// says, delivered extra columns as x_ text columns, x_BillingPeriod, and bf_file (the file of
// each row). Throws InputError naming the source and file when a file cannot be read or lacks
// BillingPeriodStart / BilledCost values. Other sources that receive FOCUS files (AWS's FOCUS
// export) use it too.
void stage_focus_files(warehouse::Connection& con, const std::vector<std::filesystem::path>& files,
                       const std::string& source_name, const std::string& location);
void drop_focus_staging(warehouse::Connection& con);

}  // namespace billingfoot::sources::focus
