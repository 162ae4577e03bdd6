// `billingfoot run` as a real process with an accelerated schedule clock: scheduled syncs,
// failures that do not stop other sources, retries that recover, SIGHUP reloads, a second
// service on one data directory, kill -9 in the middle of a load, and a 200-run soak.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "support/cli.hpp"
#include "support/server_process.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;

fs::path sample_file() { return shared_testdata("focus-1.0-sample/focus_sample.csv"); }

// The running service: its pid and its HTTP port (metrics, healthz).
struct Service {
  Background process;
  int port = 0;

  std::string get(const std::string& path) const {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10, 0);
    auto r = client.Get(path);
    return r && r->status == 200 ? r->body : std::string();
  }
  // A sample of /metrics, e.g. billingfoot_runs_total{source="x",status="ok"}; -1 when absent.
  double metric(const std::string& series) const {
    std::string text = get("/metrics");
    size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }
  double runs(const std::string& source, const std::string& status) const {
    return metric("billingfoot_runs_total{source=\"" + source + "\",status=\"" + status + "\"}");
  }
  // Waits until `done` holds (checked every 100 ms) or `seconds` pass.
  template <typename F>
  bool wait_until(F done, int seconds = 90) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  int64_t rss_kb() const {
    std::ifstream in("/proc/" + std::to_string(process.pid) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
    }
    return -1;
  }
  // SIGTERM, then the exit status.
  int stop() {
    ::kill(process.pid, SIGTERM);
    int status = 0;
    waitpid(process.pid, &status, 0);
    process.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ~Service() {
    if (process.pid > 0) process.kill_hard();
  }
};

std::unique_ptr<Service> start_service(const fs::path& dir, double time_scale,
                                       const std::map<std::string, std::string>& env = {}) {
  auto s = std::make_unique<Service>();
  s->port = free_port();
  s->process = start_cli({"run", "--listen", "127.0.0.1:" + std::to_string(s->port), "--time-scale",
                          std::to_string(time_scale)},
                         env, dir);
  bool up = s->wait_until([&] { return s->get("/healthz").find("\"ok\"") != std::string::npos; }, 60);
  if (!up) ADD_FAILURE() << "billingfoot run did not start: " << s->process.seen;
  return s;
}

std::string focus_source(const std::string& name, const std::string& location, const std::string& schedule) {
  return "  - name: " + name + "\n    type: focus\n    location: " + location + "\n    schedule: \"" + schedule + "\"\n";
}

int64_t sample_rows() { return static_cast<int64_t>(parse_csv(read_file(sample_file())).size()) - 1; }

std::string s3_source(const std::string& name, const std::string& bucket, const std::string& endpoint) {
  return "  - name: " + name + "\n    type: aws_data_exports\n    location: s3://" + bucket +
         "/exports/cur2\n    region: us-east-1\n    endpoint: " + endpoint + "\n    schedule: \"0 */8 * * *\"\n";
}

TEST(Service, AFailingSourceIsRetriedWithoutStoppingTheOthersAndRecovers) {
  TempDir dir;
  int closed_port = free_port();  // nothing listens here: connection refused
  // An endpoint that answers garbage, and one that hangs past the time limit.
  auto scripted = ServerProcess::start({"python3", fake_server_script("scripted_http_server.py").string(), "{port}"});
  write_file(dir / "billingfoot.yaml",
             "data_dir: ./.billingfoot\nsources:\n" + focus_source("sample", sample_file().string(), "* * * * *") +
                 focus_source("late", "./late.csv", "*/10 * * * *") +
                 s3_source("aws", "cost-bucket", "http://127.0.0.1:" + std::to_string(closed_port)) +
                 s3_source("garbage", "garbage", scripted->url()) + s3_source("hanging", "hang", scripted->url()));
  // 1 real second = 2 virtual minutes: failed runs retry after ~1, 2, 4 … virtual minutes.
  auto service = start_service(dir.path(), 120,
                               {{"AWS_ACCESS_KEY_ID", "test"}, {"AWS_SECRET_ACCESS_KEY", "test"},
                                {"BILLINGFOOT_HTTP_BACKOFF_MS", "10"}, {"BILLINGFOOT_HTTP_TIMEOUT_SECONDS", "1"}});
  ASSERT_TRUE(service->wait_until([&] {
    return service->runs("sample", "ok") >= 3 && service->runs("aws", "failed") >= 2 &&
           service->runs("late", "failed") >= 2 && service->runs("garbage", "failed") >= 2 &&
           service->runs("hanging", "failed") >= 2;
  })) << service->get("/metrics");
  // Still serving, and a second service on the same data directory is refused.
  EXPECT_NE(service->get("/healthz").find("ok"), std::string::npos);
  auto second = run_cli({"run", "--no-server"}, {}, dir.path());
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("another billingfoot process (pid " + std::to_string(service->process.pid) + ")"),
            std::string::npos)
      << second.err;
  // The missing export appears: a retry (before the next scheduled run) loads it.
  fs::copy_file(sample_file(), dir / "late.csv");
  ASSERT_TRUE(service->wait_until([&] { return service->runs("late", "ok") >= 1; })) << service->get("/metrics");
  EXPECT_EQ(service->metric("billingfoot_run_consecutive_failures{source=\"late\"}"), 0);
  EXPECT_GE(service->metric("billingfoot_run_consecutive_failures{source=\"aws\"}"), 2);
  EXPECT_EQ(service->stop(), 0);

  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE x_SourceName = 'late'"),
            std::to_string(sample_rows()));
  std::string aws = query_scalar(dir.path(),
                                 "SELECT status || ': ' || message FROM runs WHERE source = 'aws' ORDER BY finished_at LIMIT 1");
  EXPECT_TRUE(aws.starts_with("failed: ")) << aws;
  EXPECT_NE(aws.find("127.0.0.1:" + std::to_string(closed_port)), std::string::npos) << aws;
  std::string garbage = query_scalar(dir.path(), "SELECT status || ': ' || message FROM runs WHERE source = 'garbage' LIMIT 1");
  EXPECT_TRUE(garbage.starts_with("failed: ")) << garbage;
  EXPECT_NE(garbage.find("garbage"), std::string::npos) << garbage;  // names the bucket
  std::string hanging = query_scalar(dir.path(), "SELECT status || ': ' || message FROM runs WHERE source = 'hanging' LIMIT 1");
  EXPECT_TRUE(hanging.starts_with("failed: ")) << hanging;
  EXPECT_NE(hanging.find("timed out"), std::string::npos) << hanging;
  // status: the aws source is failing with its last error, the loaded ones are ok.
  auto status = run_cli({"status", "--format", "json"}, {}, dir.path());
  EXPECT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("\"failing\""), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("0 */8 * * *"), std::string::npos) << status.out;
}

TEST(Service, SighupReloadsTheConfigAndKeepsTheRunningOneWhenTheNewFileIsInvalid) {
  TempDir dir;
  std::string base = "data_dir: ./.billingfoot\nsources:\n" + focus_source("sample", sample_file().string(), "* * * * *");
  write_file(dir / "billingfoot.yaml", base);
  auto service = start_service(dir.path(), 60);
  ASSERT_TRUE(service->wait_until([&] { return service->runs("sample", "ok") >= 1; }));

  write_file(dir / "billingfoot.yaml", base + "  - name: second\n    type: focus\n    locaton: ./typo\n");
  ::kill(service->process.pid, SIGHUP);
  ASSERT_TRUE(service->wait_until([&] { return service->metric("billingfoot_config_reloads_total{result=\"failed\"}") == 1; }));
  double before = service->runs("sample", "ok");
  ASSERT_TRUE(service->wait_until([&] { return service->runs("sample", "ok") > before; }));  // still running the old one

  fs::copy_file(sample_file(), dir / "copy.csv");
  write_file(dir / "billingfoot.yaml", base + focus_source("second", "./copy.csv", "*/30 * * * *"));
  ::kill(service->process.pid, SIGHUP);
  ASSERT_TRUE(service->wait_until([&] { return service->metric("billingfoot_config_reloads_total{result=\"ok\"}") == 1; }));
  // A new source with no successful run is synced at once, not at its next scheduled time.
  ASSERT_TRUE(service->wait_until([&] { return service->runs("second", "ok") >= 1; })) << service->get("/metrics");
  EXPECT_EQ(service->stop(), 0);
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs WHERE x_SourceName = 'second'"),
            std::to_string(sample_rows()));
}

TEST(Service, KilledInTheMiddleOfALoadLeavesNoPartialMonthAndTheRestartCompletesIt) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml",
             "data_dir: ./.billingfoot\nsources:\n" + focus_source("sample", sample_file().string(), "0 */8 * * *"));
  auto service = start_service(dir.path(), 1, {{"BILLINGFOOT_FAILPOINT", "replace_partition.before_commit"}});
  ASSERT_TRUE(service->process.wait_for_stderr("failpoint replace_partition.before_commit reached", 60000))
      << service->process.seen;
  service->process.kill_hard();  // SIGKILL with rows inserted but not committed

  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs"), "0");
  // Restarted, the service catches up at once (no successful run yet) and loads every row.
  auto restarted = start_service(dir.path(), 1);
  ASSERT_TRUE(restarted->wait_until([&] { return restarted->runs("sample", "ok") >= 1; }));
  EXPECT_EQ(restarted->stop(), 0);
  EXPECT_EQ(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs"), std::to_string(sample_rows()));
}

// Memory and disk stay flat over 200 scheduled runs. Each run appends to `runs` and `loads`;
// before those small tables were compacted, every run left a row group in a block of its own,
// so the file grew ~0.5 MB and the resident memory (table metadata read at every open) ~0.3 MB
// per run. RSS is sampled at every poll of /metrics (~10 per second) and compared as medians
// over a window of 20 runs at the start and at the end, since a single sample lands anywhere
// between an idle moment and the peak of a load.
TEST(Service, TwoHundredScheduledRunsAllSucceedWithFlatMemoryAndFile) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml",
             "data_dir: ./.billingfoot\nsources:\n" + focus_source("sample", sample_file().string(), "* * * * *"));
  // A virtual minute every 20 ms: each run is due as soon as the previous one ends.
  auto service = start_service(dir.path(), 3000);
  fs::path file = dir / ".billingfoot" / "billingfoot.duckdb";
  // The median RSS (kB) while the run count goes from its current value to `until`.
  auto median_rss_until = [&](double until) {
    std::vector<int64_t> samples;
    bool reached = service->wait_until(
        [&] {
          samples.push_back(service->rss_kb());
          return service->runs("sample", "ok") >= until;
        },
        600);
    EXPECT_TRUE(reached) << "fewer than " << until << " runs";
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
  };
  // Warmed up (first load, caches, thread arenas) after 20 runs.
  ASSERT_TRUE(service->wait_until([&] { return service->runs("sample", "ok") >= 20; }, 120));
  int64_t start_kb = median_rss_until(40);
  auto start_bytes = fs::file_size(file);
  double start_runs = service->runs("sample", "ok");
  ASSERT_TRUE(service->wait_until([&] { return service->runs("sample", "ok") >= start_runs + 180; }, 600));
  int64_t end_kb = median_rss_until(start_runs + 200);
  auto end_bytes = fs::file_size(file);
  double end_runs = service->runs("sample", "ok");
  std::printf("soak: median RSS over runs 20-%g: %lld kB, over runs %g-%g: %lld kB; file %llu -> %llu bytes\n",
              start_runs, static_cast<long long>(start_kb), start_runs + 180, end_runs,
              static_cast<long long>(end_kb), static_cast<unsigned long long>(start_bytes),
              static_cast<unsigned long long>(end_bytes));
  EXPECT_EQ(service->runs("sample", "failed"), 0);
  // Flat: within 20 % (at least 16 MB) of the start; the leak this guards against added ~60 MB
  // over these 200 runs. Medians of 20 samples taken while runs come and go differ by up to
  // ~13 MB between windows on a busy 2-core machine (measured: 67 → 80 MB, then 79 → 75 MB and
  // 78 → 77 MB on the same build), so a tighter bound fails on noise.
  EXPECT_LE(end_kb, start_kb + std::max<int64_t>(16384, start_kb / 5));
  // The file swings by up to ~7 MB between compactions of the log tables; the leak added ~100 MB.
  EXPECT_LE(end_bytes, start_bytes + 12u * 1024 * 1024);
  EXPECT_EQ(service->stop(), 0);
  EXPECT_GE(std::stoll(query_scalar(dir.path(), "SELECT count(*) FROM runs WHERE status = 'ok'")), 220);
}

}  // namespace
}  // namespace billingfoot::testing
