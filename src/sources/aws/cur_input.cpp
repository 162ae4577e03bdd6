#include "sources/aws/cur_input.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources::aws {

using common::quote_ident;
using common::quote_literal;

namespace {

// "SavingsPlanARN" → "savings_plan_arn": a word starts at an upper-case letter that follows a
// lower-case letter or digit, or that starts a capitalised word after an acronym.
std::string camel_to_snake(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      bool after_lower = i > 0 && (std::islower(static_cast<unsigned char>(s[i - 1])) ||
                                   std::isdigit(static_cast<unsigned char>(s[i - 1])));
      bool acronym_end = i > 0 && std::isupper(static_cast<unsigned char>(s[i - 1])) && i + 1 < s.size() &&
                         std::islower(static_cast<unsigned char>(s[i + 1]));
      if ((after_lower || acronym_end) && !out.empty() && out.back() != '_') out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

bool is_nested(const std::string& type) {
  return type.starts_with("MAP(") || type.starts_with("STRUCT(") || type.ends_with("[]") || type == "JSON";
}

// Types whose text (CAST AS VARCHAR) never starts or ends with a space and is never empty, so
// that trimming it changes nothing: numbers, booleans, dates and times.
bool text_needs_no_trim(const std::string& type) {
  static const std::set<std::string> plain = {
      "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
      "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE",
      "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"};
  return plain.count(type) > 0 || type.starts_with("DECIMAL(");
}

// The two select items of a `decimal` input column `name` delivered as `col` of DuckDB type
// `type`: the value as bf_decimal converts the delivered text, without printing and parsing it
// where its type allows, and the text for the conversion error (see cur_input_select).
std::vector<std::string> decimal_items(const std::string& col, const std::string& type, const std::string& name) {
  static const std::set<std::string> integers = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",
                                                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
  int width = 0, scale = 0;
  bool small_decimal = std::sscanf(type.c_str(), "DECIMAL(%d,%d)", &width, &scale) == 2 && scale <= 10 &&
                       width - scale <= 28;
  if (integers.count(type) || small_decimal) {
    // Its text is the exact number, which DECIMAL(38,10) holds: the cast is the same value.
    return {"CAST(" + col + " AS DECIMAL(38,10)) AS " + name, "CAST(NULL AS VARCHAR) AS " + name + "__text"};
  }
  if (type == "DOUBLE") {
    // Its text is the shortest decimal that reads back as the double, and bf_decimal rounds that
    // text to 10 decimals. When the double below 10^5 reads back from d, its cast to
    // DECIMAL(18,10) (DuckDB converts d exactly rounded: an integer below 2^53 over 10^10), the
    // text is d: its rounding interval is narrower than 10^-10 (ulp < 2^-36), so it holds no other
    // number of 10 decimals, and a shortest decimal with more decimals would have more digits
    // than d. Other doubles take the text. Printing and parsing fail only for NaN, infinities and
    // magnitudes DECIMAL(38,10) cannot hold; for those the text is kept for the error.
    std::string d = "TRY_CAST(" + col + " AS DECIMAL(18,10))";
    return {"CASE WHEN abs(" + col + ") < 1e5 AND CAST(" + d + " AS DOUBLE) = " + col + " THEN CAST(" + d +
                " AS DECIMAL(38,10)) ELSE bf_cur_try_decimal(CAST(" + col + " AS VARCHAR)) END AS " + name,
            "CASE WHEN NOT (abs(" + col + ") < 1e28) THEN CAST(" + col + " AS VARCHAR) END AS " + name + "__text"};
  }
  std::string text = text_needs_no_trim(type) ? "CAST(" + col + " AS VARCHAR)" : "bf_text(" + col + ")";
  return {"bf_cur_try_decimal(" + text + ") AS " + name, text + " AS " + name + "__text"};
}

}  // namespace

std::string cur_column_name(std::string_view delivered) {
  std::string name = common::trim(delivered);
  if (name.starts_with("\xEF\xBB\xBF")) name = name.substr(3);
  std::string out;
  auto slash = name.find('/');
  if (slash != std::string::npos) {
    out = camel_to_snake(name.substr(0, slash)) + "_" + camel_to_snake(name.substr(slash + 1));
  } else {
    out = common::to_lower(name);
  }
  if (out.ends_with("_a_r_n")) out = out.substr(0, out.size() - 6) + "_arn";
  return out;
}

Flavor detect_flavor(const std::vector<std::string>& columns) {
  for (const auto& c : columns) {
    std::string n = common::to_lower(common::trim(c));
    if (n == "billedcost") return Flavor::Focus;
  }
  return Flavor::Cur;
}

const std::vector<InputColumn>& cur_input_columns() {
  static const std::vector<InputColumn> columns = [] {
    std::vector<InputColumn> out;
    for (const auto& line : common::split(common::embedded_resource("sources/aws/cur_to_focus.sql"), '\n')) {
      if (!line.starts_with("-- input: ")) continue;
      auto words = common::split(common::trim(line.substr(10)), ' ');
      InputColumn column{words.at(0)};
      for (size_t i = 1; i < words.size(); ++i) {
        column.required = column.required || words[i] == "required";
        column.timestamp = column.timestamp || words[i] == "timestamp";
        column.decimal = column.decimal || words[i] == "decimal";
      }
      out.push_back(column);
    }
    return out;
  }();
  return columns;
}

std::string cur_input_select(const std::vector<std::pair<std::string, std::string>>& columns,
                             const std::string& raw_table, const std::string& file, const std::string& source_name) {
  std::map<std::string, std::pair<std::string, std::string>> by_name;  // CUR 2.0 name → delivered, type
  std::vector<std::string> tag_entries;
  std::string tags_map;     // CUR 2.0 resource_tags column (MAP, or JSON text in CSV)
  std::string product_map;  // CUR 2.0 product column
  for (const auto& [delivered, type] : columns) {
    std::string lower = common::to_lower(delivered);
    if (lower.starts_with("resourcetags/")) {  // legacy CSV: resourceTags/user:Team
      tag_entries.push_back("{'key': " + quote_literal(delivered.substr(13)) +
                            ", 'value': CAST(" + quote_ident(delivered) + " AS VARCHAR)}");
      continue;
    }
    std::string name = cur_column_name(delivered);
    if (name == "resource_tags") {
      tags_map = is_nested(type) ? "CAST(" + quote_ident(delivered) + " AS MAP(VARCHAR, VARCHAR))"
                                 : "json_transform(bf_text(" + quote_ident(delivered) +
                                       "), '\"MAP(VARCHAR, VARCHAR)\"')";
    } else if (name.starts_with("resource_tags_")) {  // legacy Parquet: resource_tags_user_team
      tag_entries.push_back("{'key': " + quote_literal(name.substr(14)) + ", 'value': CAST(" +
                            quote_ident(delivered) + " AS VARCHAR)}");
    } else if (name == "product") {
      product_map = is_nested(type) ? "CAST(" + quote_ident(delivered) + " AS MAP(VARCHAR, VARCHAR))"
                                    : "json_transform(bf_text(" + quote_ident(delivered) +
                                          "), '\"MAP(VARCHAR, VARCHAR)\"')";
    } else {
      by_name.emplace(name, std::make_pair(delivered, type));
    }
  }
  std::vector<std::string> items;
  for (const auto& column : cur_input_columns()) {
    auto it = by_name.find(column.name);
    if (it != by_name.end() && column.timestamp) {
      // A typed Parquet timestamp is used as it is (TIMESTAMP WITH TIME ZONE as its UTC time, the
      // session zone being UTC): the same value bf_timestamp gives for its text, without
      // printing and parsing every row. Text (CSV) and other types go through bf_timestamp.
      const std::string& type = it->second.second;
      std::string col = quote_ident(it->second.first);
      std::string value = type == "TIMESTAMP"                  ? col
                          : type == "TIMESTAMP WITH TIME ZONE" ? "CAST(" + col + " AS TIMESTAMP)"
                                                               : "bf_timestamp(" + col + ")";
      items.push_back(value + " AS " + column.name);
    } else if (it != by_name.end() && column.decimal) {
      for (auto& item : decimal_items(quote_ident(it->second.first), it->second.second, column.name)) {
        items.push_back(std::move(item));
      }
    } else if (it != by_name.end()) {
      // Text is cleaned here, once per value (as bf_text: trimmed, empty is NULL), so that
      // the mapping can use it as it is however often it reads it.
      std::string col = quote_ident(it->second.first);
      items.push_back((text_needs_no_trim(it->second.second) ? "CAST(" + col + " AS VARCHAR)"
                                                             : "bf_text(" + col + ")") +
                      " AS " + column.name);
    } else if (!product_map.empty() && column.name.starts_with("product_")) {
      // CUR 2.0 keeps product attributes outside its fixed schema in the product map.
      items.push_back("bf_text(" + product_map + "[" + quote_literal(column.name.substr(8)) + "]) AS " +
                      column.name);
    } else if (column.required) {
      throw InputError("source " + source_name + ": file " + file + ": required CUR column " + column.name +
                       " is missing (" + std::to_string(columns.size()) +
                       " columns delivered) — is this a Cost and Usage Report?");
    } else if (column.decimal) {
      items.push_back("CAST(NULL AS DECIMAL(38,10)) AS " + column.name);
      items.push_back("CAST(NULL AS VARCHAR) AS " + column.name + "__text");
    } else {
      items.push_back(std::string("CAST(NULL AS ") + (column.timestamp ? "TIMESTAMP" : "VARCHAR") + ") AS " +
                      column.name);
    }
  }
  std::string tags = !tags_map.empty()       ? tags_map
                     : !tag_entries.empty() ? "map_from_entries([" + common::join(tag_entries, ", ") + "])"
                                            : "CAST(NULL AS MAP(VARCHAR, VARCHAR))";
  items.push_back(tags + " AS resource_tags");
  items.push_back(quote_literal(file) + " AS bf_file");
  return "SELECT " + common::join(items, ",\n  ") + "\nFROM " + quote_ident(raw_table);
}

}  // namespace billingfoot::sources::aws
