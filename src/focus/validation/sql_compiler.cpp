#include "focus/validation/sql_compiler.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::focus::validation {

namespace {

using enum CheckFunction;
using common::quote_ident;
using common::quote_literal;

// FOCUS NumericFormat: integer, decimal or mEn; a sign only for negatives, no separators.
constexpr std::string_view kNumericPattern = R"(-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?)";
// FOCUS DateTimeFormat: YYYY-MM-DDTHH:mm:ssZ, UTC.
constexpr std::string_view kDateTimePattern =
    R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)";
// FOCUS UnitFormat, loosely: an optional whole-number quantity, then unit words joined by - or /
// ("GB", "GB-Hours", "1000 Requests", "GB/Hour").
constexpr std::string_view kUnitPattern =
    R"(([0-9]+ )?[A-Za-z][A-Za-z0-9 ()]*([-/][A-Za-z0-9][A-Za-z0-9 ()]*)*)";
// How far a product may differ from the stated cost (providers round costs).
constexpr std::string_view kProductTolerance = "0.000001";

ValueKind kind_of(const std::string& sql_type) {
  std::string t = common::to_lower(sql_type);
  if (t == "varchar" || t.starts_with("varchar(")) return ValueKind::Text;
  if (t == "json") return ValueKind::Json;
  if (t.starts_with("timestamp") || t == "date") return ValueKind::Timestamp;
  for (const char* n :
       {"decimal", "double", "float", "real", "integer", "bigint", "smallint", "tinyint", "hugeint",
        "ubigint", "uinteger", "usmallint", "utinyint", "uhugeint"}) {
    if (t.starts_with(n)) return ValueKind::Number;
  }
  return ValueKind::Other;
}

bool constant(const std::string& sql) {
  return sql == "TRUE" || sql == "FALSE";
}
std::string truth(bool value) {
  return value ? "TRUE" : "FALSE";
}

std::string join_with(const std::vector<std::string>& parts, const std::string& op, bool is_and) {
  // Constant folding keeps rules about the table's shape decidable without reading rows.
  std::vector<std::string> kept;
  for (const auto& p : parts) {
    if (p == (is_and ? "FALSE" : "TRUE")) return p;
    if (p != (is_and ? "TRUE" : "FALSE")) kept.push_back("(" + p + ")");
  }
  if (kept.empty()) return is_and ? "TRUE" : "FALSE";
  if (kept.size() == 1) return kept.front().substr(1, kept.front().size() - 2);
  return common::join(kept, " " + op + " ");
}

std::string currency_list() {
  std::vector<std::string> quoted;
  for (auto code : currency_codes()) quoted.push_back(quote_literal(code));
  return "(" + common::join(quoted, ", ") + ")";
}

}  // namespace

const SchemaColumn* Schema::find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Schema describe(warehouse::Connection& con, const std::string& table) {
  Schema schema;
  schema.table = table;
  auto result =
      con.query("SELECT column_name, column_type FROM (DESCRIBE " + quote_ident(table) + ")",
                "reading the columns of " + table);
  for (size_t r = 0; r < result.row_count(); ++r) {
    std::string type = result.text(r, 1);
    schema.columns.push_back({result.text(r, 0), type, kind_of(type)});
  }
  return schema;
}

std::string SqlCompiler::predicate(const Check& check, Role role) const {
  return compile(check, role, 0);
}

std::string SqlCompiler::violation(const Rule& rule) const {
  std::string condition = compile(rule.condition, Role::Condition, 0);
  std::string requirement = compile(rule.requirement, Role::Requirement, 0);
  if (condition == "FALSE" || requirement == "TRUE") return "FALSE";
  if (constant(requirement)) return condition;  // requirement FALSE: every row in scope violates
  if (condition == "TRUE") return "(" + requirement + ") IS FALSE";
  return "(" + condition + ") AND (" + requirement + ") IS FALSE";
}

std::string SqlCompiler::compile(const Check& check, Role role, int depth) const {
  if (depth > 32)
    throw InputError("rule " + check.rule_id + ": CheckModelRule nesting too deep (a cycle?)");
  if (check.function == And || check.function == Or) {
    std::vector<std::string> parts;
    for (const auto& item : check.items) parts.push_back(compile(item, role, depth + 1));
    bool is_and = check.function == And;
    return join_with(parts, is_and ? "AND" : "OR", is_and);
  }
  if (check.function == CheckModelRule) return rule_holds(check.rule_id, depth + 1);
  std::string sql = leaf(check);
  if (role == Role::Requirement || constant(sql)) return sql;
  // Conditions are two-valued: a null cell is simply "not that value".
  bool null_holds = check.function == CheckNotValue;
  return "coalesce(" + sql + ", " + truth(null_holds) + ")";
}

std::string SqlCompiler::rule_holds(const std::string& rule_id, int depth) const {
  const Rule* rule = rules_.find(rule_id);
  if (!rule) throw InputError("CheckModelRule refers to unknown rule " + rule_id);
  std::string condition = compile(rule->condition, Role::Condition, depth);
  std::string requirement = compile(rule->requirement, Role::Requirement, depth);
  if (condition == "FALSE" || requirement == "TRUE") return "TRUE";
  if (requirement == "FALSE") return condition == "TRUE" ? "FALSE" : "NOT (" + condition + ")";
  std::string violated = "(" + requirement + ") IS FALSE";
  if (condition != "TRUE") violated = "(" + condition + ") AND " + violated;
  return "NOT (" + violated + ")";
}

std::string SqlCompiler::leaf(const Check& check) const {
  const SchemaColumn* col = schema_.find(check.column);
  const ValueKind kind = col ? col->kind : ValueKind::Text;
  const std::string c = col ? quote_ident(col->name) : "CAST(NULL AS VARCHAR)";
  const std::string text = kind == ValueKind::Text ? c : "CAST(" + c + " AS VARCHAR)";
  auto number_of = [&](const SchemaColumn* column) -> std::string {
    if (!column) return "CAST(NULL AS DOUBLE)";
    std::string ref = quote_ident(column->name);
    return column->kind == ValueKind::Number ? "CAST(" + ref + " AS DOUBLE)"
                                             : "TRY_CAST(" + ref + " AS DOUBLE)";
  };
  auto comparable = [&](const SchemaColumn* column) -> std::string {
    if (!column) return "CAST(NULL AS TIMESTAMP)";
    std::string ref = quote_ident(column->name);
    if (column->kind == ValueKind::Number || column->kind == ValueKind::Timestamp) return ref;
    return "TRY_CAST(" + ref + " AS TIMESTAMP)";
  };
  // A value check: unknown (NULL) on a null cell, else the test, never NULL itself.
  auto on_value = [&](const std::string& test) {
    return "CASE WHEN " + c + " IS NULL THEN NULL ELSE coalesce(" + test + ", FALSE) END";
  };
  auto by_kind = [&](bool text_ok_as_typed, ValueKind typed_kind, const std::string& text_test) {
    if (kind == typed_kind) return std::string("TRUE");
    if (kind == ValueKind::Text)
      return text_ok_as_typed ? std::string("TRUE") : on_value(text_test);
    return std::string("FALSE");
  };
  const SchemaColumn* col_b = schema_.find(check.column_b);
  auto compare_columns = [&](const std::string& op) {
    const std::string b = col_b ? quote_ident(col_b->name) : "CAST(NULL AS VARCHAR)";
    bool same_kind = col && col_b && col->kind == col_b->kind;
    if (same_kind) return c + " " + op + " " + b;
    return "CAST(" + c + " AS VARCHAR) " + op + " CAST(" + b + " AS VARCHAR)";
  };
  auto literal = [&]() {
    return check.value_is_number ? *check.value : quote_literal(*check.value);
  };

  switch (check.function) {
    case ColumnPresent:
      return truth(col != nullptr);
    case TypeString:
      return truth(kind == ValueKind::Text || kind == ValueKind::Json);
    case TypeDecimal:
    case CheckDecimalValue:
      return by_kind(false, ValueKind::Number, "isfinite(TRY_CAST(" + c + " AS DOUBLE))");
    case TypeDateTime:
      return by_kind(false, ValueKind::Timestamp, "TRY_CAST(" + c + " AS TIMESTAMPTZ) IS NOT NULL");
    case FormatNumeric:
      return by_kind(false, ValueKind::Number,
                     "regexp_full_match(" + c + ", " + quote_literal(kNumericPattern) + ")");
    case FormatDateTime:
      return by_kind(false, ValueKind::Timestamp,
                     "regexp_full_match(" + c + ", " + quote_literal(kDateTimePattern) +
                         ") AND TRY_CAST(" + c + " AS TIMESTAMP) IS NOT NULL");
    case FormatString:
    case FormatCurrency:
      // A currency may be virtual ("credits"), so its format is a string's; whether it is an
      // ISO 4217 code is CheckNationalCurrency's question.
      return kind == ValueKind::Text ? on_value("length(trim(" + c + ")) > 0") : "TRUE";
    case FormatUnit:
      return kind == ValueKind::Text
                 ? on_value("regexp_full_match(" + c + ", " + quote_literal(kUnitPattern) + ")")
                 : "FALSE";
    case CheckNationalCurrency:
      return on_value(text + " IN " + currency_list());
    case FormatKeyValue: {
      if (kind == ValueKind::Number || kind == ValueKind::Timestamp) return "FALSE";
      std::string j = kind == ValueKind::Other ? "CAST(to_json(" + c + ") AS VARCHAR)" : text;
      // A JSON object with unique keys whose values are not objects or arrays.
      return on_value(
          "CASE WHEN json_valid(" + j + ") AND json_type(" + j +
          ") = 'OBJECT' THEN len(json_keys(" + j + ")) = len(list_distinct(json_keys(" + j +
          "))) AND NOT coalesce(list_bool_or(list_transform("
          "json_extract(" +
          j + ", '$.*'), v -> json_type(v) IN ('OBJECT', 'ARRAY'))), FALSE) ELSE FALSE END");
    }
    case CheckValue:
      if (!check.value) return c + " IS NULL";
      return check.value_is_number ? number_of(col) + " = " + literal() : text + " = " + literal();
    case CheckNotValue:
      if (!check.value) return c + " IS NOT NULL";
      return check.value_is_number ? number_of(col) + " <> " + literal()
                                   : text + " <> " + literal();
    case CheckGreaterOrEqualThanValue:
      return number_of(col) + " >= " + (check.value ? literal() : "NULL");
    case CheckSameValue:
      return compare_columns("=");
    case CheckNotSameValue:
      return compare_columns("<>");
    case CheckGreaterThanColumn:
      return comparable(col) + " > " + comparable(col_b);
    case CheckDistinctCount: {
      if (!col || !col_b) return "NULL";
      const std::string b = quote_ident(col_b->name);
      return c + " NOT IN (SELECT " + c + " FROM " + quote_ident(schema_.table) + " WHERE " + c +
             " IS NOT NULL GROUP BY " + c + " HAVING count(DISTINCT " + b + ") <> " +
             std::to_string(check.expected_count) + ")";
    }
    case ColumnByColumnEqualsColumnValue: {
      std::string product = number_of(col) + " * " + number_of(col_b);
      std::string result = number_of(schema_.find(check.result_column));
      return "abs(" + product + " - " + result + ") <= greatest(" + std::string(kProductTolerance) +
             ", " + std::string(kProductTolerance) + " * abs(" + result + "))";
    }
    case CheckCustomColumnsPrefix:
      return truth(unprefixed_columns().empty());
    case And:
    case Or:
    case CheckModelRule:
      break;
  }
  return "TRUE";
}

std::vector<std::string> SqlCompiler::unprefixed_columns() const {
  std::vector<std::string> out;
  for (const auto& column : schema_.columns) {
    bool focus = std::find(rules_.focus_columns.begin(), rules_.focus_columns.end(), column.name) !=
                 rules_.focus_columns.end();
    if (!focus && !column.name.starts_with("x_")) out.push_back(column.name);
  }
  return out;
}

std::vector<std::string> SqlCompiler::columns_of(const Check& check) const {
  std::vector<std::string> out;
  collect_columns(check, out, 0);
  return out;
}

void SqlCompiler::collect_columns(const Check& check, std::vector<std::string>& out,
                                  int depth) const {
  if (depth > 32) return;
  auto add = [&out](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  add(check.column);
  add(check.column_b);
  add(check.result_column);
  for (const auto& item : check.items) collect_columns(item, out, depth + 1);
  if (check.function == CheckModelRule) {
    if (const Rule* rule = rules_.find(check.rule_id)) {
      collect_columns(rule->condition, out, depth + 1);
      collect_columns(rule->requirement, out, depth + 1);
    }
  }
}

std::string SqlCompiler::dataset_finding(const Check& requirement) const {
  const SchemaColumn* col = schema_.find(requirement.column);
  switch (requirement.function) {
    case ColumnPresent:
      return "column " + requirement.column + " is missing";
    case CheckCustomColumnsPrefix:
      return "custom columns without the x_ prefix: " + common::join(unprefixed_columns(), ", ");
    default:
      if (col) return "column " + col->name + " has type " + col->sql_type;
      return {};
  }
}

const std::vector<std::string_view>& currency_codes() {
  static const std::vector<std::string_view> codes = {
      "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
      "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
      "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
      "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
      "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
      "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
      "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
      "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
      "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
      "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
      "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
      "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
      "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
  };
  return codes;
}

}  // namespace billingfoot::focus::validation
