// The ClickHouse implementation of the warehouse reader. Aggregates run in ClickHouse; their
// (small) results are copied into an in-memory DuckDB, where the shaping that every backend
// shares (top N and "(other)", ordering, change percentages, exact totals) happens.
//
// ClickHouse 18.16 (Debian 12) is the oldest release this must work with: no window functions,
// no positional GROUP BY, and an aggregate over no rows yields a default value, not NULL.
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "warehouse/clickhouse.hpp"
#include "warehouse/clickhouse_sql.hpp"
#include "warehouse/reader.hpp"

namespace billingfoot::warehouse {

namespace {

// DuckDB's type for a ClickHouse column type (results copied into DuckDB keep their meaning:
// exact decimals stay decimals, dates stay dates).
std::string duck_type_of(std::string t) {
  auto unwrap = [&](const std::string& wrapper) {
    if (t.starts_with(wrapper + "(") && t.ends_with(")"))
      t = t.substr(wrapper.size() + 1, t.size() - wrapper.size() - 2);
  };
  unwrap("LowCardinality");
  unwrap("Nullable");
  if (t.starts_with("Decimal(")) return "DECIMAL" + t.substr(7);
  if (t.starts_with("DateTime")) return "TIMESTAMP";
  if (t == "Date") return "DATE";
  if (t == "Int8") return "TINYINT";
  if (t == "Int16") return "SMALLINT";
  if (t == "Int32") return "INTEGER";
  if (t == "Int64") return "BIGINT";
  if (t == "UInt8") return "BOOLEAN";  // how billingfoot stores BOOLEAN; also comparisons
  if (t == "UInt16") return "USMALLINT";
  if (t == "UInt32") return "UINTEGER";
  if (t == "UInt64") return "UBIGINT";
  if (t == "Float32") return "FLOAT";
  if (t == "Float64") return "DOUBLE";
  return "VARCHAR";  // String, FixedString, arrays and anything else as its text
}

// Columns the writer adds for grouping by tag; not part of the table's FOCUS shape.
bool internal_column(const std::string& name) {
  return name == "x_TagKeys" || name == "x_TagValues";
}

// [start, end) of an inclusive YYYY-MM or YYYY-MM-DD, as Date (for a DATE column such as the
// rollup's `day`) or DateTime('UTC') expressions.
std::string ch_range_start(const std::string& date, const std::string& what, bool as_date) {
  range_start(date, what);  // validates
  std::string day = date.size() == 7 ? date + "-01" : date;
  return as_date ? "toDate(" + ch_literal(day) + ")"
                 : "toDateTime(" + ch_literal(day + " 00:00:00") + ", 'UTC')";
}
std::string ch_range_end(const std::string& date, const std::string& what, bool as_date) {
  std::string start = ch_range_start(date, what, as_date);
  return date.size() == 7 ? "addMonths(" + start + ", 1)" : "addDays(" + start + ", 1)";
}

class ClickHouseReader final : public Reader {
 public:
  explicit ClickHouseReader(ClickHouse& ch)
      : ch_(ch), db_(Database::open(":memory:")), scratch_(db_.connect()) {}

  std::string backend() const override { return "clickhouse"; }

  bool has_table(const std::string& table) override { return !columns(table).empty(); }

  std::vector<ColumnInfo> columns(const std::string& table) override {
    auto cached = columns_.find(table);
    if (cached != columns_.end()) return cached->second;
    ClickHouseResult r =
        ch_.query("SELECT name, type FROM system.columns WHERE database = " +
                      ch_literal(ch_.settings().database) + " AND table = " + ch_literal(table),
                  "reading the columns of " + table);
    // The model tables were copied from DuckDB with their DuckDB types on record.
    std::map<std::string, std::string> recorded;
    if (!r.rows.empty() && table_exists("mirror_columns")) {
      ClickHouseResult types = ch_.query(
          "SELECT name, argMax(duck_type, published_at) FROM mirror_columns WHERE table = " +
              ch_literal(table) + " GROUP BY name",
          "reading the column types of " + table);
      for (const auto& t : types.rows) recorded[t.at(0).value_or("")] = t.at(1).value_or("");
    }
    std::vector<ColumnInfo> out;
    for (const auto& row : r.rows) {
      std::string name = row.at(0).value_or("");
      if (name == "x_TagKeys") tagged_.insert(table);
      if (internal_column(name)) continue;
      auto known = recorded.find(name);
      out.push_back(
          {name, known != recorded.end() ? known->second : duck_type_of(row.at(1).value_or(""))});
    }
    columns_[table] = out;
    return out;
  }

  void check_dimension(const std::string& table, const std::string& dimension) override {
    dimension_of(table, dimension);
  }

  // As on DuckDB: the daily rollup (copied from the writer's models) answers a query on the
  // charge tables when it holds every dimension the query groups or filters by.
  bool use_rollup_when_possible(CostQuery& query) override {
    if (query.table != "focus_costs" && query.table != "cost_allocated") return false;
    std::vector<ColumnInfo> rollup = columns("cost_daily");
    if (rollup.empty()) return false;
    auto covered = [&](const std::string& dim) {
      for (const auto& c : rollup) {
        if (common::iequals(c.name, dim)) return true;
      }
      return false;
    };
    for (const auto& d : query.group_by) {
      if (!covered(d)) return false;
    }
    for (const auto& f : query.filters) {
      if (!covered(f.dimension)) return false;
    }
    query.table = "cost_daily";
    query.time_column = "day";
    query.rows_expression = "sum(rows)";
    return true;
  }

  CostBreakdown costs(const CostQuery& query) override {
    std::string cost = cost_column(query.cost);
    bool by_period = !query.granularity.empty();
    if (by_period && query.granularity != "day" && query.granularity != "month") {
      throw UsageError("granularity must be day or month, not '" + query.granularity + "'");
    }
    std::vector<std::string> select, group, defs;
    if (by_period) {
      select.push_back(std::string(query.granularity == "day" ? "toDate" : "toStartOfMonth") +
                       "(assumeNotNull(" + ch_ident(query.time_column) + ")) AS period");
      group.push_back("period");
      defs.push_back("period DATE");
    }
    for (size_t i = 0; i < query.group_by.size(); ++i) {
      std::string g = "g" + std::to_string(i);
      select.push_back("toString(" + dimension_of(query.table, query.group_by[i]) + ") AS " + g);
      group.push_back(g);
      defs.push_back(g + " VARCHAR");
    }
    select.push_back("toString(sum(" + ch_ident(cost) + ")) AS cost");
    // A rollup row stands for several charges (rows_expression "sum(rows)").
    select.push_back(query.rows_expression == "count(*)" ? "count() AS rows"
                                                         : "ifNull(sum(rows), 0) AS rows");
    defs.push_back("cost DECIMAL(38, 10)");
    defs.push_back("rows BIGINT");
    std::string sql = "SELECT " + common::join(select, ", ") + " FROM " + ch_ident(query.table) +
                      " " + where_of(query);
    if (!group.empty()) sql += " GROUP BY " + common::join(group, ", ");
    std::string base = load(ch_.query(sql, "computing costs"), defs);

    CostBreakdown out;
    out.rows = scratch_.query(
        shape_costs_sql(query, query.group_by.size(), "SELECT * FROM " + base), "ordering costs");
    Result total = scratch_.query(
        "SELECT coalesce(sum(cost), 0), coalesce(sum(rows), 0)::BIGINT FROM " + base);
    out.total_cost = total.text(0, 0);
    out.total_rows = total.int64(0, 1);
    return out;
  }

  Result compare(const CostQuery& base, const std::string& dimension, const DayRange& current,
                 const DayRange& previous, bool by_change, size_t limit) override {
    std::string cost = ch_ident(cost_column(base.cost));
    std::string t = ch_ident(base.time_column);
    bool date = is_date(base);
    auto in = [&](const DayRange& r) {
      return "(" + t + " >= " + ch_range_start(r.from, "from", date) + " AND " + t + " < " +
             ch_range_end(r.to, "to", date) + ")";
    };
    CostQuery q = base;
    q.from.reset();
    q.to.reset();
    std::string sql = "SELECT toString(" + dimension_of(base.table, dimension) +
                      ") AS value, toString(sumIf(" + cost + ", " + in(current) +
                      ")) AS cur, toString(sumIf(" + cost + ", " + in(previous) +
                      ")) AS prev FROM " + ch_ident(base.table) + " " + where_of(q) + " AND (" +
                      in(current) + " OR " + in(previous) + ") GROUP BY value";
    std::string table =
        load(ch_.query(sql, "comparing periods"),
             {"value VARCHAR", "current_cost DECIMAL(38, 10)", "previous_cost DECIMAL(38, 10)"});
    // The same shaping as the DuckDB reader's.
    return scratch_.query(
        "SELECT value AS " + common::quote_ident(dimension) +
            ", current_cost, previous_cost, current_cost - previous_cost AS change, CASE WHEN "
            "previous_cost = 0 THEN NULL ELSE round(100 * CAST(current_cost - previous_cost AS "
            "DOUBLE) / CAST(previous_cost AS DOUBLE), 1) END AS change_pct FROM " +
            table + " ORDER BY " + (by_change ? "abs(change) DESC" : "current_cost DESC") +
            ", 1 LIMIT " + std::to_string(limit),
        "comparing periods");
  }

  std::optional<DayRange> span(const CostQuery& query) override {
    std::string t = ch_ident(query.time_column);
    ClickHouseResult r =
        ch_.query("SELECT count(), toString(toDate(min(assumeNotNull(" + t +
                      ")))), toString(toDate(max(assumeNotNull(" + t + ")))) FROM " +
                      ch_ident(query.table) + " WHERE isNotNull(" + t + ")",
                  "finding the data's first and last day");
    if (r.rows.empty() || r.rows[0][0].value_or("0") == "0") return std::nullopt;
    return DayRange{r.rows[0][1].value_or(""), r.rows[0][2].value_or("")};
  }

  int64_t distinct_count(const std::string& table, const std::string& column) override {
    dimension_of(table, column);
    ClickHouseResult r =
        ch_.query("SELECT uniqExact(" + ch_ident(column) + ") FROM " + ch_ident(table),
                  "counting values of " + column);
    return std::stoll(r.rows.at(0).at(0).value_or("0"));
  }

  std::vector<std::string> tag_keys(const std::string& table, size_t limit) override {
    columns(table);
    if (!tagged_.count(table)) return {};
    ClickHouseResult r = ch_.query(
        "SELECT k FROM (SELECT arrayJoin(x_TagKeys) AS k FROM (SELECT x_TagKeys FROM " +
            ch_ident(table) + " WHERE notEmpty(x_TagKeys) LIMIT 200000)) GROUP BY k ORDER BY " +
            "count() DESC, k LIMIT " + std::to_string(limit),
        "listing tag keys");
    std::vector<std::string> out;
    for (const auto& row : r.rows) out.push_back(row.at(0).value_or(""));
    return out;
  }

  Result table_rows(const std::string& table, size_t limit) override {
    std::vector<ColumnInfo> cols = columns(table);
    if (cols.empty())
      throw ClickHouseError("reading " + table + ": no such table in ClickHouse " + ch_.describe());
    std::vector<std::string> names, defs;
    for (const auto& c : cols) {
      names.push_back(ch_ident(c.name));
      defs.push_back(common::quote_ident(c.name) + " " + c.type);
    }
    // DuckDB's ORDER BY ALL puts NULLs last, as ClickHouse does.
    ClickHouseResult r =
        ch_.query("SELECT " + common::join(names, ", ") + " FROM " + ch_ident(table) +
                      " ORDER BY " + common::join(names, ", ") + " LIMIT " + std::to_string(limit),
                  "reading " + table);
    return scratch_.query("SELECT * EXCLUDE (bf_ord) FROM " + load(r, defs) + " ORDER BY bf_ord");
  }

  LimitedResult read_only(const std::string& sql, size_t max_rows,
                          std::chrono::milliseconds timeout) override {
    std::string text = common::trim(sql);
    while (!text.empty() && text.back() == ';')
      text = common::trim(text.substr(0, text.size() - 1));
    // readonly=1: ClickHouse itself refuses anything but reading (and table functions, which
    // could reach files or other servers); limits and a time limit on top.
    std::string settings = "readonly=1&max_execution_time=" +
                           std::to_string(std::max<int64_t>(1, (timeout.count() + 999) / 1000));
    ClickHouseResult r;
    try {
      r = ch_.query_with_settings(
          "SELECT * FROM (" + text + "\n) LIMIT " + std::to_string(max_rows + 1), settings,
          "running the query");
    } catch (const ClickHouseError& e) {
      std::string m = e.what();
      if (m.find("TIMEOUT_EXCEEDED") != std::string::npos ||
          m.find("Timeout exceeded") != std::string::npos)
        throw QueryTimedOut("query cancelled: it ran longer than " +
                            std::to_string(timeout.count()) + " ms");
      if (m.find("readonly") != std::string::npos || m.find("READONLY") != std::string::npos ||
          m.find("forbidden") != std::string::npos)
        throw QueryRefused("query refused: " + m);
      throw UsageError("query failed: " + m);
    }
    LimitedResult out;
    out.truncated = r.rows.size() > max_rows;
    if (out.truncated) r.rows.resize(max_rows);
    std::vector<std::string> defs;
    for (size_t i = 0; i < r.names.size(); ++i)
      defs.push_back(common::quote_ident(r.names[i]) + " " + duck_type_of(r.types.at(i)));
    out.result =
        scratch_.query("SELECT * EXCLUDE (bf_ord) FROM " + load(r, defs) + " ORDER BY bf_ord");
    return out;
  }

  void check_sql(const std::string&) override {}

  std::string loads_table() override {
    std::vector<std::string> defs = {"load_id VARCHAR",
                                     "source VARCHAR",
                                     "billing_period VARCHAR",
                                     "fingerprint VARCHAR",
                                     "rows BIGINT",
                                     "billed_cost DECIMAL(38,10)",
                                     "effective_cost DECIMAL(38,10)",
                                     "started_at TIMESTAMP",
                                     "finished_at TIMESTAMP",
                                     "status VARCHAR",
                                     "message VARCHAR"};
    ClickHouseResult r;
    if (table_exists("loads")) {
      r = ch_.query(
          "SELECT load_id, source, billing_period, fingerprint, rows, billed_cost, "
          "effective_cost, published_at, published_at, 'ok', concat('published to ClickHouse "
          "by ', publisher) FROM loads",
          "reading loads");
    }
    return load(r, defs);
  }
  Connection& scratch() override { return scratch_; }

 private:
  // Whether the query's time column is a DATE (the rollup's day) rather than a timestamp.
  bool is_date(const CostQuery& query) {
    for (const auto& c : columns(query.table)) {
      if (c.name == query.time_column) return c.type == "DATE";
    }
    return false;
  }

  bool table_exists(const std::string& table) {
    ClickHouseResult r =
        ch_.query("SELECT count() FROM system.tables WHERE database = " +
                      ch_literal(ch_.settings().database) + " AND name = " + ch_literal(table),
                  "looking for table " + table);
    return r.rows.at(0).at(0).value_or("0") != "0";
  }

  // The ClickHouse expression of a dimension of `table`: a column or tag:KEY.
  std::string dimension_of(const std::string& table, const std::string& dimension) {
    if (dimension.starts_with("tag:")) {
      std::string key = dimension.substr(4);
      if (key.empty()) throw UsageError("tag: needs a key, e.g. --by tag:team");
      return "if(has(x_TagKeys, " + ch_literal(key) + "), x_TagValues[indexOf(x_TagKeys, " +
             ch_literal(key) + ")], '(untagged)')";
    }
    for (const auto& c : columns(table)) {
      if (common::iequals(c.name, dimension)) return ch_ident(c.name);
    }
    throw UsageError("unknown dimension '" + dimension + "': use a column of " + table +
                     " (e.g. ServiceName, SubAccountId, RegionId) or tag:KEY");
  }

  std::string where_of(const CostQuery& query) {
    std::string t = ch_ident(query.time_column);
    std::string where = "WHERE 1";
    bool date = is_date(query);
    if (query.from) where += " AND " + t + " >= " + ch_range_start(*query.from, "from", date);
    if (query.to) where += " AND " + t + " < " + ch_range_end(*query.to, "to", date);
    for (const auto& f : query.filters) {
      std::string expr = "toString(" + dimension_of(query.table, f.dimension) + ")";
      std::vector<std::string> literals, any;
      bool null_wanted = false;
      for (const auto& v : f.values) {
        if (v == "(null)") {
          null_wanted = true;
        } else {
          literals.push_back(ch_literal(v));
        }
      }
      if (!literals.empty()) any.push_back(expr + " IN (" + common::join(literals, ", ") + ")");
      if (null_wanted) any.push_back("isNull(" + expr + ")");
      if (any.empty()) continue;
      std::string match = "(" + common::join(any, " OR ") + ")";
      // As in DuckDB: an excluded list keeps the rows whose value is NULL.
      where += f.exclude ? " AND NOT ifNull(" + match + ", 0)" : " AND ifNull(" + match + ", 0)";
    }
    return where;
  }

  // Copies a ClickHouse result into a new temp table of the scratch DuckDB with the column
  // definitions `defs` plus bf_ord (the row's position); returns the table's name.
  std::string load(const ClickHouseResult& r, std::vector<std::string> defs) {
    std::string name = "ch_result_" + std::to_string(++tables_);
    defs.push_back("bf_ord BIGINT");
    scratch_.execute("CREATE TEMP TABLE " + name + " (" + common::join(defs, ", ") + ")");
    auto app = scratch_.appender(name);
    int64_t ord = 0;
    for (const auto& row : r.rows) {
      for (const auto& cell : row) {
        if (cell)
          app.append(*cell);
        else
          app.append_null();
      }
      app.append(ord++);
      app.end_row();
    }
    app.flush();
    return name;
  }

  ClickHouse& ch_;
  Database db_;
  Connection scratch_;
  std::map<std::string, std::vector<ColumnInfo>> columns_;
  std::set<std::string> tagged_;  // tables with the x_TagKeys / x_TagValues arrays
  int tables_ = 0;
};

}  // namespace

std::unique_ptr<Reader> clickhouse_reader(ClickHouse& clickhouse) {
  return std::make_unique<ClickHouseReader>(clickhouse);
}

}  // namespace billingfoot::warehouse
