#include "warehouse/cost_query.hpp"

#include <regex>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

namespace {

std::string cost_column(const std::string& cost) {
  if (cost == "billed") return "BilledCost";
  if (cost == "effective") return "EffectiveCost";
  if (cost == "list") return "ListCost";
  if (cost == "contracted") return "ContractedCost";
  throw UsageError("unknown cost metric '" + cost + "' (use billed, effective, list or contracted)");
}

// Lower bound (inclusive) of a YYYY-MM / YYYY-MM-DD date as a SQL timestamp expression.
std::string start_of(const std::string& date, const char* flag) {
  static const std::regex month(R"(\d{4}-(0[1-9]|1[0-2]))");
  static const std::regex day(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  if (std::regex_match(date, month)) return "TIMESTAMP " + quote_literal(date + "-01");
  if (std::regex_match(date, day)) return "TIMESTAMP " + quote_literal(date);
  throw UsageError(std::string(flag) + " must be YYYY-MM or YYYY-MM-DD, not '" + date + "'");
}

// Exclusive upper bound of an inclusive YYYY-MM / YYYY-MM-DD.
std::string end_of(const std::string& date) {
  std::string start = start_of(date, "--to");
  return "(" + start + (date.size() == 7 ? " + INTERVAL 1 MONTH)" : " + INTERVAL 1 DAY)");
}

}  // namespace

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

CostBreakdown query_costs(Connection& connection, const CostQuery& query) {
  std::string cost = cost_column(query.cost);
  std::vector<std::string> select, group;
  if (!query.granularity.empty()) {
    if (query.granularity != "day" && query.granularity != "month") {
      throw UsageError("--granularity must be day or month, not '" + query.granularity + "'");
    }
    select.push_back("CAST(date_trunc(" + quote_literal(query.granularity) + ", ChargePeriodStart) AS DATE) AS period");
    group.push_back("1");
  }
  for (const auto& dim : query.group_by) {
    select.push_back(dimension_expression(connection, query.table, dim) + " AS " + quote_ident(dim));
    group.push_back(std::to_string(select.size()));
  }
  std::string where = "WHERE true";
  for (const auto& [dim, value] : query.where_equals) {
    where += " AND " + dimension_expression(connection, query.table, dim) + " = " + quote_literal(value);
  }
  if (query.from) where += " AND ChargePeriodStart >= " + start_of(*query.from, "--from");
  if (query.to) where += " AND ChargePeriodStart < " + end_of(*query.to);

  std::string from = " FROM " + quote_ident(query.table) + " " + where;
  std::string sql = "SELECT " + (select.empty() ? std::string() : common::join(select, ", ") + ", ") +
                    "coalesce(sum(" + cost + "), 0) AS cost, count(*) AS rows" + from;
  if (!group.empty()) sql += " GROUP BY " + common::join(group, ", ");
  sql += " ORDER BY " + std::string(query.granularity.empty() ? "" : "period, ") + "cost DESC";
  for (size_t i = 0; i < query.group_by.size(); ++i) sql += ", " + std::to_string(i + 1 + (query.granularity.empty() ? 0 : 1));

  CostBreakdown out;
  out.rows = connection.query(sql, "computing costs");
  Result total = connection.query("SELECT coalesce(sum(" + cost + "), 0), count(*)" + from, "computing total");
  out.total_cost = total.text(0, 0);
  out.total_rows = total.int64(0, 1);
  return out;
}

}  // namespace billingfoot::warehouse
