#include "server/http_server.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "server/api.hpp"
#include "server/metrics.hpp"
#include "server/warehouse_lease.hpp"
#include "warehouse/read_only_query.hpp"
#include "warehouse/result_text.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::server {

namespace fs = std::filesystem;
using httplib::Request;
using httplib::Response;

namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

// Set per request on the worker thread that answers it, read by the logger on the same thread.
thread_local std::string t_route;
thread_local std::chrono::steady_clock::time_point t_started;

void reply_error(Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json({{"error", message}, {"status", status}}).dump(),
                  "application/json");
}

void reply_payload(const Request& req, Response& res, Payload payload) {
  std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
  if (format == "csv") {
    if (!payload.table)
      throw UsageError("this endpoint has no table to download as CSV (use format=json)");
    std::ostringstream out;
    warehouse::write_csv(out, *payload.table);
    res.set_header("Content-Disposition",
                   "attachment; filename=\"billingfoot-" + payload.name + ".csv\"");
    res.set_content(out.str(), "text/csv; charset=utf-8");
  } else if (format == "json") {
    res.set_content(payload.json, "application/json");
  } else {
    throw UsageError("format must be json or csv, not '" + format + "'");
  }
  res.status = payload.status;
}

// Runs an endpoint and maps failures to statuses: bad input 400, unknown 404, busy 503,
// too slow 504; anything unexpected 500 (logged).
httplib::Server::Handler endpoint(std::string route,
                                  std::function<Payload(const Request&)> produce) {
  return [route = std::move(route), produce = std::move(produce)](const Request& req,
                                                                  Response& res) {
    t_route = route;
    try {
      reply_payload(req, res, produce(req));
    } catch (const UsageError& e) {
      reply_error(res, 400, e.what());
    } catch (const warehouse::QueryRefused& e) {
      reply_error(res, 400, e.what());
    } catch (const NotFound& e) {
      reply_error(res, 404, e.what());
    } catch (const warehouse::QueryTimedOut& e) {
      reply_error(res, 504, e.what());
    } catch (const warehouse::WarehouseLocked&) {
      res.set_header("Retry-After", "5");
      reply_error(res, 503, "the warehouse is being updated by a sync; try again in a few seconds");
    } catch (const InputError& e) {
      reply_error(res, 503, e.what());
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      reply_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
}

bool token_matches(const std::string& header, const std::string& token) {
  std::string expected = "Bearer " + token;
  return header.size() == expected.size() &&
         CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

std::string utc_timestamp() {
  std::string now = warehouse::utc_now();  // "YYYY-MM-DD HH:MM:SS.ffffff"
  now[10] = 'T';
  return now.substr(0, 23) + "Z";
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* kNotBuilt =
    "<!doctype html><meta charset=utf-8><title>billingfoot</title><body "
    "style=\"font-family:sans-serif;"
    "max-width:40em;margin:4em auto\"><h1>billingfoot</h1><p>The web dashboard has not been built: "
    "run "
    "<code>make</code> (it builds <code>web/</code> into <code>build/web</code>), or point "
    "<code>BILLINGFOOT_WEB_DIR</code> at a built copy.</p><p>The API works: <a "
    "href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>";

void add_routes(httplib::Server& svr, Api& api, Metrics& metrics, const ServerSettings& settings,
                const std::function<std::string()>& extra_metrics) {
  using P = std::vector<std::string>;
  auto get = [&](const std::string& pattern, const std::string& route, P known,
                 std::function<Payload(const Request&, const Params&)> fn) {
    svr.Get(pattern, endpoint(route, [known, fn](const Request& req) {
              return fn(req, Params(req, known));
            }));
  };
  svr.Get("/healthz", [](const Request&, Response& res) {
    t_route = "/healthz";
    res.set_content(nlohmann::json({{"status", "ok"}, {"version", BILLINGFOOT_VERSION}}).dump(),
                    "application/json");
  });
  svr.Get("/metrics", [&](const Request&, Response& res) {
    t_route = "/metrics";
    res.set_content(metrics.render() + (extra_metrics ? extra_metrics() : std::string()) +
                        api.warehouse_metrics(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/api/v1/openapi.json", [](const Request&, Response& res) {
    t_route = "/api/v1/openapi.json";
    res.set_content(std::string(common::embedded_resource("server/openapi.json")),
                    "application/json");
  });
  get("/api/v1/meta", "/api/v1/meta", {},
      [&](const Request&, const Params& p) { return api.meta(p); });
  get("/api/v1/costs", "/api/v1/costs", Api::cost_parameters(),
      [&](const Request&, const Params& p) { return api.costs(p); });
  P movers = Api::cost_parameters();
  movers.insert(movers.end(), {"dimension", "compare_from", "compare_to", "limit"});
  get("/api/v1/movers", "/api/v1/movers", movers,
      [&](const Request&, const Params& p) { return api.movers(p); });
  get("/api/v1/overview", "/api/v1/overview", {"cost"},
      [&](const Request&, const Params& p) { return api.overview(p); });
  get("/api/v1/sources", "/api/v1/sources", {},
      [&](const Request&, const Params& p) { return api.sources(p); });
  get("/api/v1/loads", "/api/v1/loads", {"source", "limit"},
      [&](const Request&, const Params& p) { return api.loads(p); });
  for (auto [path, table] :
       std::vector<std::pair<std::string, std::string>>{{"unit-costs", "unit_costs"},
                                                        {"anomalies", "anomalies"},
                                                        {"budgets", "budget_status"}}) {
    get("/api/v1/" + path, "/api/v1/" + path, {},
        [&api, table](const Request&, const Params& p) { return api.derived_table(table, p); });
  }
  get("/api/v1/dashboards", "/api/v1/dashboards", {},
      [&](const Request&, const Params& p) { return api.dashboards(p); });
  get(R"(/api/v1/dashboards/([A-Za-z0-9_.-]+))", "/api/v1/dashboards/{id}", {},
      [&](const Request& req, const Params& p) { return api.dashboard(req.matches[1], p); });
  get(R"(/api/v1/dashboards/([A-Za-z0-9_.-]+)/panels/(\d{1,4}))",
      "/api/v1/dashboards/{id}/panels/{n}", {}, [&](const Request& req, const Params& p) {
        return api.panel(req.matches[1], std::stoul(req.matches[2]), p);
      });
  // The SQL is the body (JSON or text); a form-encoded body would also show up as parameters.
  svr.Post("/api/v1/query",
           endpoint("/api/v1/query", [&](const Request& req) { return api.query(req); }));
  auto unknown_api = [](const Request& req, Response& res) {
    t_route = "unknown";
    reply_error(res, 404,
                "no API endpoint " + req.method + " " + req.path + " (see /api/v1/openapi.json)");
  };
  svr.Get(R"(/api/.*)", unknown_api);
  svr.Post(R"(/api/.*)", unknown_api);

  // The dashboard is a single-page app: paths that are not files get index.html, so a shared
  // link like /explorer?group_by=ServiceName opens the right page.
  if (!settings.web_dir.empty()) {
    svr.set_mount_point("/", settings.web_dir.string());
    svr.set_file_request_handler([](const Request& req, Response& res) {
      t_route = "static";
      bool hashed = req.path.rfind("/assets/", 0) == 0;
      res.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    });
  }
  fs::path index = settings.web_dir.empty() ? fs::path() : settings.web_dir / "index.html";
  svr.Get(R"(/.*)", [index](const Request&, Response& res) {
    t_route = "page";
    res.set_header("Cache-Control", "no-cache");
    res.set_content(index.empty() ? std::string(kNotBuilt) : read_text(index),
                    "text/html; charset=utf-8");
  });
}

}  // namespace

struct BackgroundServer::Impl {
  Impl(const config::SharedConfig& config, const ServerSettings& settings, WarehouseLease& lease,
       std::function<std::string()> extra_metrics)
      : settings(settings), extra_metrics(std::move(extra_metrics)), api(config, this->settings, lease) {}

  ServerSettings settings;
  std::function<std::string()> extra_metrics;
  Metrics metrics;
  Api api;
  httplib::Server svr;
  std::thread listener;
  std::atomic<bool> stopped = false;
  bool failed = false;
  ListenAddress address;
};

BackgroundServer::BackgroundServer(const config::SharedConfig& config, const ServerSettings& settings,
                                   WarehouseLease& lease, const std::string& program,
                                   std::function<std::string()> extra_metrics)
    : impl_(std::make_unique<Impl>(config, settings, lease, std::move(extra_metrics))) {
  Impl& s = *impl_;
  s.svr.set_payload_max_length(1 << 20);
  s.svr.set_pre_routing_handler([&s](const Request& req, Response& res) {
    t_started = std::chrono::steady_clock::now();
    t_route = "other";
    bool protected_path = (req.path.rfind("/api/", 0) == 0 && req.path != "/api/v1/openapi.json") ||
                          req.path == "/metrics";
    if (s.settings.token.empty() || !protected_path)
      return httplib::Server::HandlerResponse::Unhandled;
    if (token_matches(req.get_header_value("Authorization"), s.settings.token)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    t_route = "unauthorized";
    res.set_header("WWW-Authenticate", "Bearer realm=\"billingfoot\"");
    reply_error(res, 401,
                "authentication required: send the header Authorization: Bearer <server.token>");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.svr.set_logger([&s](const Request& req, const Response& res) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_started).count();
    s.metrics.observe(t_route, req.method, res.status, seconds);
    // The request line only: headers (Authorization) are never logged.
    std::string line = utc_timestamp() + " " + req.remote_addr + " " + req.method + " " +
                       req.target + " " + std::to_string(res.status) + " " +
                       std::to_string(res.body.size()) + "B " +
                       std::to_string(static_cast<int64_t>(seconds * 1000 + 0.5)) + "ms\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  });
  add_routes(s.svr, s.api, s.metrics, s.settings, s.extra_metrics);

  int port = s.settings.listen.port;
  bool bound = port == 0 ? (port = s.svr.bind_to_any_port(s.settings.listen.host)) > 0
                         : s.svr.bind_to_port(s.settings.listen.host, port);
  if (!bound) {
    throw InputError("cannot listen on " + s.settings.listen.text() +
                     ": the address is in use or not available");
  }
  s.address = s.settings.listen;
  s.address.port = port;
  const config::Config& cfg = *config.get();
  std::printf("%s: listening on http://%s/ (warehouse %s, dashboards %s%s)\n", program.c_str(),
              s.address.text().c_str(), (cfg.data_dir / "billingfoot.duckdb").string().c_str(),
              s.settings.dashboards_dir.string().c_str(),
              s.settings.token.empty() ? "" : ", bearer token required");
  if (s.settings.web_dir.empty())
    std::printf("note: the web dashboard is not built (run make); serving the API only\n");
  std::fflush(stdout);
  s.listener = std::thread([&s] {
    s.failed = !s.svr.listen_after_bind();
    s.stopped = true;
  });
}

BackgroundServer::~BackgroundServer() {
  impl_->svr.stop();  // in-flight requests complete; no new ones are accepted
  impl_->listener.join();
}

bool BackgroundServer::running() const { return !impl_->stopped; }
std::string BackgroundServer::url() const { return "http://" + impl_->address.text() + "/"; }

void install_stop_handlers() {
  // A handler, not sigwait: threads started before serve (DuckDB's, in `demo`) would otherwise
  // take the signal with its default action and kill the process mid-request.
  g_stop_requested = 0;
  struct sigaction stop_action {};
  stop_action.sa_handler = [](int) { g_stop_requested = 1; };
  sigemptyset(&stop_action.sa_mask);
  sigaction(SIGTERM, &stop_action, nullptr);
  sigaction(SIGINT, &stop_action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that went away must not end the server
}

int serve(const config::Config& config, const ServerSettings& settings) {
  install_stop_handlers();
  config::SharedConfig shared(config);
  WarehouseLease lease(config.data_dir / "billingfoot.duckdb", settings.idle_close,
                       std::chrono::seconds(3));
  bool failed = false;
  {
    BackgroundServer server(shared, settings, lease, "billingfoot serve");
    while (server.running() && !g_stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    failed = !server.running() && !g_stop_requested;
  }
  std::printf("billingfoot serve: stopped\n");
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace billingfoot::server
