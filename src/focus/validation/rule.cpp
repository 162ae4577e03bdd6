#include "focus/validation/rule.hpp"

#include <array>
#include <utility>

namespace billingfoot::focus::validation {

namespace {

using enum CheckFunction;

constexpr std::array<std::pair<CheckFunction, std::string_view>, 24> kNames = {{
    {And, "AND"},
    {Or, "OR"},
    {CheckModelRule, "CheckModelRule"},
    {ColumnPresent, "ColumnPresent"},
    {TypeString, "TypeString"},
    {TypeDecimal, "TypeDecimal"},
    {TypeDateTime, "TypeDateTime"},
    {FormatString, "FormatString"},
    {FormatNumeric, "FormatNumeric"},
    {FormatDateTime, "FormatDateTime"},
    {FormatCurrency, "FormatCurrency"},
    {FormatUnit, "FormatUnit"},
    {FormatKeyValue, "FormatKeyValue"},
    {CheckNationalCurrency, "CheckNationalCurrency"},
    {CheckDecimalValue, "CheckDecimalValue"},
    {CheckValue, "CheckValue"},
    {CheckNotValue, "CheckNotValue"},
    {CheckGreaterOrEqualThanValue, "CheckGreaterOrEqualThanValue"},
    {CheckSameValue, "CheckSameValue"},
    {CheckNotSameValue, "CheckNotSameValue"},
    {CheckDistinctCount, "CheckDistinctCount"},
    {ColumnByColumnEqualsColumnValue, "ColumnByColumnEqualsColumnValue"},
    {CheckGreaterThanColumn, "CheckGreaterThanColumn"},
    {CheckCustomColumnsPrefix, "CheckCustomColumnsPrefix"},
}};

}  // namespace

std::string_view function_name(CheckFunction function) {
  for (const auto& [f, name] : kNames) {
    if (f == function) return name;
  }
  return "?";
}

std::optional<CheckFunction> parse_function(std::string_view name) {
  for (const auto& [f, n] : kNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

Check Check::all(std::vector<Check> items) {
  Check c;
  c.items = std::move(items);
  return c;
}

Check Check::any(std::vector<Check> items) {
  Check c;
  c.function = Or;
  c.items = std::move(items);
  return c;
}

Check Check::on(CheckFunction function, std::string column) {
  Check c;
  c.function = function;
  c.column = std::move(column);
  return c;
}

Check Check::is(std::string column, std::string value) {
  Check c = on(CheckValue, std::move(column));
  c.value = std::move(value);
  return c;
}

Check Check::is_not(std::string column, std::string value) {
  Check c = on(CheckNotValue, std::move(column));
  c.value = std::move(value);
  return c;
}

Check Check::is_null(std::string column) {
  return on(CheckValue, std::move(column));
}
Check Check::not_null(std::string column) {
  return on(CheckNotValue, std::move(column));
}

Check Check::columns(CheckFunction function, std::string a, std::string b) {
  Check c = on(function, std::move(a));
  c.column_b = std::move(b);
  return c;
}

Check Check::model_rule(std::string id) {
  Check c;
  c.function = CheckModelRule;
  c.rule_id = std::move(id);
  return c;
}

Level level_of(std::string_view rule_id) {
  if (rule_id.ends_with("-M")) return Level::Mandatory;
  if (rule_id.ends_with("-O")) return Level::Optional;
  return Level::Conditional;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Mandatory:
      return "Mandatory";
    case Level::Conditional:
      return "Conditional";
    case Level::Optional:
      return "Optional";
  }
  return "Conditional";
}

const Rule* RuleSet::find(std::string_view id) const {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace billingfoot::focus::validation
