#include <nlohmann/json.hpp>

#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/strings.hpp"
#include "warehouse/cost_query.hpp"

namespace billingfoot::app {

namespace {

struct ReportArgs {
  std::string by = "ProviderName";
  std::optional<std::string> from, to;
  std::string granularity;
  std::string cost = "billed";
  std::string format = "table";
};

int run_report(const Globals& globals, const ReportArgs& args) {
  Format format = parse_format(args.format);
  config::Config cfg = load_config(globals);
  auto wh = open_warehouse(cfg, Access::ReadOnly);
  auto& con = wh.connection();

  warehouse::CostQuery query;
  for (const auto& d : common::split(args.by, ',')) {
    if (!common::trim(d).empty()) query.group_by.push_back(common::trim(d));
  }
  query.from = args.from;
  query.to = args.to;
  query.granularity = args.granularity;
  query.cost = args.cost;

  // Amounts in different currencies are never added up: split by currency when there are several.
  bool by_currency = false;
  for (const auto& d : query.group_by) by_currency = by_currency || common::iequals(d, "BillingCurrency");
  if (!by_currency && con.query("SELECT count(DISTINCT BillingCurrency) FROM focus_costs").int64(0, 0) > 1) {
    query.group_by.push_back("BillingCurrency");
    std::cerr << "note: costs are in several currencies; grouped by BillingCurrency as well\n";
  }
  warehouse::CostBreakdown breakdown = warehouse::query_costs(con, query);

  if (format == Format::Json) {
    std::cout << "{\"cost\": " << nlohmann::json(args.cost).dump() << ", \"group_by\": " << nlohmann::json(query.group_by).dump()
              << ", \"from\": " << (args.from ? nlohmann::json(*args.from) : nlohmann::json()).dump()
              << ", \"to\": " << (args.to ? nlohmann::json(*args.to) : nlohmann::json()).dump()
              << ", \"granularity\": " << (args.granularity.empty() ? nlohmann::json() : nlohmann::json(args.granularity)).dump()
              << ",\n \"rows\": ";
    render(std::cout, breakdown.rows, Format::Json);
    std::cout << ", \"total\": {\"cost\": " << breakdown.total_cost << ", \"rows\": " << breakdown.total_rows << "}}\n";
    return 0;
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
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("report", "cost breakdowns by any FOCUS column, tag or allocation dimension");
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("--by", args->by, "DIM[,DIM]: a FOCUS column (ServiceName, SubAccountId, …) or tag:KEY");
  cmd->add_option("--from", args->from, "first month or day, YYYY-MM or YYYY-MM-DD (charge period)");
  cmd->add_option("--to", args->to, "last month or day, inclusive");
  cmd->add_option("--granularity", args->granularity, "day or month")->check(CLI::IsMember({"day", "month"}));
  cmd->add_option("--cost", args->cost, "billed, effective, list or contracted")
      ->check(CLI::IsMember({"billed", "effective", "list", "contracted"}));
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->callback([&globals, &action, args] { action = [&globals, args] { return run_report(globals, *args); }; });
}

}  // namespace billingfoot::app
