#include "model/allocation.hpp"

#include <optional>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"
#include "model/rule_sql.hpp"

namespace billingfoot::model {

using common::join;
using common::quote_ident;
using common::quote_literal;

const std::vector<std::string>& split_columns() {
  static const std::vector<std::string> columns = {"BilledCost",
                                                   "EffectiveCost",
                                                   "ListCost",
                                                   "ContractedCost",
                                                   "PricingCurrencyEffectiveCost",
                                                   "PricingQuantity",
                                                   "ConsumedQuantity"};
  return columns;
}

namespace {

constexpr const char* kOne = "10000000000";  // 1 in units of 1e-10

// SQL turning an integer count of 1e-10 units (HUGEINT) back into DECIMAL(38,10), exactly: the
// whole part and the fraction are converted separately because DuckDB has no exact decimal
// division (and text parsing is an order of magnitude slower).
std::string units_to_decimal(const std::string& units) {
  return "(CAST(" + units + " // " + kOne + " AS DECIMAL(38,10)) + CAST(CAST(" + units + " % " +
         kOne + " AS DECIMAL(38,10)) * CAST(0.0000000001 AS DECIMAL(11,10)) AS DECIMAL(38,10)))";
}

std::string basis_column(const std::string& basis) {
  if (basis == "billed") return "BilledCost";
  if (basis == "list") return "ListCost";
  if (basis == "contracted") return "ContractedCost";
  return "EffectiveCost";
}

void check_regexes(warehouse::Connection& con,
                   const std::vector<const std::vector<config::Condition>*>& lists) {
  for (const auto* list : lists) {
    for (const auto& c : *list) {
      if (c.op != config::Condition::Op::Regex) continue;
      try {
        con.query("SELECT regexp_matches('', " + quote_literal(c.values.at(0)) + ")");
      } catch (const warehouse::Error& e) {
        throw UsageError(c.where +
                         ": invalid regular expression (RE2 syntax): " + e.engine_message());
      }
    }
  }
}

std::string in_list(const std::vector<std::string>& values) {
  std::vector<std::string> literals;
  for (const auto& v : values) literals.push_back(quote_literal(v));
  return "(" + join(literals, ", ") + ")";
}

// SELECT rule, period, target, weight for one shared-cost rule (weights in units of 1e-10).
std::string weights_sql(warehouse::Connection& con, const config::SharedCost& s,
                        const config::Dimension& dim) {
  std::string rule = quote_literal(s.name);
  std::string d = quote_ident(dim.name);
  std::string periods =
      "(SELECT DISTINCT date_trunc('month', ChargePeriodStart) AS period FROM __alloc_shared WHERE "
      "x_SharedCost = " +
      rule + ") p";
  std::string direct = "FROM cost_allocated WHERE x_SharedCost IS NULL AND " + d + " <> " +
                       quote_literal(dim.default_value) +
                       (s.targets.empty() ? "" : " AND " + d + " IN " + in_list(s.targets));
  if (s.method == "fixed") {
    std::vector<std::string> rows;
    for (const auto& [target, weight] : s.weights) {
      rows.push_back("(" + quote_literal(target) + ", CAST(" + weight + " AS DECIMAL(38,10)))");
    }
    return "SELECT " + rule + ", p.period, t.target, CAST(t.weight * " + kOne +
           " AS HUGEINT) FROM " + periods + ", (VALUES " + join(rows, ", ") + ") t(target, weight)";
  }
  if (s.method == "even") {
    if (!s.targets.empty()) {
      std::vector<std::string> rows;
      for (const auto& t : s.targets) rows.push_back("(" + quote_literal(t) + ")");
      return "SELECT " + rule + ", p.period, t.target, " + kOne + " FROM " + periods +
             ", (VALUES " + join(rows, ", ") + ") t(target)";
    }
    return "SELECT DISTINCT " + rule + ", date_trunc('month', ChargePeriodStart), " + d + ", " +
           kOne + " " + direct;
  }
  if (s.metric.empty()) {
    return "SELECT " + rule + ", date_trunc('month', ChargePeriodStart), " + d +
           ", greatest(CAST(sum(" + basis_column(s.basis) + ") * " + kOne + " AS HUGEINT), 0) " +
           direct + " GROUP BY 2, 3";
  }
  auto has = con.prepare(
      "SELECT count(*) FROM information_schema.columns WHERE table_name = 'business_metrics' AND "
      "column_name = ?");
  if (has.bind(1, dim.name).execute().int64(0, 0) == 0) {
    throw UsageError(s.where + ": metric " + s.metric + " has no dimension column '" + dim.name +
                     "' to split by (its source must return a column named " + dim.name + ")");
  }
  return "SELECT " + rule + ", date_trunc('month', CAST(date AS TIMESTAMP)), CAST(" + d +
         " AS VARCHAR), greatest(CAST(sum(value) * " + kOne +
         " AS HUGEINT), 0) FROM business_metrics WHERE metric = " + quote_literal(s.metric) +
         " AND " + d + " IS NOT NULL" +
         (s.targets.empty() ? "" : " AND " + d + " IN " + in_list(s.targets)) + " GROUP BY 2, 3";
}

std::string split_sql() {
  std::vector<std::string> quota, rank, part;
  const auto& columns = split_columns();
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string n = std::to_string(i);
    std::string u = "__u" + n, unit = "__unit" + n, q = "__q" + n;
    quota.push_back("CAST(s." + quote_ident(columns[i]) + " * " + kOne + " AS HUGEINT) AS " + u);
    quota.push_back("CASE WHEN " + u + " % 100000000 = 0 THEN 100000000 ELSE 1 END AS " + unit);
    quota.push_back("(abs(" + u + ") // " + unit + ") * sh.weight AS " + q);
    quota.push_back(q + " // sh.total_weight AS __base" + n);
    quota.push_back(q + " % sh.total_weight AS __rem" + n);
    rank.push_back("abs(" + u + ") // " + unit + " - sum(__base" + n +
                   ") OVER (PARTITION BY __row) AS __left" + n);
    rank.push_back("row_number() OVER (PARTITION BY __row ORDER BY __rem" + n +
                   " DESC, target) AS __rank" + n);
    part.push_back(units_to_decimal("(sign(" + u + ") * (__base" + n + " + CASE WHEN __rank" + n +
                                    " <= __left" + n + " THEN 1 ELSE 0 END) * " + unit + ")") +
                   " AS " + quote_ident(columns[i]));
  }
  return common::render_template(common::embedded_resource("model/allocation_split.sql"),
                                 {{"quota_columns", join(quota, ",\n         ")},
                                  {"rank_columns", join(rank, ",\n         ")},
                                  {"part_columns", join(part, ",\n       ")}});
}

std::string method_details(const config::SharedCost& s) {
  std::string unit = s.method == "even"    ? "Share"
                     : s.method == "fixed" ? "Weight"
                     : s.metric.empty()    ? basis_column(s.basis)
                                           : s.metric;
  std::string basis = s.method != "proportional" ? s.method
                      : s.metric.empty()         ? basis_column(s.basis)
                                                 : "metric:" + s.metric;
  auto decimal = units_to_decimal;
  return "json_object('Elements', json_array(json_object('AllocatedRatio', CAST(p.weight AS "
         "DOUBLE) / CAST(p.total_weight AS "
         "DOUBLE), 'UsageUnit', " +
         quote_literal(unit) + ", 'UsageQuantity', " + decimal("p.weight") + ")), 'x_Method', " +
         quote_literal(s.method) + ", 'x_SplitBy', " + quote_literal(s.split_by) + ", 'x_Basis', " +
         quote_literal(basis) + ", 'x_TotalWeight', " + decimal("p.total_weight") + ")";
}

std::string without_tag_columns(size_t tag_count) {
  std::vector<std::string> names;
  for (size_t i = 0; i < tag_count; ++i) names.push_back(RuleSql::tag_column(i));
  return names.empty() ? "" : " EXCLUDE (" + join(names, ", ") + ")";
}

}  // namespace

AllocationSummary allocate(warehouse::Connection& con, const config::AllocationConfig& allocation) {
  common::StepTimer timer("allocation");
  warehouse::Transaction tx(con);
  RuleSql sql(con, "focus_costs", allocation);
  std::vector<const std::vector<config::Condition>*> lists;
  for (const auto& d : allocation.dimensions) {
    if (sql.has_column(d.name))
      throw UsageError(d.where + ": dimension '" + d.name +
                       "' has the name of a focus_costs column");
    for (const auto& r : d.rules) lists.push_back(&r.match);
  }
  for (const auto& s : allocation.shared) lists.push_back(&s.match);
  check_regexes(con, lists);

  std::vector<std::string> keys = sql.tag_keys(lists);
  sql.precompute_tags(keys);

  // One projection per dimension, so a rule can read the dimensions defined before it.
  std::string rows = sql.tag_relation("focus_costs", keys);
  for (const auto& d : allocation.dimensions) {
    rows = "(SELECT *, " + sql.dimension_case(d) + " AS " + quote_ident(d.name) + " FROM " + rows +
           ")";
  }
  std::string shared = "CAST(NULL AS VARCHAR)";
  if (!allocation.shared.empty()) {
    shared = "CASE";
    for (const auto& s : allocation.shared)
      shared += " WHEN " + sql.all_of(s.match) + " THEN " + quote_literal(s.name);
    shared += " END";
  }
  std::string excluded = without_tag_columns(keys.size());
  std::optional<common::StepTimer> step(std::in_place, "allocation: dimensions");
  con.execute("CREATE OR REPLACE TABLE cost_allocated AS SELECT *" + excluded +
                  " FROM (SELECT *, " + shared + " AS x_SharedCost FROM " + rows + ")",
              "allocating focus_costs");

  AllocationSummary summary;
  if (!allocation.shared.empty()) {
    step.emplace("allocation: shared rows and weights");
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __alloc_shared AS SELECT * FROM " +
            sql.tag_relation(
                "(SELECT rowid AS __row, * FROM cost_allocated WHERE x_SharedCost IS NOT NULL)",
                keys),
        "selecting shared costs");
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __alloc_weights (rule VARCHAR, period TIMESTAMP, target "
        "VARCHAR, weight HUGEINT)");
    for (const auto& s : allocation.shared) {
      const config::Dimension& dim = *allocation.find_dimension(s.split_by);
      con.execute("INSERT INTO __alloc_weights " + weights_sql(con, s, dim),
                  "weighing targets of shared cost " + s.name);
    }
    step.emplace("allocation: split");
    con.execute(split_sql(), "splitting shared costs");
    warehouse::Result counts = con.query(
        "SELECT (SELECT count(*) FROM __alloc_shared), (SELECT count(*) FROM __alloc_parts), "
        "(SELECT count(DISTINCT "
        "__row) FROM __alloc_parts)");
    summary.shared_rows = counts.int64(0, 0);
    summary.split_rows = counts.int64(0, 1);
    summary.unsplit_rows = summary.shared_rows - counts.int64(0, 2);
    step.emplace("allocation: replace shared rows");
    // Shared rows leave cost_allocated; those with no target in their month come back whole.
    std::string excluded_shared = without_tag_columns(keys.size());
    excluded_shared.insert(excluded_shared.find('(') + 1, "__row, ");
    if (keys.empty()) excluded_shared = " EXCLUDE (__row)";
    con.execute("DELETE FROM cost_allocated WHERE x_SharedCost IS NOT NULL",
                "removing shared rows");
    con.execute("INSERT INTO cost_allocated BY NAME SELECT *" + excluded_shared +
                    " FROM __alloc_shared WHERE __row NOT IN (SELECT __row FROM __alloc_parts)",
                "keeping shared rows without targets");

    std::vector<std::string> replaced = {"__row",
                                         "AllocatedMethodId",
                                         "AllocatedMethodDetails",
                                         "AllocatedResourceId",
                                         "AllocatedResourceName",
                                         "AllocatedTags"};
    std::vector<std::string> parts;
    for (const auto& c : split_columns()) {
      replaced.push_back(quote_ident(c));
      parts.push_back("p." + quote_ident(c));
    }
    for (const auto& s : allocation.shared) {
      std::string d = quote_ident(s.split_by);
      std::string split =
          "(SELECT s.* EXCLUDE (" + join(replaced, ", ") + ", " + d + "), " + join(parts, ", ") +
          ", p.target AS " + d + ", s.x_SharedCost AS AllocatedMethodId, " + method_details(s) +
          " AS AllocatedMethodDetails, " + quote_literal(s.split_by + ":") +
          " || p.target AS AllocatedResourceId, p.target AS AllocatedResourceName, json_object(" +
          quote_literal(s.split_by) + ", p.target) AS AllocatedTags FROM __alloc_shared s JOIN " +
          "__alloc_parts p USING (__row) WHERE s.x_SharedCost = " + quote_literal(s.name) + ")";
      // Dimensions that read the split dimension follow the new value (e.g. product from team).
      for (const auto* dependent : sql.dependents_of(s.split_by)) {
        split = "(SELECT * REPLACE (" + sql.dimension_case(*dependent) + " AS " +
                quote_ident(dependent->name) + ") FROM " + split + ")";
      }
      con.execute("INSERT INTO cost_allocated BY NAME SELECT *" + excluded + " FROM " + split,
                  "writing split rows of shared cost " + s.name);
    }
    con.execute("DROP TABLE __alloc_shared; DROP TABLE __alloc_weights; DROP TABLE __alloc_parts");
  }

  step.emplace("allocation: totals check");
  check_allocation_totals(con, allocation);
  step.reset();
  warehouse::Result totals = con.query(
      "SELECT count(*), coalesce(sum(BilledCost), 0), coalesce(sum(EffectiveCost), 0) FROM "
      "cost_allocated");
  summary.rows = totals.int64(0, 0);
  summary.billed_cost = totals.text(0, 1);
  summary.effective_cost = totals.text(0, 2);
  tx.commit();
  return summary;
}

void check_allocation_totals(warehouse::Connection& con, const config::AllocationConfig& allocation,
                             const std::string& original, const std::string& allocated) {
  std::vector<std::string> sums, differs, shown;
  for (const auto& c : split_columns()) {
    std::string q = quote_ident(c);
    sums.push_back("sum(" + q + ") AS " + q);
    differs.push_back("a." + q + " IS DISTINCT FROM b." + q);
    shown.push_back(quote_literal(c) + ", CAST(a." + q + " AS VARCHAR), CAST(b." + q +
                    " AS VARCHAR)");
  }
  std::string per_partition =
      "SELECT x_SourceName, x_BillingPeriod, count(*) AS n, " + join(sums, ", ") + " FROM ";
  std::string group = " GROUP BY x_SourceName, x_BillingPeriod";
  warehouse::Result diff = con.query(
      "WITH a AS (" + per_partition + quote_ident(original) + group + "), b AS (" + per_partition +
          quote_ident(allocated) + group +
          ") SELECT coalesce(a.x_SourceName, b.x_SourceName), coalesce(a.x_BillingPeriod, "
          "b.x_BillingPeriod), " +
          join(shown, ", ") +
          " FROM a FULL OUTER JOIN b ON a.x_SourceName = b.x_SourceName AND a.x_BillingPeriod = " +
          "b.x_BillingPeriod WHERE a.n IS NULL OR b.n IS NULL OR " + join(differs, " OR ") +
          " LIMIT 1",
      "checking allocation totals");
  if (diff.row_count() > 0) {
    std::string detail;
    for (size_t c = 2; c + 2 < diff.column_count(); c += 3) {
      if (diff.cell(0, c + 1) != diff.cell(0, c + 2)) {
        detail = diff.text(0, c) + " " + (diff.is_null(0, c + 1) ? "(none)" : diff.text(0, c + 1)) +
                 " before, " + (diff.is_null(0, c + 2) ? "(none)" : diff.text(0, c + 2)) + " after";
        break;
      }
    }
    if (detail.empty()) detail = "rows of the partition are missing on one side";
    throw AllocationError("allocation would change the totals of source " + diff.text(0, 0) +
                          " period " + diff.text(0, 1) + ": " + detail +
                          "; cost_allocated was left as it was (please report this)");
  }
  std::vector<std::string> nulls;
  for (const auto& d : allocation.dimensions) nulls.push_back(quote_ident(d.name) + " IS NULL");
  if (!nulls.empty()) {
    int64_t missing = con.query("SELECT count(*) FROM " + quote_ident(allocated) + " WHERE " +
                                join(nulls, " OR "))
                          .int64(0, 0);
    if (missing > 0) {
      throw AllocationError(
          std::to_string(missing) + " rows of " + allocated +
          " have no value for a dimension; cost_allocated was left as it was (please report this)");
    }
  }
}

}  // namespace billingfoot::model
