#pragma once
// From a delivered CUR file to the input of cur_to_focus.sql: column names of every CUR
// flavour mapped to CUR 2.0 names, tags gathered into one map, missing optional columns NULL.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billingfoot::sources::aws {

enum class Flavor { Cur, Focus };

// Legacy CSV header → CUR 2.0 / Parquet name: `lineItem/UnblendedCost` →
// `line_item_unblended_cost`, `savingsPlan/SavingsPlanARN` → `savings_plan_savings_plan_arn`
// (also from the `…_a_r_n` spelling). CUR 2.0 names are returned lower-cased.
std::string cur_column_name(std::string_view delivered);

// A FOCUS export (AWS's "FOCUS 1.x with AWS columns") or a CUR? Decided by its columns.
Flavor detect_flavor(const std::vector<std::string>& columns);

struct InputColumn {
  std::string name;
  bool required = false;
  bool timestamp = false;  // arrives as TIMESTAMP (naive UTC), not as text
  bool decimal = false;    // arrives as DECIMAL(38,10) plus <name>__text (see cur_input_select)
};
// The columns cur_to_focus.sql reads, from its `-- input:` lines.
const std::vector<InputColumn>& cur_input_columns();

// SELECT producing aws_cur_input rows from one raw table holding one delivered file: every
// input column as cleaned text (bf_text: trimmed, NULL when empty), the `timestamp` ones as
// TIMESTAMP, the `decimal` ones as two columns: <name>, the DECIMAL(38,10) that bf_decimal gives
// for the delivered value (NULL when missing or not a number), and <name>__text, the cleaned
// delivered text when <name> could be NULL for a present value, so that bf_cur_money raises the
// conversion error where the mapping uses the value; `resource_tags` as MAP(VARCHAR, VARCHAR),
// bf_file. `columns` are the raw table's (name, DuckDB type). Throws InputError naming `file` and
// the column when a required column is missing.
std::string cur_input_select(const std::vector<std::pair<std::string, std::string>>& columns,
                             const std::string& raw_table, const std::string& file, const std::string& source_name);

}  // namespace billingfoot::sources::aws
