#include "model/rule_sql.hpp"

#include <algorithm>
#include <regex>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "warehouse/cost_query.hpp"

namespace billingfoot::model {

using common::quote_ident;
using common::quote_literal;
using config::Condition;

RuleSql::RuleSql(warehouse::Connection& connection, const std::string& table,
                 const config::AllocationConfig& allocation)
    : allocation_(allocation), table_(table) {
  auto q =
      connection.prepare("SELECT column_name FROM information_schema.columns WHERE table_name = ?");
  warehouse::Result r = q.bind(1, table).execute();
  for (size_t i = 0; i < r.row_count(); ++i)
    columns_[common::to_lower(r.text(i, 0))] = r.text(i, 0);
}

bool RuleSql::has_column(const std::string& name) const {
  return columns_.count(common::to_lower(name)) > 0;
}

std::string RuleSql::column(const std::string& name, const std::string& where) const {
  auto it = columns_.find(common::to_lower(name));
  if (it == columns_.end()) {
    throw UsageError(
        where + ": '" + name + "' is neither a column of " + table_ +
        " (e.g. ServiceName, SubAccountId, x_SourceName), tag:KEY, nor an allocation dimension");
  }
  return quote_ident(it->second);
}

namespace {

std::string apply_case(const std::string& value, const std::string& letter_case) {
  if (letter_case == "lower") return common::to_lower(value);
  if (letter_case == "upper") {
    std::string out = value;
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }
  return value;
}

}  // namespace

namespace {

std::vector<std::string> spellings_of(const config::AllocationConfig& allocation,
                                      const std::string& key) {
  std::vector<std::string> spellings = {key};
  for (const auto& [canonical, aliases] : allocation.tag_aliases) {
    if (canonical == key) spellings.insert(spellings.end(), aliases.begin(), aliases.end());
  }
  return spellings;
}

std::string json_path(const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "$.\"" + escaped + "\"";
}

}  // namespace

std::string RuleSql::tag_relation(const std::string& relation,
                                  const std::vector<std::string>& keys) const {
  if (keys.empty()) return relation;
  // One json_extract_string with a list of paths parses each row's Tags once for all keys; its
  // list gets a projection of its own so the cleaning expressions read it, not re-parse.
  std::vector<std::string> paths;
  for (const auto& key : keys) {
    for (const auto& s : spellings_of(allocation_, key)) {
      if (std::find(paths.begin(), paths.end(), s) == paths.end()) paths.push_back(s);
    }
  }
  std::vector<std::string> literals;
  for (const auto& p : paths) literals.push_back(quote_literal(json_path(p)));
  std::string out = "(SELECT *, json_extract_string(Tags, [" + common::join(literals, ", ") +
                    "]) AS __tags FROM " + relation + ")";
  std::vector<std::string> values;
  for (size_t i = 0; i < keys.size(); ++i) {
    values.push_back(tag_value(keys[i],
                               [&](const std::string& spelling) {
                                 size_t index = std::find(paths.begin(), paths.end(), spelling) -
                                                paths.begin();
                                 return "__tags[" + std::to_string(index + 1) + "]";
                               }) +
                     " AS " + tag_column(i));
  }
  return "(SELECT * EXCLUDE (__tags), " + common::join(values, ", ") + " FROM " + out + ")";
}

std::string RuleSql::tag_value(const std::string& key,
                               const std::function<std::string(const std::string&)>& lookup) const {
  std::vector<std::string> lookups;
  for (const auto& s : spellings_of(allocation_, key))
    lookups.push_back(lookup ? lookup(s) : warehouse::tag_lookup(s));
  std::string value =
      lookups.size() == 1 ? lookups[0] : "coalesce(" + common::join(lookups, ", ") + ")";
  auto rules = allocation_.tag_values.find(key);
  if (rules != allocation_.tag_values.end()) {
    const config::TagValueRules& r = rules->second;
    if (r.trim) value = "trim(" + value + ")";
    if (r.letter_case == "lower") value = "lower(" + value + ")";
    if (r.letter_case == "upper") value = "upper(" + value + ")";
    if (!r.aliases.empty()) {
      std::string cases = "CASE " + value;
      for (const auto& [from, to] : r.aliases) {
        std::string cleaned = apply_case(r.trim ? common::trim(from) : from, r.letter_case);
        cases += " WHEN " + quote_literal(cleaned) + " THEN " + quote_literal(to);
      }
      value = cases + " ELSE " + value + " END";
    }
  }
  return "nullif(" + value + ", '')";
}

std::vector<std::string> RuleSql::tag_keys(
    const std::vector<const std::vector<Condition>*>& condition_lists) const {
  std::vector<std::string> keys;
  for (const auto* list : condition_lists) {
    for (const auto& c : *list) {
      if (!c.subject.starts_with("tag:")) continue;
      std::string key = c.subject.substr(4);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  return keys;
}

std::string RuleSql::tag_column(size_t index) {
  return "__tag_" + std::to_string(index);
}

void RuleSql::precompute_tags(const std::vector<std::string>& keys) {
  precomputed_.clear();
  for (size_t i = 0; i < keys.size(); ++i) precomputed_[keys[i]] = i;
}

std::string RuleSql::subject(const Condition& c) const {
  if (c.subject.starts_with("tag:")) {
    std::string key = c.subject.substr(4);
    auto it = precomputed_.find(key);
    return it != precomputed_.end() ? tag_column(it->second) : tag_value(key);
  }
  // A dimension is a column of cost_allocated, or of the projection that computed it.
  if (allocation_.find_dimension(c.subject)) return quote_ident(c.subject);
  return "CAST(" + column(c.subject, c.where) + " AS VARCHAR)";
}

std::string RuleSql::condition(const Condition& c) const {
  std::string s = subject(c);
  switch (c.op) {
    case Condition::Op::Equals:
      return s + " = " + quote_literal(c.values.at(0));
    case Condition::Op::In: {
      std::vector<std::string> literals;
      for (const auto& v : c.values) literals.push_back(quote_literal(v));
      return s + " IN (" + common::join(literals, ", ") + ")";
    }
    case Condition::Op::Regex:
      return "regexp_matches(" + s + ", " + quote_literal(c.values.at(0)) + ")";
    case Condition::Op::Prefix:
      return "starts_with(" + s + ", " + quote_literal(c.values.at(0)) + ")";
  }
  return "false";
}

std::string RuleSql::all_of(const std::vector<Condition>& conditions) const {
  if (conditions.empty()) return "true";
  std::vector<std::string> parts;
  for (const auto& c : conditions) parts.push_back("(" + condition(c) + ")");
  return common::join(parts, " AND ");
}

std::string RuleSql::rule_value(const config::AllocationRule& rule) const {
  static const std::regex capture(R"(\$(\d))");
  const Condition* regex = nullptr;
  for (const auto& c : rule.match) {
    if (c.op == Condition::Op::Regex) {
      regex = &c;
      break;
    }
  }
  std::vector<std::string> parts;
  std::string literal;
  size_t pos = 0;
  for (auto it = std::sregex_iterator(rule.value.begin(), rule.value.end(), capture);
       it != std::sregex_iterator(); ++it) {
    literal += rule.value.substr(pos, it->position() - pos);
    if (!literal.empty()) parts.push_back(quote_literal(literal));
    literal.clear();
    parts.push_back("regexp_extract(" + subject(*regex) + ", " +
                    quote_literal(regex->values.at(0)) + ", " + (*it)[1].str() + ")");
    pos = it->position() + it->length();
  }
  literal += rule.value.substr(pos);
  if (!literal.empty()) parts.push_back(quote_literal(literal));
  return parts.size() == 1 ? parts[0] : "concat(" + common::join(parts, ", ") + ")";
}

std::string RuleSql::dimension_case(const config::Dimension& dimension) const {
  std::string sql = "CASE";
  for (const auto& rule : dimension.rules) {
    std::string value = rule_value(rule);
    std::string when = all_of(rule.match);
    // A captured value can come out empty (optional group, empty tag): then the rule does not
    // match and the next one is tried.
    if (value.starts_with("regexp_extract") || value.starts_with("concat"))
      when += " AND nullif(" + value + ", '') IS NOT NULL";
    sql += " WHEN " + when + " THEN " + value;
  }
  return sql + " ELSE " + quote_literal(dimension.default_value) + " END";
}

std::vector<const config::Dimension*> RuleSql::dependents_of(const std::string& dimension) const {
  std::set<std::string> affected = {dimension};
  std::vector<const config::Dimension*> out;
  for (const auto& d : allocation_.dimensions) {
    bool reads = false;
    for (const auto& rule : d.rules) {
      for (const auto& c : rule.match) reads = reads || affected.count(c.subject);
    }
    if (reads && !affected.count(d.name)) {
      affected.insert(d.name);
      out.push_back(&d);
    }
  }
  return out;
}

}  // namespace billingfoot::model
