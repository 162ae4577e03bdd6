#include "app/app.hpp"
#include "common/errors.hpp"

namespace billingfoot::app {

void add_validate_command(CLI::App& app, Globals&, Action& action) {
  auto* cmd = app.add_subcommand("validate", "(in progress)");
  cmd->allow_extras();
  cmd->callback([&action] { action = [] () -> int { throw UsageError("validate: not built yet"); }; });
}

}  // namespace billingfoot::app
