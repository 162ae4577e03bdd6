// `billingfoot run`: service mode (see app/service.hpp).
#include "app/app.hpp"
#include "app/service.hpp"

namespace billingfoot::app {

void add_run_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand(
      "run", "service mode: sync each source on its schedule, update models and alerts, serve the dashboard");
  auto options = std::make_shared<ServiceOptions>();
  cmd->add_option("--listen", options->listen,
                  "serve the dashboard and API on HOST:PORT (default server.listen when server: is configured)");
  cmd->add_flag("--no-server", options->no_server, "do not serve, even when server: is configured");
  cmd->add_option("--time-scale", options->time_scale,
                  "run the schedule clock this many times faster (failure drills and soak tests)");
  cmd->callback([&globals, &action, options] {
    action = [&globals, options] { return run_service(globals, *options); };
  });
}

}  // namespace billingfoot::app
