#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/app.hpp"
#include "common/errors.hpp"

namespace billingfoot::app {

void add_init_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("init", "write a commented starter billingfoot.yaml");
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--force", *force, "overwrite an existing file");
  cmd->callback([&globals, &action, force] {
    action = [&globals, force] {
      std::filesystem::path file = config::default_config_path(globals.config_path);
      if (std::filesystem::exists(file) && !*force) {
        throw UsageError(file.string() + " already exists (use --force to overwrite it)");
      }
      std::ofstream out(file);
      out << config::starter_config();
      if (!out) throw std::runtime_error("cannot write " + file.string());
      std::cout << "wrote " << file.string() << "\n";
      return 0;
    };
  });
}

}  // namespace billingfoot::app
