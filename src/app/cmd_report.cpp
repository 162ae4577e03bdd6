#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/refresh.hpp"
#include "warehouse/clickhouse.hpp"
#include "warehouse/reader.hpp"
#include "warehouse/cost_query.hpp"

namespace billingfoot::app {

namespace {

struct ReportArgs {
  std::string by = "ProviderName";
  std::optional<std::string> from, to;
  std::string granularity;
  std::string cost = "billed";
  std::string format = "table";
  std::optional<std::string> unit;
  bool show_unallocated = false;
};

// `report --unit NAME`: the unit cost series with cost and metric side by side, and the
// marginal view (change in cost over change in metric since the previous period).
int run_unit_report(const config::Config& cfg, warehouse::Connection& con, const ReportArgs& args, Format format) {
  const config::UnitCostConfig* unit = cfg.model.find_unit_cost(*args.unit);
  if (!unit) {
    std::vector<std::string> names;
    for (const auto& u : cfg.model.unit_costs) names.push_back(u.name);
    throw UsageError("no unit cost named '" + *args.unit + "' in " + cfg.file.filename().string() +
                     (names.empty() ? " (it has no unit_costs:)" : " (known: " + common::join(names, ", ") + ")"));
  }
  std::string metric = common::quote_ident(unit->metric);
  std::string where = "name = " + common::quote_literal(unit->name);
  if (args.from) where += " AND period_start >= CAST(" + common::quote_literal(args.from->size() == 7 ? *args.from + "-01" : *args.from) + " AS DATE)";
  if (args.to) {
    where += " AND period_start " + std::string(args.to->size() == 7 ? "< CAST(" : "<= CAST(") +
             common::quote_literal(args.to->size() == 7 ? *args.to + "-01" : *args.to) + " AS DATE)" +
             (args.to->size() == 7 ? " + INTERVAL 1 MONTH" : "");
  }
  warehouse::Result rows = con.query(
      "SELECT period_start AS period, cost, metric_value AS " + metric + ", unit_cost, cost_change, metric_change AS " +
          common::quote_ident(unit->metric + "_change") + ", marginal_unit_cost FROM unit_costs WHERE " + where +
          " ORDER BY period_start",
      "reading unit costs");
  if (format == Format::Json) {
    std::cout << "{\"unit_cost\": " << nlohmann::json(unit->name).dump() << ", \"metric\": " << nlohmann::json(unit->metric).dump()
              << ", \"per\": " << unit->per << ", \"grain\": " << nlohmann::json(unit->grain).dump() << ",\n \"rows\": ";
    render(std::cout, rows, Format::Json);
    std::cout << "}\n";
    return 0;
  }
  TableStyle style{{"cost", "unit_cost", "cost_change", "marginal_unit_cost", unit->metric, unit->metric + "_change"}, ""};
  if (format == Format::Table) {
    std::cout << "Unit cost " << unit->name << ": " << unit->cost << " cost";
    for (const auto& c : unit->cost_filter) std::cout << (&c == &unit->cost_filter.front() ? " of " : ", ") << c.subject << " " << common::join(c.values, "|");
    std::cout << " per " << (unit->per == "1" ? "" : unit->per + " ") << unit->metric;
    for (const auto& [k, v] : unit->metric_filter) std::cout << (k == unit->metric_filter.front().first ? "{" : ",") << k << "=" << v;
    if (!unit->metric_filter.empty()) std::cout << "}";
    std::cout << ", by " << unit->grain << "\n\n";
    style.footer = "marginal_unit_cost = cost_change × " + unit->per + " / " + unit->metric + "_change";
  }
  render(std::cout, rows, format, style);
  return 0;
}

// The value a dimension takes on costs nobody owns: the allocation default or "(untagged)".
std::optional<std::string> unallocated_value(const config::Config& cfg, const std::string& dimension) {
  if (const auto* d = cfg.model.allocation.find_dimension(dimension)) return d->default_value;
  if (dimension.starts_with("tag:")) return std::string("(untagged)");
  return std::nullopt;
}

// `--show-unallocated`: how much of the total nobody owns, and where it comes from.
void print_unallocated(const config::Config& cfg, warehouse::Reader& reader, const warehouse::CostQuery& base,
                       const std::string& total, Format format) {
  for (const auto& dim : base.group_by) {
    auto value = unallocated_value(cfg, dim);
    if (!value) continue;
    warehouse::CostQuery q = base;
    q.group_by = {"ProviderName", "ServiceName"};
    q.granularity.clear();
    q.filters.push_back({dim, {*value}, false});
    warehouse::CostBreakdown b = reader.costs(q);
    auto units = [](const std::string& t) { return t.empty() ? 0.0 : std::stod(t); };
    double share = units(total) == 0 ? 0 : 100.0 * units(b.total_cost) / units(total);
    if (format == Format::Json) {
      std::cout << ", \"unallocated\": {\"dimension\": " << nlohmann::json(dim).dump() << ", \"value\": " << nlohmann::json(*value).dump()
                << ", \"cost\": " << b.total_cost << ", \"rows\": " << b.total_rows << ", \"share_percent\": " << share
                << ", \"by_service\": ";
      render(std::cout, b.rows, Format::Json);
      std::cout << "}";
      continue;
    }
    std::cout << "\nUnallocated (" << dim << " = " << *value << "): " << format_money(b.total_cost) << " " << cfg.currency
              << fmt::format(" ({:.1f}%)", share) << " of the total, " << b.total_rows << " rows\n\n";
    render(std::cout, b.rows, format == Format::Csv ? Format::Csv : Format::Table, {{"cost"}, ""});
  }
}

void print_report(const config::Config& cfg, const ReportArgs& args, Format format, const warehouse::CostQuery& query,
                  const warehouse::CostBreakdown& breakdown, bool by_currency, warehouse::Reader& reader);

// The cost query the flags describe (group by, range, granularity, cost), on focus_costs.
warehouse::CostQuery query_of(const ReportArgs& args) {
  warehouse::CostQuery query;
  for (const auto& d : common::split(args.by, ',')) {
    if (!common::trim(d).empty()) query.group_by.push_back(common::trim(d));
  }
  query.from = args.from;
  query.to = args.to;
  query.granularity = args.granularity;
  query.cost = args.cost;
  return query;
}

bool groups_by_currency(const warehouse::CostQuery& query) {
  for (const auto& d : query.group_by) {
    if (common::iequals(d, "BillingCurrency")) return true;
  }
  return false;
}

int run_report(const Globals& globals, const ReportArgs& args) {
  Format format = parse_format(args.format);
  config::Config cfg = load_config(globals);
  // Either warehouse answers through the same reader; ClickHouse needs no local file (the
  // models were computed by the machine that synced and copied there).
  std::optional<warehouse::Warehouse> wh;
  std::optional<warehouse::ClickHouse> ch;
  std::unique_ptr<warehouse::Reader> reader;
  if (cfg.warehouse.type == "clickhouse") {
    if (args.unit) {
      throw UsageError("--unit needs the DuckDB warehouse (where the business metrics are); on ClickHouse "
                       "read the unit_costs table: GET /api/v1/unit-costs or billingfoot query");
    }
    ch.emplace(clickhouse_of(cfg));
    reader = warehouse::clickhouse_reader(*ch);
  } else {
    ensure_models_current(cfg);
    wh.emplace(open_warehouse(cfg, Access::ReadOnly));
    if (args.unit) return run_unit_report(cfg, wh->connection(), args, format);
    reader = warehouse::duckdb_reader(wh->connection());
  }

  warehouse::CostQuery query = query_of(args);
  query.table = model::cost_table(cfg.model);
  if (ch && !reader->has_table(query.table)) query.table = "focus_costs";  // models not copied yet
  if (args.show_unallocated) {
    bool any = false;
    for (const auto& d : query.group_by) any = any || unallocated_value(cfg, d).has_value();
    if (!any) throw UsageError("--show-unallocated needs --by with an allocation dimension or tag:KEY");
  }

  // Amounts in different currencies are never added up: split by currency when there are several.
  bool by_currency = groups_by_currency(query);
  if (!by_currency && reader->distinct_count("focus_costs", "BillingCurrency") > 1) {
    query.group_by.push_back("BillingCurrency");
    std::cerr << "note: costs are in several currencies; grouped by BillingCurrency as well\n";
  }
  warehouse::CostBreakdown breakdown = reader->costs(query);
  print_report(cfg, args, format, query, breakdown, by_currency, *reader);
  return 0;
}

void print_report(const config::Config& cfg, const ReportArgs& args, Format format, const warehouse::CostQuery& query,
                  const warehouse::CostBreakdown& breakdown, bool by_currency, warehouse::Reader& reader) {
  if (format == Format::Json) {
    std::cout << "{\"cost\": " << nlohmann::json(args.cost).dump() << ", \"group_by\": " << nlohmann::json(query.group_by).dump()
              << ", \"from\": " << (args.from ? nlohmann::json(*args.from) : nlohmann::json()).dump()
              << ", \"to\": " << (args.to ? nlohmann::json(*args.to) : nlohmann::json()).dump()
              << ", \"granularity\": " << (args.granularity.empty() ? nlohmann::json() : nlohmann::json(args.granularity)).dump()
              << ",\n \"rows\": ";
    render(std::cout, breakdown.rows, Format::Json);
    std::cout << ", \"total\": {\"cost\": " << breakdown.total_cost << ", \"rows\": " << breakdown.total_rows << "}";
    if (args.show_unallocated) print_unallocated(cfg, reader, query, breakdown.total_cost, format);
    std::cout << "}\n";
    return;
  }
  TableStyle style{{"cost"}, ""};
  if (format == Format::Table) {
    std::string label = args.cost + " cost";
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
    std::cout << label << " by " << common::join(query.group_by, ", ");
    if (args.from || args.to) std::cout << ", " << args.from.value_or("…") << " .. " << args.to.value_or("…");
    std::cout << "\n\n";
    style.footer = "TOTAL " + format_money(breakdown.total_cost) + " " + (by_currency ? "" : cfg.currency) + " (" +
                   std::to_string(breakdown.total_rows) + " rows)";
  }
  render(std::cout, breakdown.rows, format, style);
  if (args.show_unallocated) print_unallocated(cfg, reader, query, breakdown.total_cost, format);
}

}  // namespace

void add_report_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("report", "cost breakdowns by any FOCUS column, tag or allocation dimension");
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("--by", args->by, "DIM[,DIM]: a FOCUS column (ServiceName, SubAccountId, …), tag:KEY or an allocation dimension");
  cmd->add_option("--from", args->from, "first month or day, YYYY-MM or YYYY-MM-DD (charge period)");
  cmd->add_option("--to", args->to, "last month or day, inclusive");
  cmd->add_option("--granularity", args->granularity, "day or month")->check(CLI::IsMember({"day", "month"}));
  cmd->add_option("--cost", args->cost, "billed, effective, list or contracted")
      ->check(CLI::IsMember({"billed", "effective", "list", "contracted"}));
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("--unit", args->unit, "a unit cost of unit_costs: cost, metric and unit cost per period, and the marginal view");
  cmd->add_flag("--show-unallocated", args->show_unallocated,
                "also show the cost nobody owns (allocation default or untagged) and where it comes from");
  cmd->callback([&globals, &action, args] { action = [&globals, args] { return run_report(globals, *args); }; });
}

}  // namespace billingfoot::app
