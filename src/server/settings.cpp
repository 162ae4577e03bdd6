#include "server/settings.hpp"

#include <unistd.h>

#include <regex>
#include <set>

#include "common/errors.hpp"

namespace billingfoot::server {

namespace fs = std::filesystem;

std::string ListenAddress::text() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen(const std::string& text, const std::string& what) {
  static const std::regex host_port(R"((\[([0-9A-Fa-f:.]+)\]|([^\s:\[\]]+)):(\d{1,5}))");
  std::smatch m;
  if (!std::regex_match(text, m, host_port) || std::stoi(m[4]) > 65535) {
    throw UsageError(what + " must be HOST:PORT, e.g. 127.0.0.1:8080, not '" + text + "'");
  }
  ListenAddress a;
  a.host = m[2].matched ? m[2].str() : m[3].str();
  a.port = std::stoi(m[4]);
  return a;
}

bool is_loopback(const std::string& host) {
  static const std::regex v4(R"(127\.\d{1,3}\.\d{1,3}\.\d{1,3})");
  return host == "localhost" || host == "::1" || std::regex_match(host, v4);
}

namespace {

std::string where(const config::Config& cfg, const YAML::Node& node, const std::string& key) {
  std::string out = cfg.file.filename().string();
  if (node.IsDefined() && node.Mark().line >= 0) {
    out +=
        ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  }
  return out + ": server." + key;
}

long positive_number(const config::Config& cfg, const YAML::Node& node, const std::string& key) {
  try {
    long v = std::stol(node.Scalar());
    if (v > 0 && std::to_string(v) == node.Scalar()) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(where(cfg, node, key) + ": must be a positive whole number, not '" +
                   node.Scalar() + "'");
}

}  // namespace

ServerSettings server_settings(const config::Config& cfg,
                               const std::optional<std::string>& listen_flag) {
  ServerSettings s;
  s.dashboards_dir = cfg.base_dir / "dashboards";
  const YAML::Node& server = cfg.server;
  if (server.IsDefined() && !server.IsNull()) {
    if (!server.IsMap()) throw UsageError(where(cfg, server, "") + ": must be a mapping");
    static const std::set<std::string> known = {"listen", "token", "dashboards", "max_rows",
                                                "query_timeout_seconds"};
    for (auto it = server.begin(); it != server.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!known.count(key)) {
        throw UsageError(where(cfg, it->first, key) +
                         ": unknown key (known keys: dashboards, listen, max_rows, "
                         "query_timeout_seconds, token)");
      }
      if (!it->second.IsScalar())
        throw UsageError(where(cfg, it->second, key) + ": must be a value");
    }
    if (server["listen"])
      s.listen = parse_listen(server["listen"].Scalar(), where(cfg, server["listen"], "listen"));
    if (server["token"]) s.token = server["token"].Scalar();
    if (server["dashboards"]) s.dashboards_dir = cfg.resolve_path(server["dashboards"].Scalar());
    if (server["max_rows"])
      s.max_rows = static_cast<size_t>(positive_number(cfg, server["max_rows"], "max_rows"));
    if (server["query_timeout_seconds"]) {
      s.query_timeout = std::chrono::seconds(
          positive_number(cfg, server["query_timeout_seconds"], "query_timeout_seconds"));
    }
  }
  if (listen_flag) s.listen = parse_listen(*listen_flag, "--listen");
  if (!is_loopback(s.listen.host) && s.token.empty()) {
    throw UsageError(
        "refusing to listen on " + s.listen.text() +
        " without authentication: set server.token (e.g. token: ${BILLINGFOOT_TOKEN}) in " +
        cfg.file.filename().string() + ", or listen on 127.0.0.1");
  }
  s.web_dir = find_web_dir();
  return s;
}

fs::path find_web_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("BILLINGFOOT_WEB_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "web");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "billingfoot" / "web");
  }
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c / "index.html", ec)) return fs::canonical(c, ec);
  }
  return {};
}

}  // namespace billingfoot::server
