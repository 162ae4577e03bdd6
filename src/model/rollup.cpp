#include "model/rollup.hpp"

#include <set>

#include "common/step_timer.hpp"
#include "common/strings.hpp"

namespace billingfoot::model {

using common::quote_ident;
using common::quote_literal;
using warehouse::Connection;
using warehouse::Result;

const std::vector<std::string>& rollup_dimensions() {
  // Columns people group and filter cost by; ids come with their names (same cardinality).
  static const std::vector<std::string> dims = {"x_SourceName",
                                                "x_SourceType",
                                                "x_BillingPeriod",
                                                "ProviderName",
                                                "InvoiceIssuerName",
                                                "BillingAccountId",
                                                "BillingAccountName",
                                                "SubAccountId",
                                                "SubAccountName",
                                                "ServiceCategory",
                                                "ServiceName",
                                                "RegionId",
                                                "RegionName",
                                                "ChargeCategory",
                                                "ChargeFrequency",
                                                "PricingCategory",
                                                "CommitmentDiscountStatus",
                                                "BillingCurrency"};
  return dims;
}

namespace {

const char* kPartitions = "cost_daily_partitions";
const char* kState = "cost_daily_state";

bool has_table(Connection& con, const std::string& table) {
  auto q = con.prepare("SELECT count(*) FROM information_schema.tables WHERE table_name = ?");
  return q.bind(1, table).execute().int64(0, 0) > 0;
}

std::set<std::string> lower_columns(Connection& con, const std::string& table) {
  auto q =
      con.prepare("SELECT lower(column_name) FROM information_schema.columns WHERE table_name = ?");
  Result r = q.bind(1, table).execute();
  std::set<std::string> out;
  for (size_t i = 0; i < r.row_count(); ++i) out.insert(r.text(i, 0));
  return out;
}

struct Shape {
  std::string base_table;
  std::vector<std::string> dimensions;  // rollup_dimensions() + allocation dimensions present
  std::string signature() const { return base_table + "|" + common::join(dimensions, ","); }
};

Shape shape_for(Connection& con, const RollupOptions& options) {
  Shape shape{"focus_costs", rollup_dimensions()};
  if (!options.allocation_dimensions.empty() && has_table(con, "cost_allocated")) {
    auto columns = lower_columns(con, "cost_allocated");
    bool all = true;
    for (const auto& d : options.allocation_dimensions)
      all = all && columns.count(common::to_lower(d));
    if (all) {
      shape.base_table = "cost_allocated";
      for (const auto& d : options.allocation_dimensions) shape.dimensions.push_back(d);
    }
  }
  return shape;
}

std::string select_rollup(const Shape& shape, const std::string& where) {
  std::vector<std::string> dims;
  for (const auto& d : shape.dimensions) dims.push_back(quote_ident(d));
  std::string list = common::join(dims, ", ");
  return "SELECT CAST(ChargePeriodStart AS DATE) AS day, " + list +
         ", sum(BilledCost) AS BilledCost, sum(EffectiveCost) AS EffectiveCost, "
         "sum(ListCost) AS ListCost, sum(ContractedCost) AS ContractedCost, count(*) AS rows "
         "FROM " +
         quote_ident(shape.base_table) + " " + where + " GROUP BY ALL ORDER BY day";
}

// The latest successful load of each (source, billing period): what each partition holds now.
const char* kLatestLoads =
    "SELECT source, billing_period, arg_max(load_id, finished_at) AS load_id FROM loads "
    "WHERE status = 'ok' GROUP BY 1, 2";

}  // namespace

RollupRefresh refresh_cost_daily(Connection& con, const RollupOptions& options) {
  common::StepTimer timer("refreshing cost_daily");
  Shape shape = shape_for(con, options);
  RollupRefresh out;
  out.base_table = shape.base_table;
  warehouse::Transaction tx(con);
  std::string signature;
  if (has_table(con, kState)) {
    Result s = con.query(std::string("SELECT signature FROM ") + kState);
    if (s.row_count()) signature = s.text(0, 0);
  }
  // Allocation rules can change any row without a new load: an allocated rollup is rebuilt whole.
  out.full = signature != shape.signature() || !has_table(con, kCostDaily) ||
             shape.base_table != "focus_costs";
  if (out.full) {
    con.execute(
        "CREATE OR REPLACE TABLE " + std::string(kCostDaily) + " AS " + select_rollup(shape, ""),
        "building cost_daily");
    con.execute(std::string("CREATE OR REPLACE TABLE ") + kPartitions + " AS " + kLatestLoads,
                "recording cost_daily partitions");
    con.execute(std::string("CREATE OR REPLACE TABLE ") + kState + " AS SELECT " +
                    quote_literal(shape.signature()) + " AS signature",
                "recording cost_daily shape");
    out.partitions = static_cast<size_t>(
        con.query(std::string("SELECT count(*) FROM ") + kPartitions).int64(0, 0));
    tx.commit();
    return out;
  }
  Result changed =
      con.query(std::string("WITH latest AS (") + kLatestLoads +
                    ") SELECT l.source, l.billing_period FROM latest l LEFT JOIN " + kPartitions +
                    " p USING (source, billing_period) WHERE p.load_id IS DISTINCT FROM l.load_id",
                "comparing loads with cost_daily");
  Result gone = con.query(std::string("WITH latest AS (") + kLatestLoads +
                              ") SELECT p.source, p.billing_period FROM " + kPartitions +
                              " p ANTI JOIN latest l USING (source, billing_period)",
                          "comparing loads with cost_daily");
  auto drop = [&](const Result& r, size_t i) {
    auto del = con.prepare(std::string("DELETE FROM ") + kCostDaily +
                           " WHERE x_SourceName = ? AND x_BillingPeriod = ?");
    del.bind(1, r.text(i, 0)).bind(2, r.text(i, 1)).execute();
  };
  for (size_t i = 0; i < gone.row_count(); ++i) drop(gone, i);
  for (size_t i = 0; i < changed.row_count(); ++i) {
    drop(changed, i);
    std::string where = "WHERE x_SourceName = " + quote_literal(changed.text(i, 0)) +
                        " AND x_BillingPeriod = " + quote_literal(changed.text(i, 1));
    con.execute(
        "INSERT INTO " + std::string(kCostDaily) + " BY NAME " + select_rollup(shape, where),
        "rebuilding cost_daily for " + changed.text(i, 0) + " " + changed.text(i, 1));
  }
  if (changed.row_count() || gone.row_count()) {
    con.execute(std::string("CREATE OR REPLACE TABLE ") + kPartitions + " AS " + kLatestLoads,
                "recording cost_daily partitions");
  }
  out.partitions = changed.row_count();
  out.removed = gone.row_count();
  tx.commit();
  return out;
}

bool rollup_is_current(Connection& con) {
  if (!has_table(con, kCostDaily) || !has_table(con, kPartitions) || !has_table(con, "loads"))
    return false;
  Result r =
      con.query(std::string("WITH latest AS (") + kLatestLoads +
                    ") SELECT count(*) FROM latest l FULL JOIN " + kPartitions +
                    " p USING (source, billing_period) WHERE p.load_id IS DISTINCT FROM l.load_id",
                "checking cost_daily");
  return r.int64(0, 0) == 0;
}

bool use_rollup_when_possible(Connection& con, warehouse::CostQuery& query) {
  if (query.table != "focus_costs" && query.table != "cost_allocated") return false;
  if (!rollup_is_current(con)) return false;
  auto columns = lower_columns(con, kCostDaily);
  auto covered = [&](const std::string& dim) { return columns.count(common::to_lower(dim)) > 0; };
  for (const auto& d : query.group_by) {
    if (!covered(d)) return false;
  }
  for (const auto& f : query.filters) {
    if (!covered(f.dimension)) return false;
  }
  query.table = kCostDaily;
  query.time_column = "day";
  query.rows_expression = "sum(rows)";
  return true;
}

}  // namespace billingfoot::model
