#pragma once
// Turns allocation rules and filters (config::Condition) into DuckDB SQL expressions, so
// allocation and unit costs run as set-based SQL over the whole table: no row reaches C++.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/model_config.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::model {

class RuleSql {
 public:
  // `table` is the relation the expressions read (its columns are looked up once);
  // `allocation` gives tag aliases, value cleaning and the dimension names.
  RuleSql(warehouse::Connection& connection, const std::string& table,
          const config::AllocationConfig& allocation);

  // The cleaned value of a canonical tag key: aliases tried in order, then trim, case and
  // value aliases; NULL when absent or empty. `lookup` gives the SQL of one spelling's raw
  // value (default: a JSON lookup in Tags).
  std::string tag_value(
      const std::string& key,
      const std::function<std::string(const std::string&)>& lookup = nullptr) const;
  // `relation` with a column tag_column(i) holding tag_value(keys[i]) added, parsing each
  // row's Tags once.
  std::string tag_relation(const std::string& relation, const std::vector<std::string>& keys) const;

  // Tag keys used by conditions, in first-use order; tag_column(key) names the column a
  // projection of tag_value(key) gets when tags are precomputed (see precompute_tags).
  std::vector<std::string> tag_keys(
      const std::vector<const std::vector<config::Condition>*>& condition_lists) const;
  static std::string tag_column(size_t index);
  // From now on tag:KEY reads the precomputed column instead of parsing Tags again.
  void precompute_tags(const std::vector<std::string>& keys);

  // A condition as a boolean SQL expression (NULL values never match).
  std::string condition(const config::Condition& condition) const;
  std::string all_of(const std::vector<config::Condition>& conditions) const;
  // CASE expression giving the dimension's value for a row: first matching rule, else default.
  std::string dimension_case(const config::Dimension& dimension) const;
  // Dimensions (of those in `allocation`) whose rules read `dimension`, directly or through
  // another dimension, in config order.
  std::vector<const config::Dimension*> dependents_of(const std::string& dimension) const;

  // The table's column with this name (case-insensitive), quoted; throws UsageError naming
  // `where` when there is none.
  std::string column(const std::string& name, const std::string& where) const;
  bool has_column(const std::string& name) const;

 private:
  std::string subject(const config::Condition& condition) const;
  std::string rule_value(const config::AllocationRule& rule) const;

  const config::AllocationConfig& allocation_;
  std::string table_;
  std::map<std::string, std::string> columns_;  // lower-case name → name as in the table
  std::map<std::string, size_t> precomputed_;   // tag key → index of its column
};

}  // namespace billingfoot::model
