#include "warehouse/cost_query.hpp"

#include <regex>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

std::string cost_column(const std::string& cost) {
  if (cost == "billed") return "BilledCost";
  if (cost == "effective") return "EffectiveCost";
  if (cost == "list") return "ListCost";
  if (cost == "contracted") return "ContractedCost";
  throw UsageError("unknown cost metric '" + cost + "' (use billed, effective, list or contracted)");
}

std::string range_start(const std::string& date, const std::string& what) {
  static const std::regex month(R"(\d{4}-(0[1-9]|1[0-2]))");
  static const std::regex day(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  if (std::regex_match(date, month)) return "TIMESTAMP " + quote_literal(date + "-01");
  if (std::regex_match(date, day)) return "TIMESTAMP " + quote_literal(date);
  throw UsageError(what + " must be YYYY-MM or YYYY-MM-DD, not '" + date + "'");
}

std::string range_end(const std::string& date, const std::string& what) {
  std::string start = range_start(date, what);
  return "(" + start + (date.size() == 7 ? " + INTERVAL 1 MONTH)" : " + INTERVAL 1 DAY)");
}

std::string tag_lookup(const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "json_extract_string(Tags, " + quote_literal("$.\"" + escaped + "\"") + ")";
}

std::string dimension_expression(Connection& connection, const std::string& table, const std::string& dimension) {
  if (dimension.starts_with("tag:")) {
    std::string key = dimension.substr(4);
    if (key.empty()) throw UsageError("tag: needs a key, e.g. --by tag:team");
    return "coalesce(" + tag_lookup(key) + ", '(untagged)')";
  }
  auto q = connection.prepare(
      "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND lower(column_name) = lower(?)");
  Result r = q.bind(1, table).bind(2, dimension).execute();
  if (r.row_count() == 0) {
    throw UsageError("unknown dimension '" + dimension + "': use a column of " + table +
                     " (e.g. ServiceName, SubAccountId, RegionId) or tag:KEY");
  }
  return quote_ident(r.text(0, 0));
}

std::string cost_where(Connection& connection, const CostQuery& query) {
  std::string where = "WHERE true";
  std::string time = quote_ident(query.time_column);
  if (query.from) where += " AND " + time + " >= " + range_start(*query.from, "from");
  if (query.to) where += " AND " + time + " < " + range_end(*query.to, "to");
  for (const auto& f : query.filters) {
    std::string expr = "CAST(" + dimension_expression(connection, query.table, f.dimension) + " AS VARCHAR)";
    std::vector<std::string> literals;
    bool null_wanted = false;
    for (const auto& v : f.values) {
      if (v == "(null)") {
        null_wanted = true;
      } else {
        literals.push_back(quote_literal(v));
      }
    }
    std::vector<std::string> any;
    if (!literals.empty()) any.push_back(expr + " IN (" + common::join(literals, ", ") + ")");
    if (null_wanted) any.push_back(expr + " IS NULL");
    if (any.empty()) continue;
    std::string match = "(" + common::join(any, " OR ") + ")";
    // NOT (x IN …) is NULL for a NULL x: an excluded list keeps the NULL rows explicitly.
    where += f.exclude ? " AND (NOT coalesce(" + match + ", false))" : " AND " + match;
  }
  return where;
}

std::string shape_costs_sql(const CostQuery& query, size_t dim_count, const std::string& base) {
  bool by_period = !query.granularity.empty();
  std::vector<std::string> outer_cols, outer_group;
  if (by_period) outer_cols.push_back("period");
  std::string top_cte, top_join;
  for (size_t i = 0; i < dim_count; ++i) {
    std::string g = quote_ident("g" + std::to_string(i));
    std::string name = quote_ident(query.group_by[i]);
    if (query.top > 0) {
      outer_cols.push_back("CASE WHEN t.keep THEN CAST(b." + g + " AS VARCHAR) ELSE '(other)' END AS " + name);
    } else {
      outer_cols.push_back("b." + g + " AS " + name);
    }
  }
  if (query.top > 0 && dim_count > 0) {
    std::vector<std::string> gs, on;
    for (size_t i = 0; i < dim_count; ++i) {
      std::string g = quote_ident("g" + std::to_string(i));
      gs.push_back(g);
      on.push_back("b." + g + " IS NOT DISTINCT FROM t." + g);
    }
    top_cte = ", top AS (SELECT " + common::join(gs, ", ") + ", true AS keep FROM base GROUP BY " +
              common::join(gs, ", ") + " ORDER BY sum(cost) DESC, " + common::join(gs, ", ") + " LIMIT " +
              std::to_string(query.top) + ")";
    top_join = " LEFT JOIN top t ON " + common::join(on, " AND ");
  }
  for (size_t i = 0; i < outer_cols.size(); ++i) outer_group.push_back(std::to_string(i + 1));
  std::string sql = "WITH base AS (" + base + ")" + top_cte + " SELECT " +
                    (outer_cols.empty() ? std::string() : common::join(outer_cols, ", ") + ", ") +
                    "coalesce(sum(b.cost), 0) AS cost, coalesce(sum(b.rows), 0)::BIGINT AS rows FROM base b" +
                    top_join + (outer_group.empty() ? "" : " GROUP BY " + common::join(outer_group, ", "));
  sql += " ORDER BY " + std::string(by_period ? "period, " : "") + "cost DESC";
  for (size_t i = 0; i < dim_count; ++i) sql += ", " + std::to_string(i + 1 + (by_period ? 1 : 0));

  return sql;
}

CostBreakdown query_costs(Connection& connection, const CostQuery& query) {
  std::string cost = cost_column(query.cost);
  bool by_period = !query.granularity.empty();
  if (by_period && query.granularity != "day" && query.granularity != "month") {
    throw UsageError("granularity must be day or month, not '" + query.granularity + "'");
  }
  std::vector<std::string> dims;  // SQL expressions, one per group_by entry
  for (const auto& dim : query.group_by) dims.push_back(dimension_expression(connection, query.table, dim));
  std::string where = cost_where(connection, query);
  std::string from = " FROM " + quote_ident(query.table) + " " + where;

  // base: one row per (period, group); the outer query folds groups outside the top N into
  // "(other)" and orders the result.
  std::vector<std::string> base_cols, group_refs;
  if (by_period) {
    base_cols.push_back("CAST(date_trunc(" + quote_literal(query.granularity) + ", " +
                        quote_ident(query.time_column) + ") AS DATE) AS period");
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    base_cols.push_back(dims[i] + " AS " + quote_ident("g" + std::to_string(i)));
  }
  for (size_t i = 0; i < base_cols.size(); ++i) group_refs.push_back(std::to_string(i + 1));
  std::string base = "SELECT " + (base_cols.empty() ? std::string() : common::join(base_cols, ", ") + ", ") +
                     "coalesce(sum(" + cost + "), 0) AS cost, " + query.rows_expression + " AS rows" + from +
                     (group_refs.empty() ? "" : " GROUP BY " + common::join(group_refs, ", "));

  std::string sql = shape_costs_sql(query, dims.size(), base);

  CostBreakdown out;
  out.rows = connection.query(sql, "computing costs");
  Result total = connection.query("SELECT coalesce(sum(" + cost + "), 0), " + query.rows_expression + from,
                                  "computing total");
  out.total_cost = total.text(0, 0);
  out.total_rows = total.int64(0, 1);
  return out;
}

}  // namespace billingfoot::warehouse
