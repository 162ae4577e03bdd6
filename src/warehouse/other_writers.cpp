#include "warehouse/other_writers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/strings.hpp"
#include "warehouse/clickhouse_sql.hpp"

namespace billingfoot::warehouse {

using common::quote_ident;
using common::quote_literal;

namespace {

struct Column {
  std::string name, type;  // type: DuckDB's
};

// The charge columns every whole-warehouse model reads (the charge filters, the source's
// completeness), besides the dimensions asked for.
const std::vector<std::string> kAlwaysGrouped = {"x_SourceName",    "x_SourceType",
                                                 "x_BillingPeriod", "ChargeCategory",
                                                 "ChargeClass",     "ChargeFrequency"};
const std::vector<std::string> kTimes = {"ChargePeriodStart", "ChargePeriodEnd"};
const std::vector<std::string> kSums = {"BilledCost", "EffectiveCost", "ListCost",
                                        "ContractedCost"};

std::vector<Column> local_columns(Connection& local, const std::string& db,
                                  const std::string& table) {
  auto q = local.prepare(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? AND "
      "table_schema = 'main' AND table_name = ? ORDER BY ordinal_position");
  Result r = q.bind(1, db).bind(2, table).execute();
  std::vector<Column> out;
  for (size_t i = 0; i < r.row_count(); ++i) out.push_back({r.text(i, 0), r.text(i, 1)});
  return out;
}

const Column* find(const std::vector<Column>& cols, const std::string& name) {
  for (const auto& c : cols) {
    if (common::to_lower(c.name) == common::to_lower(name)) return &c;
  }
  return nullptr;
}

std::string ch_list(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(ch_literal(v));
  return "(" + common::join(quoted, ", ") + ")";
}

std::set<std::string> clickhouse_names(ClickHouse& ch, const std::string& sql,
                                       const std::string& context) {
  std::set<std::string> out;
  for (const auto& row : ch.query(sql, context).rows) out.insert(row.at(0).value_or(""));
  return out;
}

// Runs `sql` on ClickHouse into a CSV file and loads it into the temporary table `table`: the
// CSV's columns are `csv` (in order, read as text), the table's `select` (expressions over them).
void pull(ClickHouse& ch, Connection& local, const std::string& sql,
          const std::vector<std::string>& csv, const std::string& select, const std::string& table,
          const std::filesystem::path& file, const std::string& context) {
  struct Remove {
    const std::filesystem::path& f;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(f, ec);
    }
  } remove{file};
  ch.query_to_csv_file(sql, file, context);
  std::vector<std::string> columns;
  for (const auto& c : csv) columns.push_back(quote_literal(c) + ": 'VARCHAR'");
  local.execute("CREATE TEMP TABLE " + quote_ident(table) + " AS SELECT " + select +
                    " FROM read_csv(" + quote_literal(file.string()) +
                    ", header = true, auto_detect = false, columns = {" +
                    common::join(columns, ", ") +
                    "}, delim = ',', quote = '\"', escape = '\"', nullstr = '\\N', "
                    "allow_quoted_nulls = false)",
                context + ": reading what ClickHouse sent");
}

}  // namespace

OtherWriters::OtherWriters(ClickHouse& ch, Connection& local,
                           const std::vector<std::string>& dimensions,
                           const std::filesystem::path& scratch_dir)
    : local_(local) {
  try {
    attach(ch, dimensions, scratch_dir);
  } catch (...) {
    detach();
    throw;
  }
}

OtherWriters::~OtherWriters() {
  detach();
}

void OtherWriters::detach() noexcept {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    try {
      local_.execute("DROP " + *it);
    } catch (const std::exception& e) {
      spdlog::warn("dropping {}: {}", *it, e.what());
    }
  }
  created_.clear();
}

void OtherWriters::attach(ClickHouse& ch, const std::vector<std::string>& dimensions,
                          const std::filesystem::path& scratch_dir) {
  const std::string db = local_.query("SELECT current_database()").text(0, 0);
  const std::string context =
      "reading the costs other machines published to ClickHouse " + ch.describe();
  ch.create_database();  // a first sync finds none yet (and would create it anyway)
  const std::string in_db = "database = " + ch_literal(ch.settings().database);
  std::set<std::string> remote_tables =
      clickhouse_names(ch,
                       "SELECT name FROM system.tables WHERE " + in_db +
                           " AND name IN ('focus_costs', 'cost_allocated', 'loads')",
                       context);
  if (!remote_tables.count("focus_costs") || !remote_tables.count("loads")) return;

  std::vector<std::string> local_sources;
  {
    Result r = local_.query(
        "SELECT DISTINCT x_SourceName FROM " + quote_ident(db) + ".main.focus_costs ORDER BY 1",
        context);
    for (size_t i = 0; i < r.row_count(); ++i) local_sources.push_back(r.text(i, 0));
  }
  // The sources other machines published (loads is small; focus_costs would be read whole).
  std::set<std::string> others = clickhouse_names(
      ch,
      "SELECT DISTINCT source FROM loads" +
          (local_sources.empty() ? std::string()
                                 : " WHERE source NOT IN " + ch_list(local_sources)),
      context);
  if (others.empty()) return;
  sources_.assign(others.begin(), others.end());
  std::string other_list = ch_list(sources_);

  bool local_allocated = false;  // the local file has cost_allocated
  for (const std::string table : {"focus_costs", "cost_allocated"}) {
    std::vector<Column> cols = local_columns(local_, db, table);
    if (std::string(table) == "cost_allocated") local_allocated = !cols.empty();
    if (cols.empty() || !remote_tables.count(table)) continue;
    std::set<std::string> remote_cols = clickhouse_names(
        ch, "SELECT name FROM system.columns WHERE " + in_db + " AND table = " + ch_literal(table),
        context);

    // The grain: the always-grouped columns and those the dimensions name, as the local table
    // spells them. A column ClickHouse lacks (another machine's source never had it) is NULL.
    std::vector<Column> grouped;
    auto add = [&](const std::string& name) {
      const Column* c = find(cols, name);
      if (!c) return;
      for (const auto& g : grouped) {
        if (g.name == c->name) return;
      }
      grouped.push_back(*c);
    };
    for (const auto& name : kAlwaysGrouped) add(name);
    for (const auto& d : dimensions) add(d.starts_with("tag:") ? "Tags" : d);

    std::vector<std::string> ch_select, ch_group, csv, duck_select, view_columns;
    for (const auto& g : grouped) {
      view_columns.push_back(quote_ident(g.name));
      if (!remote_cols.count(g.name)) {
        duck_select.push_back("CAST(NULL AS " + g.type + ") AS " + quote_ident(g.name));
        continue;
      }
      ch_select.push_back(ch_ident(g.name));
      ch_group.push_back(ch_ident(g.name));
      csv.push_back(g.name);
      duck_select.push_back("CAST(" + quote_ident(g.name) + " AS " + g.type + ") AS " +
                            quote_ident(g.name));
    }
    for (const auto& name : kTimes) {
      const Column* c = find(cols, name);
      if (!c || !remote_cols.count(c->name)) continue;
      std::string t = ch_ident(c->name), alias = "bf_" + c->name;
      // Midnight stays; any other time becomes its day's midnight plus one hour.
      ch_select.push_back("if(ifNull(" + t + " = toStartOfDay(" + t + "), 0), toStartOfDay(" + t +
                          "), toStartOfDay(" + t + ") + 3600) AS " + ch_ident(alias));
      ch_group.push_back(ch_ident(alias));
      csv.push_back(alias);
      duck_select.push_back("CAST(" + quote_ident(alias) + " AS " + c->type + ") AS " +
                            quote_ident(c->name));
      view_columns.push_back(quote_ident(c->name));
    }
    for (const auto& name : kSums) {
      const Column* c = find(cols, name);
      if (!c || !remote_cols.count(c->name)) continue;
      std::string alias = "bf_" + c->name;
      ch_select.push_back("sum(" + ch_ident(c->name) + ") AS " + ch_ident(alias));
      csv.push_back(alias);
      duck_select.push_back("CAST(" + quote_ident(alias) + " AS " + c->type + ") AS " +
                            quote_ident(c->name));
      view_columns.push_back(quote_ident(c->name));
    }

    std::string temp = "bf_other_" + std::string(table);
    pull(ch, local_,
         "SELECT " + common::join(ch_select, ", ") + " FROM " + ch_ident(table) +
             " WHERE x_SourceName IN " + other_list + " GROUP BY " + common::join(ch_group, ", "),
         csv, common::join(duck_select, ", "), temp,
         scratch_dir / ("other_writers_" + random_suffix() + ".csv"), context + ": " + table);
    created_.push_back("TABLE IF EXISTS temp.main." + quote_ident(temp));
    std::string list = common::join(view_columns, ", ");
    local_.execute("CREATE TEMP VIEW " + quote_ident(table) + " AS SELECT " + list + " FROM " +
                       quote_ident(db) + ".main." + quote_ident(table) + " UNION ALL SELECT " +
                       list + " FROM temp.main." + quote_ident(temp),
                   context + ": " + table);
    created_.push_back("VIEW IF EXISTS temp.main." + quote_ident(table));

    if (std::string(table) == "focus_costs") {
      rows_ = local_.query("SELECT count(*) FROM temp.main." + quote_ident(temp)).int64(0, 0);
      // A source with loads but no rows left (removed since) is not one.
      Result r = local_.query("SELECT DISTINCT x_SourceName FROM temp.main." + quote_ident(temp) +
                              " ORDER BY 1");
      sources_.clear();
      for (size_t i = 0; i < r.row_count(); ++i) sources_.push_back(r.text(i, 0));
      if (sources_.empty()) {
        detach();
        rows_ = 0;
        return;
      }
      other_list = ch_list(sources_);
    } else {
      Result r = local_.query("SELECT DISTINCT x_SourceName FROM temp.main." + quote_ident(temp));
      std::set<std::string> allocated;
      for (size_t i = 0; i < r.row_count(); ++i) allocated.insert(r.text(i, 0));
      for (const auto& s : sources_) {
        if (!allocated.count(s)) unallocated_.push_back(s);
      }
    }
  }
  if (local_allocated && !remote_tables.count("cost_allocated")) unallocated_ = sources_;

  // The other machines' loads: when their data last changed (what decides whether a model is
  // recomputed) and how complete each source is.
  pull(ch, local_,
       "SELECT load_id, source, billing_period, fingerprint, rows, billed_cost, effective_cost, "
       "published_at, publisher FROM loads WHERE source IN " +
           other_list,
       {"load_id", "source", "billing_period", "fingerprint", "rows", "billed_cost",
        "effective_cost", "published_at", "publisher"},
       "load_id, source, billing_period, fingerprint, CAST(rows AS BIGINT) AS rows, "
       "CAST(billed_cost AS DECIMAL(38,10)) AS billed_cost, CAST(effective_cost AS "
       "DECIMAL(38,10)) AS effective_cost, CAST(published_at AS TIMESTAMP) AS published_at, "
       "publisher",
       "bf_other_loads", scratch_dir / ("other_writers_" + random_suffix() + ".csv"),
       context + ": loads");
  created_.push_back("TABLE IF EXISTS temp.main.bf_other_loads");
  local_.execute(
      "CREATE TEMP VIEW loads AS SELECT load_id, source, billing_period, fingerprint, rows, "
      "billed_cost, effective_cost, started_at, finished_at, status, message FROM " +
          quote_ident(db) +
          ".main.loads UNION ALL SELECT load_id, source, billing_period, fingerprint, rows, "
          "billed_cost, effective_cost, published_at, published_at, 'ok', 'published to "
          "ClickHouse by ' || publisher FROM temp.main.bf_other_loads",
      context + ": loads");
  created_.push_back("VIEW IF EXISTS temp.main.loads");
}

}  // namespace billingfoot::warehouse
