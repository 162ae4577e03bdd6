#pragma once
// The FOCUS column catalogue: the one place that lists FOCUS columns. The warehouse DDL, file
// ingestion, validation and documentation all derive from it. Facts follow FOCUS 1.2 (57
// columns) plus the eight Cost and Usage columns FOCUS 1.3 added.
#include <string>
#include <string_view>
#include <vector>

namespace billingfoot::focus {

enum class ColumnType { String, Decimal, DateTime, Json };
enum class FeatureLevel { Mandatory, Conditional, Recommended };

struct Column {
  std::string_view name;
  ColumnType type;
  FeatureLevel level;
  bool nullable;                // "Allows nulls" in the spec's constraint table
  std::string_view introduced;  // FOCUS version that added the column
  std::string_view description;
  std::vector<std::string_view> allowed_values;  // empty = any value
};

// All FOCUS columns in warehouse order: the 1.2 columns alphabetically, then the 1.3 ones.
const std::vector<Column>& columns();
// Case-insensitive lookup; nullptr when the name is not a FOCUS column.
const Column* find_column(std::string_view name);

// billingfoot's own columns that follow the FOCUS ones in focus_costs (x_ prefix per spec).
struct ExtraColumn {
  std::string_view name;
  std::string_view sql_type;
  std::string_view description;
};
const std::vector<ExtraColumn>& billingfoot_columns();

// DuckDB type of a FOCUS column type: DECIMAL(38,10), TIMESTAMP (UTC), VARCHAR, JSON.
std::string_view sql_type(ColumnType type);
std::string_view type_name(ColumnType type);  // "String", "Decimal", "Date/Time", "JSON"
std::string_view level_name(FeatureLevel level);

// ServiceCategory → its ServiceSubcategory values (each category also allows "Other (<Category>)").
struct ServiceCategory {
  std::string_view name;
  std::vector<std::string_view> subcategories;
};
const std::vector<ServiceCategory>& service_categories();

// Whether a focus_costs column's values repeat within a row group in every bill (provider,
// account, service, region and category names, units, currencies): stored dictionary-compressed.
bool repeats_within_row_group(std::string_view name);

// CREATE TABLE statement for focus_costs derived from the catalogue.
std::string focus_costs_ddl(std::string_view table_name = "focus_costs");

}  // namespace billingfoot::focus
