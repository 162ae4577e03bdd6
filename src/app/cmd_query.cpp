#include <chrono>
#include <iostream>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/strings.hpp"
#include "warehouse/read_only_query.hpp"
#include "warehouse/reader.hpp"

namespace billingfoot::app {

void add_query_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("query", "run read-only SQL over the warehouse");
  auto format = std::make_shared<std::string>("table");
  auto sql = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--format", *format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("sql", *sql, "a SELECT statement")->required();
  cmd->callback([&globals, &action, format, sql] {
    action = [&globals, format, sql] {
      Format f = parse_format(*format);
      config::Config cfg = load_config(globals);
      if (cfg.warehouse.type == "clickhouse") {
        // ClickHouse's own dialect, run read-only there (no writes, no table functions).
        auto ch = clickhouse_of(cfg);
        auto reader = warehouse::clickhouse_reader(ch);
        auto limited = reader->read_only(common::join(*sql, " "), 1000000, std::chrono::minutes(10));
        render(std::cout, limited.result, f);
        if (limited.truncated) std::cerr << "note: only the first 1,000,000 rows are shown\n";
        return 0;
      }
      auto wh = open_warehouse(cfg, Access::ReadOnly);
      auto result = warehouse::run_read_only(wh.connection(), common::join(*sql, " "));
      render(std::cout, result, f);
      return 0;
    };
  });
}

}  // namespace billingfoot::app
