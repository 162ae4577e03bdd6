#include "focus/validation/model_loader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/errors.hpp"
#include "focus/catalogue.hpp"
#include "focus/validation/builtin_rules.hpp"

namespace billingfoot::focus::validation {

namespace {

using nlohmann::json;

// A check the model uses that this build does not know: the rule is skipped, not guessed.
struct UnknownFunction {
  std::string name;
};

std::string string_field(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Check parse_check(const json& node) {
  if (!node.is_object() || node.empty()) return Check::always();
  auto function_it = node.find("CheckFunction");
  if (function_it == node.end()) {
    // Model 1.2 spells two conditions {"AND": <check or list>}: read them as meant.
    for (const char* op : {"AND", "OR"}) {
      auto it = node.find(op);
      if (it == node.end()) continue;
      std::vector<Check> items;
      if (it->is_array()) {
        for (const auto& item : *it) items.push_back(parse_check(item));
      } else {
        items.push_back(parse_check(*it));
      }
      return std::string(op) == "AND" ? Check::all(std::move(items)) : Check::any(std::move(items));
    }
    return Check::always();
  }
  std::string name =
      function_it->is_string() ? function_it->get<std::string>() : function_it->dump();
  auto function = parse_function(name);
  if (!function) throw UnknownFunction{name};
  Check check;
  check.function = *function;
  check.column = string_field(node, "ColumnName");
  if (check.column.empty()) check.column = string_field(node, "ColumnAName");
  check.column_b = string_field(node, "ColumnBName");
  check.result_column = string_field(node, "ResultColumnName");
  check.rule_id = string_field(node, "ModelRuleId");
  if (auto v = node.find("Value"); v != node.end() && !v->is_null()) {
    check.value = v->is_string() ? v->get<std::string>() : v->dump();
    check.value_is_number = v->is_number();
  }
  if (auto n = node.find("ExpectedCount"); n != node.end() && n->is_number_integer()) {
    check.expected_count = n->get<int64_t>();
  }
  if (auto items = node.find("Items"); items != node.end() && items->is_array()) {
    for (const auto& item : *items) check.items.push_back(parse_check(item));
  }
  return check;
}

bool names_only_rules(const Check& check) {
  return !check.items.empty() &&
         std::all_of(check.items.begin(), check.items.end(),
                     [](const Check& c) { return c.function == CheckFunction::CheckModelRule; });
}

json read_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read model file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    throw UsageError("model file " + file.string() + " is not valid JSON: " + e.what());
  }
}

class ModelReader {
 public:
  explicit ModelReader(const std::filesystem::path& file) : file_(file) {}

  RuleSet read() {
    json model = read_json(file_);
    if (!model.is_object() || !model.contains("ModelRules") || !model["ModelRules"].is_object()) {
      throw UsageError("model file " + file_.string() +
                       " is not a FOCUS requirements model (no ModelRules)");
    }
    std::string version = model.contains("Details") && model["Details"].is_object()
                              ? string_field(model["Details"], "FOCUSVersion")
                              : std::string();
    set_.name = file_.filename().string() + (version.empty() ? "" : " (FOCUS " + version + ")");
    if (auto criteria = model.find("ApplicabilityCriteria");
        criteria != model.end() && criteria->is_object()) {
      for (const auto& [name, description] : criteria->items()) set_.criteria.push_back(name);
    }
    for (const auto& [id, node] : model["ModelRules"].items()) read_rule(id, node);
    for (size_t i = 0; i < set_.rules.size(); ++i) index_[set_.rules[i].id] = i;
    mark_alternatives();
    for (const auto& root : roots(model)) inherit(root, Check::always(), {});
    for (const auto& c : columns()) set_.focus_columns.emplace_back(c.name);
    for (const auto& name : present_columns_) {
      if (std::find(set_.focus_columns.begin(), set_.focus_columns.end(), name) ==
          set_.focus_columns.end()) {
        set_.focus_columns.push_back(name);
      }
    }
    return std::move(set_);
  }

 private:
  void read_rule(const std::string& id, const json& node) {
    if (!node.is_object())
      throw UsageError("model file " + file_.string() + ": rule " + id + " is not an object");
    const json criteria = node.value("ValidationCriteria", json::object());
    Rule rule;
    rule.id = id;
    rule.reference = string_field(node, "Reference");
    rule.keyword = string_field(criteria, "Keyword");
    rule.must_satisfy = string_field(criteria, "MustSatisfy");
    for (const auto& c : node.value("ApplicabilityCriteria", json::array())) {
      if (c.is_string()) rule.applicability.push_back(c.get<std::string>());
    }
    const bool dynamic = string_field(node, "Type") == "Dynamic";
    const Rule* ours = builtin_rules().find(id);
    bool use_ours =
        ours && ours->must_satisfy == rule.must_satisfy && (dynamic || known_model_defect(id));
    if (use_ours) {
      rule.condition = ours->condition;
      rule.requirement = ours->requirement;
    } else if (dynamic) {
      // Kept (never evaluated) so composites and CheckModelRule can still name it.
      ++set_.dynamic_skipped;
      rule.standalone = false;
    } else {
      try {
        rule.requirement = parse_check(criteria.value("Requirement", json::object()));
        rule.condition = parse_check(criteria.value("Condition", json::object()));
      } catch (const UnknownFunction& f) {
        rule.standalone = false;
        rule.requirement = Check::always();
        set_.unsupported.push_back(id + " (" + f.name + ")");
      }
    }
    rule.composite = string_field(node, "Function") == "Composite" &&
                     rule.requirement.function == CheckFunction::And &&
                     names_only_rules(rule.requirement);
    collect_presence(rule.requirement);
    set_.rules.push_back(std::move(rule));
  }

  void collect_presence(const Check& check) {
    if (check.function == CheckFunction::ColumnPresent) present_columns_.insert(check.column);
    for (const auto& item : check.items) collect_presence(item);
  }

  // Rules only reachable as alternatives of an OR count through it, not on their own.
  void mark_alternatives() {
    std::set<std::string> alternatives;
    for (const auto& rule : set_.rules) {
      if (rule.requirement.function != CheckFunction::Or) continue;
      for (const auto& item : rule.requirement.items) {
        if (item.function == CheckFunction::CheckModelRule) alternatives.insert(item.rule_id);
      }
    }
    for (auto& rule : set_.rules) {
      if (alternatives.contains(rule.id)) rule.standalone = false;
    }
  }

  // The dataset roots, then every rule no composite names (attribute rules).
  std::vector<std::string> roots(const json& model) {
    std::vector<std::string> out;
    if (auto datasets = model.find("ModelDatasets");
        datasets != model.end() && datasets->is_object()) {
      for (const auto& [name, dataset] : datasets->items()) {
        for (const auto& id : dataset.value("ModelRules", json::array())) {
          if (id.is_string()) out.push_back(id.get<std::string>());
        }
      }
    }
    std::set<std::string> named;
    for (const auto& rule : set_.rules) {
      if (!rule.composite) continue;
      for (const auto& item : rule.requirement.items) named.insert(item.rule_id);
    }
    for (const auto& rule : set_.rules) {
      if (!named.contains(rule.id)) out.push_back(rule.id);
    }
    return out;
  }

  // Folds the conditions and criteria of enclosing composites into each rule (first path wins
  // for the two rules that two composites name).
  void inherit(const std::string& id, const Check& condition,
               const std::vector<std::string>& criteria) {
    Rule* rule = find(id);
    if (!rule || visited_.contains(id)) return;
    visited_.insert(id);
    if (!condition.is_always()) {
      rule->condition =
          rule->condition.is_always() ? condition : Check::all({condition, rule->condition});
    }
    for (const auto& c : criteria) {
      if (std::find(rule->applicability.begin(), rule->applicability.end(), c) ==
          rule->applicability.end()) {
        rule->applicability.push_back(c);
      }
    }
    if (!rule->composite) return;
    const Check passed_condition = rule->condition;
    const std::vector<std::string> passed_criteria = rule->applicability;
    for (const auto& item : rule->requirement.items)
      inherit(item.rule_id, passed_condition, passed_criteria);
  }

  Rule* find(const std::string& id) {
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &set_.rules[it->second];
  }

  std::filesystem::path file_;
  RuleSet set_;
  std::set<std::string> present_columns_;
  std::set<std::string> visited_;
  std::map<std::string, size_t> index_;
};

}  // namespace

RuleSet load_model(const std::filesystem::path& file) {
  return ModelReader(file).read();
}

}  // namespace billingfoot::focus::validation
