#include "support/clickhouse.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace billingfoot::testing {

namespace fs = std::filesystem;

namespace {
const char* kServer = "/usr/sbin/clickhouse-server";
}

bool ClickHouseServer::available() {
  return fs::exists(kServer);
}

ClickHouseServer::ClickHouseServer() : ClickHouseServer(free_port(), "") {}

ClickHouseServer::ClickHouseServer(int tcp_port, const std::string& extra_config)
    : tcp_port_(tcp_port) {
  fs::path d = dir_.path();
  fs::create_directories(d / "data");
  fs::create_directories(d / "tmp");
  fs::create_directories(d / "user_files");
  // The HTTP port is chosen by ServerProcess ({port}); the native and interserver ports here.
  int tcp = tcp_port_, interserver = free_port();
  write_file(d / "config.template",
             "<?xml version=\"1.0\"?>\n<yandex>\n"
             "  <logger><level>warning</level><log>" +
                 (d / "server.log").string() + "</log><errorlog>" + (d / "error.log").string() +
                 "</errorlog><console>0</console></logger>\n"
                 "  <listen_host>127.0.0.1</listen_host>\n"
                 "  <http_port>@PORT@</http_port>\n"
                 "  <tcp_port>" +
                 std::to_string(tcp) +
                 "</tcp_port>\n"
                 "  <interserver_http_port>" +
                 std::to_string(interserver) +
                 "</interserver_http_port>\n"
                 "  <path>" +
                 (d / "data").string() +
                 "/</path>\n"
                 "  <tmp_path>" +
                 (d / "tmp").string() +
                 "/</tmp_path>\n"
                 "  <user_files_path>" +
                 (d / "user_files").string() +
                 "/</user_files_path>\n"
                 "  <users_config>" +
                 (d / "users.xml").string() +
                 "</users_config>\n"
                 "  <timezone>UTC</timezone>\n"
                 "  <mark_cache_size>268435456</mark_cache_size>\n"
                 "  <default_profile>default</default_profile>\n  "
                 "<default_database>default</default_database>\n" +
                 extra_config + "</yandex>\n");
  write_file(d / "users.xml",
             std::string("<?xml version=\"1.0\"?>\n<yandex>\n"
                         "  "
                         "<profiles><default><max_memory_usage>4000000000</max_memory_usage></"
                         "default></profiles>\n"
                         "  <users>\n"
                         "    <default><password></password><networks><ip>127.0.0.1</ip></networks>"
                         "<profile>default</profile><quota>default</quota></default>\n"
                         "    <") +
                 kUser + "><password>" + kPassword +
                 "</password><networks><ip>127.0.0.1</ip>"
                 "</networks><profile>default</profile><quota>default</quota></" +
                 kUser +
                 ">\n"
                 "  </users>\n  <quotas><default></default></quotas>\n</yandex>\n");
  std::string config = (d / "config.xml").string();
  process_ = ServerProcess::start({"sh", "-c",
                                   "sed 's/@PORT@/{port}/' '" + (d / "config.template").string() +
                                       "' > '" + config + "' && exec " + kServer +
                                       " --config-file='" + config + "'"});
}

std::string ClickHouseServer::query(const std::string& sql) const {
  httplib::Client client("127.0.0.1", process_->port());
  client.set_read_timeout(60, 0);
  httplib::Headers headers{{"X-ClickHouse-User", kUser}, {"X-ClickHouse-Key", kPassword}};
  auto r = client.Post("/", headers, sql, "text/plain");
  if (!r) throw std::runtime_error("ClickHouse did not answer: " + sql);
  if (r->status != 200) throw std::runtime_error("ClickHouse: " + r->body + " (" + sql + ")");
  return r->body;
}

ClickHouseCluster::ClickHouseCluster(const std::string& name, size_t shards) : name_(name) {
  // Every server's config names every shard's native port, so all ports are chosen first.
  std::vector<int> ports;
  while (ports.size() < shards) {
    int port = free_port();
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  }
  std::string remote = "  <remote_servers><" + name + ">";
  for (int port : ports) {
    remote += "<shard><replica><host>127.0.0.1</host><port>" + std::to_string(port) +
              "</port><user>" + ClickHouseServer::kUser + "</user><password>" +
              ClickHouseServer::kPassword + "</password></replica></shard>";
  }
  remote += "</" + name + "></remote_servers>\n";
  for (int port : ports) servers_.push_back(std::make_unique<ClickHouseServer>(port, remote));
}

void ClickHouseServer::kill_hard() {
  process_.reset();
}

std::map<std::string, std::pair<int64_t, __int128>> focus_csv_totals_by_period(
    const fs::path& csv) {
  auto rows = parse_csv(read_file(csv));
  size_t cost = 0, period = 0;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "BilledCost") cost = i;
    if (rows[0][i] == "BillingPeriodStart") period = i;
  }
  std::map<std::string, std::pair<int64_t, __int128>> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() <= std::max(cost, period)) continue;  // the empty last line
    auto& e = out[rows[r][period].substr(0, 7)];
    e.first += 1;
    e.second += parse_decimal_e10(rows[r][cost].empty() ? "0" : rows[r][cost]);
  }
  return out;
}

void expect_reports_equal(const fs::path& clickhouse_dir, const fs::path& duckdb_dir,
                          const std::map<std::string, std::string>& env,
                          const std::vector<std::vector<std::string>>& variants) {
  for (const auto& args : variants) {
    std::vector<std::string> cmd = {"report", "--format", "json"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto from_ch = run_cli(cmd, env, clickhouse_dir);
    auto from_duck = run_cli(cmd, {}, duckdb_dir);
    std::string what;
    for (const auto& a : args) what += a + " ";
    ASSERT_EQ(from_ch.status, 0) << what << from_ch.err;
    ASSERT_EQ(from_duck.status, 0) << what << from_duck.err;
    EXPECT_EQ(from_ch.out, from_duck.out) << what;
  }
}

}  // namespace billingfoot::testing
