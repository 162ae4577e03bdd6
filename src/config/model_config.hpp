#pragma once
// The `allocation:`, `metrics:` and `unit_costs:` sections of billingfoot.yaml, parsed and
// checked (unknown keys, wrong shapes and bad values fail with file:line:col and key). What the
// rules mean is model/'s business; this is only their shape.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace billingfoot::config {

struct Config;

// One test in a `match:` (or a unit cost's `cost:` filter): SUBJECT OP VALUES. The subject is a
// focus_costs column (ServiceName, x_SourceName…), `tag:KEY`, or an allocation dimension.
// Written as {SUBJECT: {equals|in|regex|prefix: …}}, or shorthand {SUBJECT: value} (equals) and
// {SUBJECT: [a, b]} (in).
struct Condition {
  enum class Op { Equals, In, Regex, Prefix };
  std::string subject;
  Op op = Op::Equals;
  std::vector<std::string> values;  // exactly one except for In
  std::string where;                // "billingfoot.yaml:12:9: allocation.dimensions[0]…"
};

// A rule of a dimension: when every condition holds, the dimension takes `value`. `value` may
// use $1…$9 (and $0) from the rule's regex condition; a rule whose value comes out empty does
// not match, so the next rule is tried.
struct AllocationRule {
  std::vector<Condition> match;  // empty = every row
  std::string value;
  std::string where;
};

struct Dimension {
  std::string name;  // becomes a column of cost_allocated
  std::string default_value = "unallocated";
  std::vector<AllocationRule> rules;  // first match wins
  std::string where;
};

// How the value of one (canonical) tag key is cleaned before rules see it.
struct TagValueRules {
  bool trim = true;
  std::string letter_case = "keep";            // keep | lower | upper
  std::map<std::string, std::string> aliases;  // value (after trim/case) → canonical value
};

// A shared-cost split: rows matching `match` are replaced by one row per target value of the
// `split_by` dimension, in the same month, with every cost split exactly.
struct SharedCost {
  std::string name;
  std::vector<Condition> match;
  std::string split_by;
  std::string method;                                        // even | fixed | proportional
  std::vector<std::pair<std::string, std::string>> weights;  // fixed: target → decimal text
  std::vector<std::string> targets;  // optional: only these values receive a share
  std::string metric;                // proportional to this business metric instead of cost
  std::string basis = "effective";   // proportional to this cost: billed|effective|list|contracted
  std::string where;
};

struct AllocationConfig {
  bool configured = false;
  // canonical key → other spellings seen in bills, tried in order after the canonical one.
  std::vector<std::pair<std::string, std::vector<std::string>>> tag_aliases;
  std::map<std::string, TagValueRules> tag_values;  // canonical key → cleaning
  std::vector<Dimension> dimensions;
  std::vector<SharedCost> shared;
  std::string canonical_text;  // the section as YAML after ${ENV}: its hash says "rules changed"

  const Dimension* find_dimension(const std::string& name) const;
};

// One `metrics:` entry: a daily or monthly series with optional dimension columns.
struct MetricConfig {
  enum class Kind { Csv, Postgres, Http };
  std::string name;
  std::string grain = "day";      // day | month: dates are truncated to it
  std::string aggregate = "sum";  // how values of one period combine: sum | avg | max | min
  Kind kind = Kind::Csv;
  std::string csv_path;                                      // absolute
  std::string dsn, query;                                    // postgres
  std::string url;                                           // http: GET, JSON body
  std::vector<std::pair<std::string, std::string>> headers;  // http
  std::string items;  // http: dotted path to the array of rows ("" = the body)
  std::string next;   // http: dotted path to the next page's URL ("" = one page)
  std::string where;
};

// One `unit_costs:` entry: (filtered, allocated) cost per unit of a metric, per period.
struct UnitCostConfig {
  std::string name;
  std::vector<Condition> cost_filter;  // on cost_allocated (or focus_costs)
  std::string metric;                  // metric name
  std::vector<std::pair<std::string, std::string>> metric_filter;  // from "orders{product=shop}"
  std::string grain = "month";                                     // day | month
  std::string cost = "effective";  // billed | effective | list | contracted
  std::string per = "1";           // cost per `per` units (e.g. 1000)
  std::string where;
};

struct ModelConfig {
  AllocationConfig allocation;
  std::vector<MetricConfig> metrics;
  std::vector<UnitCostConfig> unit_costs;
  std::string metrics_text, unit_costs_text;  // canonical YAML of those sections

  const MetricConfig* find_metric(const std::string& name) const;
  const UnitCostConfig* find_unit_cost(const std::string& name) const;
};

// Parses the three sections of `root` (already ${ENV}-expanded); `config` gives the file for
// messages and the base folder for relative paths. Throws UsageError.
ModelConfig parse_model_config(const YAML::Node& root, const Config& config);

}  // namespace billingfoot::config
