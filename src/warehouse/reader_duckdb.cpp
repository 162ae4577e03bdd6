// The DuckDB implementation of the warehouse reader: plain SQL on the warehouse file.
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "warehouse/reader.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

namespace {

class DuckDbReader final : public Reader {
 public:
  DuckDbReader(Connection& connection, std::function<bool(Connection&, CostQuery&)> rollup)
      : con_(connection), rollup_(std::move(rollup)) {}

  std::string backend() const override { return "duckdb"; }

  bool has_table(const std::string& table) override {
    auto q = con_.prepare(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND "
        "table_name = ?");
    return q.bind(1, table).execute().int64(0, 0) > 0;
  }

  std::vector<ColumnInfo> columns(const std::string& table) override {
    auto q = con_.prepare(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "'main' AND table_name = ? ORDER BY ordinal_position");
    Result r = q.bind(1, table).execute();
    std::vector<ColumnInfo> out;
    for (size_t i = 0; i < r.row_count(); ++i) out.push_back({r.text(i, 0), r.text(i, 1)});
    return out;
  }

  void check_dimension(const std::string& table, const std::string& dimension) override {
    dimension_expression(con_, table, dimension);
  }

  bool use_rollup_when_possible(CostQuery& query) override {
    return rollup_ && rollup_(con_, query);
  }

  CostBreakdown costs(const CostQuery& query) override { return query_costs(con_, query); }

  Result compare(const CostQuery& base, const std::string& dimension, const DayRange& current,
                 const DayRange& previous, bool by_change, size_t limit) override {
    std::string cost = cost_column(base.cost);
    std::string dim = dimension_expression(con_, base.table, dimension);
    auto side = [&](const DayRange& r) {
      CostQuery q = base;
      q.from = r.from;
      q.to = r.to;
      return "SELECT " + dim + " AS value, sum(" + cost + ") AS c FROM " + quote_ident(base.table) +
             " " + cost_where(con_, q) + " GROUP BY 1";
    };
    std::string sql =
        "WITH cur AS (" + side(current) + "), prev AS (" + side(previous) +
        "), joined AS (SELECT value, coalesce(cur.c, 0) AS current_cost, coalesce(prev.c, 0) AS "
        "previous_cost FROM cur FULL JOIN prev USING (value)) SELECT value AS " +
        quote_ident(dimension) +
        ", current_cost, previous_cost, current_cost - previous_cost AS change, CASE WHEN "
        "previous_cost = 0 THEN NULL ELSE round(100 * CAST(current_cost - previous_cost AS "
        "DOUBLE) / CAST(previous_cost AS DOUBLE), 1) END AS change_pct FROM joined ORDER BY " +
        (by_change ? "abs(change) DESC" : "current_cost DESC") + ", 1 LIMIT " +
        std::to_string(limit);
    return con_.query(sql, "comparing periods");
  }

  std::optional<DayRange> span(const CostQuery& query) override {
    std::string t = quote_ident(query.time_column);
    Result r = con_.query("SELECT CAST(CAST(min(" + t + ") AS DATE) AS VARCHAR), CAST(CAST(max(" +
                              t + ") AS DATE) AS VARCHAR) FROM " + quote_ident(query.table),
                          "finding the data's first and last day");
    if (r.is_null(0, 1)) return std::nullopt;
    return DayRange{r.text(0, 0), r.text(0, 1)};
  }

  int64_t distinct_count(const std::string& table, const std::string& column) override {
    return con_
        .query("SELECT count(DISTINCT " + quote_ident(column) + ") FROM " + quote_ident(table),
               "counting values of " + column)
        .int64(0, 0);
  }

  std::vector<std::string> tag_keys(const std::string& table, size_t limit) override {
    // From a sample of tagged rows (a full scan of Tags would be slow on big tables).
    Result tags = con_.query(
        "SELECT k FROM (SELECT unnest(json_keys(Tags)) AS k FROM (SELECT Tags FROM " +
            quote_ident(table) + " WHERE Tags IS NOT NULL LIMIT 200000)) GROUP BY k ORDER BY " +
            "count(*) DESC, k LIMIT " + std::to_string(limit),
        "listing tag keys");
    std::vector<std::string> out;
    for (size_t i = 0; i < tags.row_count(); ++i) out.push_back(tags.text(i, 0));
    return out;
  }

  Result table_rows(const std::string& table, size_t limit) override {
    return con_.query(
        "SELECT * FROM " + quote_ident(table) + " ORDER BY ALL LIMIT " + std::to_string(limit),
        "reading " + table);
  }

  LimitedResult read_only(const std::string& sql, size_t max_rows,
                          std::chrono::milliseconds timeout) override {
    return run_read_only_limited(con_, sql, max_rows, timeout);
  }

  void check_sql(const std::string& sql) override { con_.prepare(sql, "checking the SQL"); }

  std::string loads_table() override { return "loads"; }
  Connection& scratch() override { return con_; }

 private:
  Connection& con_;
  std::function<bool(Connection&, CostQuery&)> rollup_;
};

}  // namespace

std::unique_ptr<Reader> duckdb_reader(Connection& connection,
                                      std::function<bool(Connection&, CostQuery&)> rollup) {
  return std::make_unique<DuckDbReader>(connection, std::move(rollup));
}

}  // namespace billingfoot::warehouse
