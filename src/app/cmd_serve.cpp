// `billingfoot serve`: the web dashboard and the JSON API over the warehouse.
#include "app/app.hpp"
#include "server/http_server.hpp"
#include "server/settings.hpp"

namespace billingfoot::app {

int serve_dashboard(const config::Config& cfg, const std::optional<std::string>& listen) {
  server::ServerSettings settings = server::server_settings(cfg, listen);
  read_clickhouse_when_configured(cfg, settings);
  return server::serve(cfg, settings);
}

void add_serve_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand(
      "serve", "web dashboard at /, JSON API under /api/v1/, /healthz and /metrics");
  auto listen = std::make_shared<std::optional<std::string>>();
  cmd->add_option("--listen", *listen, "HOST:PORT (default server.listen, else 127.0.0.1:8080)");
  cmd->callback([&globals, &action, listen] {
    action = [&globals, listen] { return serve_dashboard(load_config(globals), *listen); };
  });
}

}  // namespace billingfoot::app
