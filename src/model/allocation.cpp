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
constexpr const char* kBigintSafe = "4000000000000000000";  // well inside BIGINT

// SQL turning an integer count of 1e-10 units (HUGEINT) back into DECIMAL(38,10), exactly: the
// count becomes DECIMAL(38,0) and is multiplied by 1e-10, a decimal multiplication that only
// rescales (DuckDB has no exact decimal division, and converting the whole part and the
// fraction separately, or parsing text, is an order of magnitude slower).
std::string units_to_decimal(const std::string& units) {
  return "(CAST(" + units + " AS DECIMAL(38,0)) * CAST(0.0000000001 AS DECIMAL(11,10)))";
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
      "(SELECT DISTINCT date_trunc('month', ChargePeriodStart) AS period FROM __alloc_rows WHERE "
      "x_SharedCost = " +
      rule + ") p";
  std::string direct = "FROM __alloc_rows WHERE x_SharedCost IS NULL AND " + d + " <> " +
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

// The split rows of one shared-cost rule (see allocation_split.sql), with helper columns:
// __target, __weight, __detail, __allocated_tag, and per split column i the unit it was divided
// in (__unit<i>: 1e8 for whole cents, else 1 — both in units of 1e-10), its sign (__sign<i>)
// and its part in those units (__part<i>).
std::string split_sql(const std::string& rule) {
  std::vector<std::string> lists, doubles, rounded, amounts, counts, quotas, bases, keys,
      thresholds, parts, unnests;
  const auto& columns = split_columns();
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string n = std::to_string(i);
    std::string col = quote_ident(columns[i]);
    std::string f = "__f" + n, e = "__e" + n, u = "__u" + n, a = "__a" + n, q = "__q" + n,
                b = "__b" + n, k = "__k" + n, left = "__left" + n, kth = "__kth" + n,
                p = "__p" + n;
    lists.push_back(", " + q + ", " + b + ", " + k + ", " + p);
    doubles.push_back("CAST(r." + col + " AS DOUBLE) AS " + f);
    rounded.push_back("round(" + f + " * " + kOne + ") AS " + e);
    // The amount in units of 1e-10, exactly: through DOUBLE when that gives it back.
    amounts.push_back("CASE WHEN abs(" + e + ") < 4e18 AND " +
                      units_to_decimal("CAST(" + e + " AS HUGEINT)") + " = " + col +
                      " THEN CAST(" + e + " AS HUGEINT) ELSE CAST(" + col + " * " + kOne +
                      " AS HUGEINT) END AS " + u);
    amounts.push_back("sign(" + f + ") AS __sign" + n);
    // Counted in cents when it is a whole number of cents; BIGINT arithmetic when it fits.
    std::string small = "abs(" + u + ") < " + kBigintSafe;
    std::string unit = "CASE WHEN (CASE WHEN " + small + " THEN CAST(" + u +
                       " AS BIGINT) % 100000000 ELSE " + u +
                       " % 100000000 END) = 0 THEN 100000000 ELSE 1 END";
    counts.push_back(unit + " AS __unit" + n);
    counts.push_back("CASE WHEN " + small + " THEN CAST(abs(CAST(" + u + " AS BIGINT)) // " + unit +
                     " AS HUGEINT) ELSE abs(" + u + ") // " + unit + " END AS " + a);
    // floor(units × weight / total): estimated, then corrected by one where the estimate is off.
    std::string estimate = "CAST(" + a + " AS DOUBLE) * CAST(__w AS DOUBLE) / CAST(__total AS DOUBLE)";
    quotas.push_back("CASE WHEN " + a + " IS NOT NULL THEN list_transform(__weights, lambda __w: " +
                     "CASE WHEN " + estimate + " < 1e15 THEN CAST(floor(" + estimate +
                     ") AS HUGEINT) ELSE " + a + " * __w // __total END) END AS " + q);
    std::string over = a + " * __weights[__j] - __x * __total";
    bases.push_back("CASE WHEN " + q + " IS NOT NULL THEN list_transform(" + q +
                    ", lambda __x, __j: __x + CASE WHEN " + over + " < 0 THEN -1 WHEN " + over +
                    " >= __total THEN 1 ELSE 0 END) END AS " + b);
    // The key ranking a target's remainder: largest remainder first, then name order.
    keys.push_back("CASE WHEN " + b + " IS NOT NULL THEN list_transform(" + b +
                   ", lambda __x, __j: {'r': __x * __total - " + a +
                   " * __weights[__j], 'j': __j}) END AS " + k);
    keys.push_back(a + " - list_sum(" + b + ") AS " + left);
    thresholds.push_back("CASE WHEN " + left + " > 0 THEN list_sort(" + k + ")[CAST(" + left +
                         " AS BIGINT)] END AS " + kth);
    parts.push_back("CASE WHEN " + kth + " IS NULL THEN " + b + " ELSE list_transform(" + b +
                    ", lambda __x, __j: __x + CASE WHEN " + k + "[__j] <= " + kth +
                    " THEN 1 ELSE 0 END) END AS " + p);
    unnests.push_back("unnest(" + p + ") AS __part" + n);
  }
  auto at = [](int indent) { return ",\n" + std::string(indent, ' '); };
  return common::render_template(common::embedded_resource("model/allocation_split.sql"),
                                 {{"rule", quote_literal(rule)},
                                  {"list_columns", join(lists, "")},
                                  {"double_columns", join(doubles, at(25))},
                                  {"rounded_columns", join(rounded, at(23))},
                                  {"amount_columns", join(amounts, at(21))},
                                  {"count_columns", join(counts, at(19))},
                                  {"quota_columns", join(quotas, at(17))},
                                  {"base_columns", join(bases, at(15))},
                                  {"key_columns", join(keys, at(13))},
                                  {"threshold_columns", join(thresholds, at(11))},
                                  {"part_columns", join(parts, at(9))},
                                  {"unnest_columns", join(unnests, at(7))}});
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
  std::string excluded = without_tag_columns(keys.size());
  std::optional<common::StepTimer> step(std::in_place, "allocation: dimensions");
  AllocationSummary summary;
  if (allocation.shared.empty()) {
    con.execute("CREATE OR REPLACE TABLE cost_allocated AS SELECT *" + excluded +
                    " FROM (SELECT *, CAST(NULL AS VARCHAR) AS x_SharedCost FROM " + rows + ")",
                "allocating focus_costs");
  } else {
    std::string shared = "CASE";
    for (const auto& s : allocation.shared)
      shared += " WHEN " + sql.all_of(s.match) + " THEN " + quote_literal(s.name);
    shared += " END";
    // Every row with its dimensions, the shared-cost rule that selected it and its cleaned tags
    // (which dimensions recomputed on split rows read). cost_allocated is built from it below.
    con.execute("CREATE OR REPLACE TEMP TABLE __alloc_rows AS SELECT *, " + shared +
                    " AS x_SharedCost FROM " + rows,
                "allocating focus_costs");

    step.emplace("allocation: weights");
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __alloc_weights (rule VARCHAR, period TIMESTAMP, target "
        "VARCHAR, weight HUGEINT)");
    for (const auto& s : allocation.shared) {
      const config::Dimension& dim = *allocation.find_dimension(s.split_by);
      con.execute("INSERT INTO __alloc_weights " + weights_sql(con, s, dim),
                  "weighing targets of shared cost " + s.name);
    }
    // Per rule and month: its targets in name order with their weights, and the FOCUS
    // AllocatedMethodDetails / AllocatedTags of each, built once per target, not per row.
    std::vector<std::string> targets;
    for (const auto& s : allocation.shared) {
      targets.push_back(
          "SELECT rule, period, list(target ORDER BY target) AS targets, list(weight ORDER BY "
          "target) AS weights, total_weight, list(details ORDER BY target) AS details, "
          "list(allocated_tags ORDER BY target) AS allocated_tags FROM (SELECT p.*, " +
          method_details(s) + " AS details, json_object(" + quote_literal(s.split_by) +
          ", p.target) AS allocated_tags FROM (SELECT *, sum(weight) OVER (PARTITION BY period) "
          "AS total_weight FROM __alloc_weights WHERE rule = " +
          quote_literal(s.name) + " AND weight > 0) p) GROUP BY rule, period, total_weight");
    }
    con.execute("CREATE OR REPLACE TEMP TABLE __alloc_targets AS " + join(targets, " UNION ALL "),
                "listing targets of shared costs");
    warehouse::Result counts = con.query(
        "SELECT count(*), count(t.rule), coalesce(sum(len(t.targets)), 0) FROM __alloc_rows r "
        "LEFT JOIN __alloc_targets t ON t.rule = r.x_SharedCost AND t.period = "
        "date_trunc('month', r.ChargePeriodStart) WHERE r.x_SharedCost IS NOT NULL",
        "counting shared costs");
    summary.shared_rows = counts.int64(0, 0);
    summary.split_rows = counts.int64(0, 2);
    summary.unsplit_rows = summary.shared_rows - counts.int64(0, 1);

    step.emplace("allocation: unshared rows");
    // Rows no rule shared, and shared rows with no target in their month, are kept whole.
    con.execute("CREATE OR REPLACE TABLE cost_allocated AS SELECT *" + excluded +
                    " FROM __alloc_rows r ANTI JOIN __alloc_targets t ON t.rule = "
                    "r.x_SharedCost AND t.period = date_trunc('month', r.ChargePeriodStart)",
                "allocating unshared costs");

    step.emplace("allocation: split");
    std::vector<std::string> replaced = {"AllocatedMethodId", "AllocatedMethodDetails",
                                         "AllocatedResourceId", "AllocatedResourceName",
                                         "AllocatedTags", "__total", "__target", "__weight",
                                         "__detail", "__allocated_tag"};
    std::vector<std::string> parts;
    for (size_t i = 0; i < split_columns().size(); ++i) {
      std::string n = std::to_string(i);
      std::string c = quote_ident(split_columns()[i]);
      for (std::string h : {"__f", "__e", "__u", "__unit", "__a", "__sign", "__left", "__kth",
                            "__part"})
        replaced.push_back(h + n);
      replaced.push_back(c);
      parts.push_back(units_to_decimal("(__sign" + n + " * __part" + n + " * __unit" + n + ")") +
                      " AS " + c);
    }
    std::vector<std::string> splits;
    for (const auto& s : allocation.shared) {
      std::string d = quote_ident(s.split_by);
      std::string split = "(SELECT * EXCLUDE (" + join(replaced, ", ") + ", " + d + "), " +
                          join(parts, ", ") + ", __target AS " + d +
                          ", x_SharedCost AS AllocatedMethodId, __detail AS "
                          "AllocatedMethodDetails, " +
                          quote_literal(s.split_by + ":") +
                          " || __target AS AllocatedResourceId, __target AS "
                          "AllocatedResourceName, __allocated_tag AS AllocatedTags FROM (" +
                          split_sql(s.name) + "))";
      // Dimensions that read the split dimension follow the new value (e.g. product from team).
      for (const auto* dependent : sql.dependents_of(s.split_by)) {
        split = "(SELECT * REPLACE (" + sql.dimension_case(*dependent) + " AS " +
                quote_ident(dependent->name) + ") FROM " + split + ")";
      }
      splits.push_back("SELECT *" + excluded + " FROM " + split);
    }
    con.execute("INSERT INTO cost_allocated BY NAME " + join(splits, " UNION ALL BY NAME "),
                "writing split rows of shared costs");
    con.execute(
        "DROP TABLE __alloc_rows; DROP TABLE __alloc_weights; DROP TABLE __alloc_targets");
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
