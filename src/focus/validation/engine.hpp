#pragma once
// Evaluates a rule set against one table and reports, per rule, how many rows violate it with a
// few examples. All row counts come from one scan (a count_if per rule); examples are fetched
// only for failed rules. Rules about the table's shape (presence, types of typed columns,
// custom column names) are decided once from its columns, not per row.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "focus/validation/rule.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::focus::validation {

struct Options {
  // Declared capabilities (ApplicabilityCriteria); rules needing others are not applicable.
  std::vector<std::string> applicability;
  bool all_applicability = false;
  size_t max_examples = 5;
};

enum class Outcome { Passed, Failed, NotApplicable, Error };
std::string_view outcome_name(Outcome outcome);  // passed, failed, not_applicable, error

struct Example {
  int64_t row = 0;  // 1-based data row (the table's insertion order; a CSV's header not counted)
  std::vector<std::pair<std::string, std::optional<std::string>>> values;  // offending columns
};

struct RuleResult {
  std::string id;
  Level level = Level::Conditional;
  std::string keyword;
  std::string must_satisfy;
  bool composite = false;
  Outcome outcome = Outcome::Passed;
  bool row_level = true;   // false: decided from the table's columns, `violations` unused
  int64_t violations = 0;  // rows violating the rule
  std::string finding;     // what is wrong with the table, why not applicable, or the error
  std::vector<Example> examples;
};

struct Report {
  std::string rule_set;
  std::string table;
  int64_t rows = 0;
  size_t dynamic_skipped = 0;
  std::vector<RuleResult> results;  // standalone rules in rule-set order

  // Rules (composites excluded) with this outcome.
  size_t count(Outcome outcome) const;
  // A Mandatory (-M) rule failed: conformance is not met. Composites do not count on their own.
  bool mandatory_failed() const;
};

// `table` must be a table (its rowid gives the example row numbers).
Report validate(warehouse::Connection& con, const std::string& table, const RuleSet& rules,
                const Options& options = {});

}  // namespace billingfoot::focus::validation
