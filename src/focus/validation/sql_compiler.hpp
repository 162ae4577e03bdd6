#pragma once
// Compiles check trees to DuckDB predicates over one table, aware of how the data is typed:
// a file read as text (CSV) is checked on its text, a typed table (focus_costs, Parquet) on its
// types — a TIMESTAMP column already satisfies TypeDateTime and FormatDateTime.
//
// Null semantics: in a Requirement, a check about a value (allowed values, formats, >= 0) is
// unknown on a null cell, so it cannot be violated there; only the null checks (Value null) see
// nulls. In a Condition everything is two-valued: CheckNotValue(ChargeClass, "Correction")
// holds on a null ChargeClass. Columns absent from the table read as null.
#include <string>
#include <string_view>
#include <vector>

#include "focus/validation/rule.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::focus::validation {

enum class ValueKind { Text, Number, Timestamp, Json, Other };

struct SchemaColumn {
  std::string name;
  std::string sql_type;  // as DuckDB reports it, e.g. VARCHAR, DECIMAL(38,10)
  ValueKind kind;
};

struct Schema {
  std::string table;
  std::vector<SchemaColumn> columns;
  // Exact (case-sensitive) match: FOCUS column names are case-sensitive.
  const SchemaColumn* find(std::string_view name) const;
};

Schema describe(warehouse::Connection& con, const std::string& table);

enum class Role { Condition, Requirement };

class SqlCompiler {
 public:
  SqlCompiler(const Schema& schema, const RuleSet& rules) : schema_(schema), rules_(rules) {}

  // A boolean SQL expression; exactly "TRUE" or "FALSE" when it does not depend on rows
  // (presence, types of typed columns), so such rules are decided once, not per row.
  std::string predicate(const Check& check, Role role) const;
  // TRUE for the rows that violate the rule: Condition holds and Requirement does not.
  std::string violation(const Rule& rule) const;

  // Columns a check reads (following CheckModelRule), in order of appearance.
  std::vector<std::string> columns_of(const Check& check) const;
  // For a rule decided without rows, what is wrong with the table, e.g. "column Id lacks x_".
  std::string dataset_finding(const Check& requirement) const;

 private:
  std::string compile(const Check& check, Role role, int depth) const;
  std::string leaf(const Check& check) const;
  std::string rule_holds(const std::string& rule_id, int depth) const;
  std::vector<std::string> unprefixed_columns() const;
  void collect_columns(const Check& check, std::vector<std::string>& out, int depth) const;

  const Schema& schema_;
  const RuleSet& rules_;
};

// ISO 4217 alphabetic codes of national currencies (and funds/metals codes the list carries).
const std::vector<std::string_view>& currency_codes();

}  // namespace billingfoot::focus::validation
