#pragma once
// FOCUS conformance rules as the official requirements model states them: an id such as
// BilledCost-C-001-M, the spec sentence it checks, and two check trees. A row violates a rule
// when its Condition holds and its Requirement does not. Built-in rules and rules loaded from a
// model file share these structures, so one engine evaluates both.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace billingfoot::focus::validation {

// The model's CheckFunction vocabulary, plus two billingfoot checks for requirements the 1.2
// model leaves Dynamic (not machine-checkable there) although SQL can check them.
enum class CheckFunction {
  And,  // And without items is the model's empty check `{}`: always true
  Or,
  CheckModelRule,
  ColumnPresent,
  TypeString,
  TypeDecimal,
  TypeDateTime,
  FormatString,
  FormatNumeric,
  FormatDateTime,
  FormatCurrency,
  FormatUnit,
  FormatKeyValue,
  CheckNationalCurrency,
  CheckDecimalValue,
  CheckValue,
  CheckNotValue,
  CheckGreaterOrEqualThanValue,
  CheckSameValue,
  CheckNotSameValue,
  CheckDistinctCount,
  ColumnByColumnEqualsColumnValue,
  // billingfoot extensions:
  CheckGreaterThanColumn,    // ColumnAName > ColumnBName (exclusive period ends)
  CheckCustomColumnsPrefix,  // every column that is not a FOCUS column starts with x_
};

std::string_view function_name(CheckFunction function);
// nullopt for a name outside the vocabulary.
std::optional<CheckFunction> parse_function(std::string_view name);

struct Check {
  CheckFunction function = CheckFunction::And;
  std::string column;                // ColumnName, or ColumnAName
  std::string column_b;              // ColumnBName
  std::string result_column;         // ResultColumnName
  std::string rule_id;               // ModelRuleId
  std::optional<std::string> value;  // Value; nullopt is the model's null (IS NULL / IS NOT NULL)
  bool value_is_number = false;
  int64_t expected_count = 1;  // ExpectedCount
  std::vector<Check> items;    // And / Or

  static Check always() { return {}; }
  static Check all(std::vector<Check> items);
  static Check any(std::vector<Check> items);
  static Check on(CheckFunction function, std::string column);
  static Check is(std::string column, std::string value);      // CheckValue
  static Check is_not(std::string column, std::string value);  // CheckNotValue
  static Check is_null(std::string column);                    // CheckValue(null)
  static Check not_null(std::string column);                   // CheckNotValue(null)
  static Check columns(CheckFunction function, std::string a, std::string b);
  static Check model_rule(std::string id);

  bool is_always() const { return function == CheckFunction::And && items.empty(); }
};

// From the id suffix: -M Mandatory, -C Conditional, -O Optional.
enum class Level { Mandatory, Conditional, Optional };
Level level_of(std::string_view rule_id);
std::string_view level_name(Level level);

struct Rule {
  std::string id;
  std::string reference;     // column or attribute the rule is about
  std::string keyword;       // MUST, MUST NOT, SHOULD, RECOMMENDED, MAY
  std::string must_satisfy;  // the spec sentence
  Check condition;
  Check requirement;
  // Capabilities (the model's ApplicabilityCriteria) that must all be declared for the rule to
  // be evaluated, e.g. COMMITMENT_DISCOUNT_SUPPORTED.
  std::vector<std::string> applicability;
  // A composite rule only combines the rules named in its And requirement; its outcome is
  // derived from theirs instead of being evaluated on rows.
  bool composite = false;
  // False for rules that are alternatives inside an Or composite: they only count through it.
  bool standalone = true;

  Level level() const { return level_of(id); }
};

struct RuleSet {
  std::string name;  // e.g. "FOCUS 1.2 (built-in)"
  std::vector<Rule> rules;
  size_t dynamic_skipped = 0;            // Dynamic model rules, not machine-checkable
  std::vector<std::string> unsupported;  // model rules using a check this build does not know
  std::vector<std::string> criteria;     // the model's ApplicabilityCriteria (empty: not checked)
  // Names that are FOCUS columns (not custom) for CheckCustomColumnsPrefix.
  std::vector<std::string> focus_columns;

  const Rule* find(std::string_view id) const;
};

}  // namespace billingfoot::focus::validation
