#include "focus/validation/engine.hpp"

#include <algorithm>
#include <map>

#include "common/strings.hpp"
#include "focus/validation/sql_compiler.hpp"

namespace billingfoot::focus::validation {

namespace {

using common::quote_ident;

constexpr size_t kRulesPerScan = 100;  // count_if expressions per query

bool mentions_presence(const Check& check) {
  if (check.function == CheckFunction::ColumnPresent) return true;
  return std::any_of(check.items.begin(), check.items.end(), mentions_presence);
}

bool applicable(const Rule& rule, const Options& options, std::string& missing) {
  if (options.all_applicability) return true;
  for (const auto& criterion : rule.applicability) {
    if (std::find(options.applicability.begin(), options.applicability.end(), criterion) ==
        options.applicability.end()) {
      missing = criterion;
      return false;
    }
  }
  return true;
}

RuleResult result_for(const Rule& rule) {
  RuleResult r;
  r.id = rule.id;
  r.level = rule.level();
  r.keyword = rule.keyword;
  r.must_satisfy = rule.must_satisfy;
  r.composite = rule.composite;
  return r;
}

// One rule waiting for its row count.
struct Pending {
  size_t result;
  std::string violation;
  std::vector<std::string> columns;  // shown in examples
};

class Evaluation {
 public:
  Evaluation(warehouse::Connection& con, const std::string& table, const RuleSet& rules,
             const Options& options)
      : con_(con),
        rules_(rules),
        options_(options),
        schema_(describe(con, table)),
        compiler_(schema_, rules) {
    report_.rule_set = rules.name;
    report_.table = table;
    report_.dynamic_skipped = rules.dynamic_skipped;
  }

  Report run() {
    report_.rows = con_.query("SELECT count(*) FROM " + quote_ident(schema_.table)).int64(0, 0);
    for (const auto& rule : rules_.rules) {
      if (!rule.standalone) continue;
      index_[rule.id] = report_.results.size();
      report_.results.push_back(result_for(rule));
      if (!rule.composite) prepare(rule, report_.results.size() - 1);
    }
    combined_.assign(report_.results.size(), false);
    for (size_t i = 0; i < pending_.size(); i += kRulesPerScan)
      count_batch(i, std::min(pending_.size(), i + kRulesPerScan));
    for (const auto& p : pending_) fetch_examples(p);
    for (size_t i = 0; i < report_.results.size(); ++i) {
      if (report_.results[i].composite) combine(i, 0);
    }
    return std::move(report_);
  }

 private:
  void prepare(const Rule& rule, size_t index) {
    RuleResult& r = report_.results[index];
    std::string missing;
    if (!applicable(rule, options_, missing)) {
      r.outcome = Outcome::NotApplicable;
      r.finding = "applies when " + missing + " is declared";
      return;
    }
    if (rule.keyword == "MAY") {
      r.outcome = Outcome::NotApplicable;
      r.finding = "a MAY statement permits something; nothing can violate it";
      return;
    }
    if (!mentions_presence(rule.requirement)) {
      for (const auto& column : compiler_.columns_of(rule.requirement)) {
        if (!schema_.find(column)) {
          r.outcome = Outcome::NotApplicable;
          r.finding = "column " + column + " is not present";
          return;
        }
      }
    }
    std::string requirement = compiler_.predicate(rule.requirement, Role::Requirement);
    r.row_level = requirement != "TRUE" && requirement != "FALSE";
    if (!r.row_level) r.finding = compiler_.dataset_finding(rule.requirement);
    std::string violation = compiler_.violation(rule);
    if (violation == "FALSE" || violation == "TRUE") {  // decided by the columns, even on no rows
      r.outcome = violation == "TRUE" ? Outcome::Failed : Outcome::Passed;
      if (r.outcome == Outcome::Passed) r.finding.clear();
      return;
    }
    std::vector<std::string> columns = compiler_.columns_of(rule.requirement);
    for (const auto& c : compiler_.columns_of(rule.condition)) {
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
    }
    std::erase_if(columns, [this](const std::string& c) { return !schema_.find(c); });
    pending_.push_back({index, violation, columns});
  }

  void count_batch(size_t begin, size_t end) {
    std::vector<std::string> counts;
    for (size_t i = begin; i < end; ++i)
      counts.push_back("count_if(" + pending_[i].violation + ")");
    try {
      auto result =
          con_.query("SELECT " + common::join(counts, ", ") + " FROM " + quote_ident(schema_.table),
                     "validating " + schema_.table);
      for (size_t i = begin; i < end; ++i) record_count(pending_[i], result.int64(0, i - begin));
    } catch (const warehouse::Error&) {
      // One rule's SQL failed (e.g. a value outside DuckDB's range): find it, keep the others.
      for (size_t i = begin; i < end; ++i) {
        try {
          auto result = con_.query("SELECT count_if(" + pending_[i].violation + ") FROM " +
                                   quote_ident(schema_.table));
          record_count(pending_[i], result.int64(0, 0));
        } catch (const warehouse::Error& e) {
          RuleResult& r = report_.results[pending_[i].result];
          r.outcome = Outcome::Error;
          r.finding = e.engine_message();
        }
      }
    }
  }

  void record_count(const Pending& p, int64_t violations) {
    RuleResult& r = report_.results[p.result];
    r.violations = violations;
    r.outcome = violations > 0 ? Outcome::Failed : Outcome::Passed;
    if (r.outcome == Outcome::Passed) r.finding.clear();
  }

  void fetch_examples(const Pending& p) {
    RuleResult& r = report_.results[p.result];
    if (r.outcome != Outcome::Failed || !r.row_level || options_.max_examples == 0) return;
    std::string select = "SELECT rowid + 1";
    for (const auto& c : p.columns) select += ", CAST(" + quote_ident(c) + " AS VARCHAR)";
    auto rows =
        con_.query(select + " FROM " + quote_ident(schema_.table) + " WHERE " + p.violation +
                       " ORDER BY rowid LIMIT " + std::to_string(options_.max_examples),
                   "fetching examples for " + r.id);
    for (size_t i = 0; i < rows.row_count(); ++i) {
      Example example{rows.int64(i, 0), {}};
      for (size_t c = 0; c < p.columns.size(); ++c)
        example.values.emplace_back(p.columns[c], rows.cell(i, c + 1));
      r.examples.push_back(std::move(example));
    }
  }

  // A composite fails when a rule it names fails and passes when they pass; it is not
  // applicable when none of them was evaluated.
  Outcome combine(size_t index, int depth) {
    RuleResult& composite = report_.results[index];
    if (depth > 32 || combined_[index]) return composite.outcome;
    combined_[index] = true;
    const Rule* rule = rules_.find(composite.id);
    std::string missing;
    if (!applicable(*rule, options_, missing)) {
      composite.outcome = Outcome::NotApplicable;
      composite.finding = "applies when " + missing + " is declared";
      return composite.outcome;
    }
    bool any_failed = false, any_passed = false;
    for (const auto& item : rule->requirement.items) {
      auto child = index_.find(item.rule_id);
      if (child == index_.end()) continue;
      const RuleResult& r = report_.results[child->second];
      Outcome o = r.composite ? combine(child->second, depth + 1) : r.outcome;
      any_failed = any_failed || o == Outcome::Failed;
      any_passed = any_passed || o == Outcome::Passed;
    }
    composite.outcome = any_failed   ? Outcome::Failed
                        : any_passed ? Outcome::Passed
                                     : Outcome::NotApplicable;
    return composite.outcome;
  }

  warehouse::Connection& con_;
  const RuleSet& rules_;
  const Options& options_;
  Schema schema_;
  SqlCompiler compiler_;
  Report report_;
  std::vector<Pending> pending_;
  std::map<std::string, size_t> index_;  // rule id -> position in report_.results
  std::vector<bool> combined_;
};

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::Passed:
      return "passed";
    case Outcome::Failed:
      return "failed";
    case Outcome::NotApplicable:
      return "not_applicable";
    case Outcome::Error:
      return "error";
  }
  return "error";
}

size_t Report::count(Outcome outcome) const {
  return static_cast<size_t>(std::count_if(
      results.begin(), results.end(),
      [outcome](const RuleResult& r) { return !r.composite && r.outcome == outcome; }));
}

bool Report::mandatory_failed() const {
  return std::any_of(results.begin(), results.end(), [](const RuleResult& r) {
    return !r.composite && r.outcome == Outcome::Failed && r.level == Level::Mandatory;
  });
}

Report validate(warehouse::Connection& con, const std::string& table, const RuleSet& rules,
                const Options& options) {
  return Evaluation(con, table, rules, options).run();
}

}  // namespace billingfoot::focus::validation
