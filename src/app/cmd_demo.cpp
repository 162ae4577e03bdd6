#include "app/app.hpp"
#include "common/errors.hpp"

namespace billingfoot::app {

void add_demo_command(CLI::App& app, Globals&, Action& action) {
  auto* cmd = app.add_subcommand("demo", "(in progress)");
  cmd->allow_extras();
  cmd->callback([&action] { action = [] () -> int { throw UsageError("demo: not built yet"); }; });
}

}  // namespace billingfoot::app
