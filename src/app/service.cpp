#include "app/service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "app/alerting.hpp"
#include "common/cron.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "model/rollup.hpp"
#include "server/http_server.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "server/warehouse_lease.hpp"
#include "sources/source.hpp"

namespace billingfoot::app {

namespace {

using SystemClock = std::chrono::system_clock;
using TimePoint = SystemClock::time_point;

// Failed runs are retried after 1 min, 2, 4, … at most 30 min (virtual time).
constexpr std::chrono::seconds kRetryBase{60};
constexpr std::chrono::seconds kRetryCap{30 * 60};

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;

void on_stop_signal(int) {
  if (g_stop) {
    static const char message[] =
        "billingfoot run: second signal, exiting now; the billing period being loaded is rolled back\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(1);
  }
  g_stop = 1;
}

void on_reload_signal(int) { g_reload = 1; }

void install_signal_handlers() {
  g_stop = 0;
  g_reload = 0;
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);
  struct sigaction reload {};
  reload.sa_handler = on_reload_signal;
  sigemptyset(&reload.sa_mask);
  sigaction(SIGHUP, &reload, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// The scheduler's clock: wall-clock time, optionally running `scale` times faster from start.
class VirtualClock {
 public:
  explicit VirtualClock(double scale)
      : scale_(scale), origin_(SystemClock::now()), start_(std::chrono::steady_clock::now()) {}
  TimePoint now() const {
    std::chrono::duration<double> real = std::chrono::steady_clock::now() - start_;
    return origin_ + std::chrono::duration_cast<SystemClock::duration>(real * scale_);
  }
  // Real time until the virtual time `t`.
  std::chrono::milliseconds real_until(TimePoint t) const {
    std::chrono::duration<double> virtual_wait = t - now();
    if (virtual_wait.count() <= 0) return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(virtual_wait / scale_) +
           std::chrono::milliseconds(1);
  }

 private:
  double scale_;
  TimePoint origin_;
  std::chrono::steady_clock::time_point start_;
};

std::string iso(TimePoint t) { return common::iso_utc(t); }

double unix_seconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

int64_t resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// What /metrics adds in service mode: runs per source and outcome, rows, durations, the
// schedule, config reloads and the process's resident memory.
class RunMetrics {
 public:
  RunMetrics() : started_(unix_seconds(SystemClock::now())) {}

  void record_run(const std::string& source, bool ok, int64_t rows, double seconds, double finished) {
    std::lock_guard lock(mutex_);
    PerSource& s = sources_[source];
    (ok ? s.ok : s.failed) += 1;
    s.rows += static_cast<uint64_t>(std::max<int64_t>(rows, 0));
    s.seconds_sum += seconds;
    s.last_seconds = seconds;
    (ok ? s.last_success : s.last_failure) = finished;
  }
  void set_schedule(const std::string& source, double next_run, int failures) {
    std::lock_guard lock(mutex_);
    sources_[source].next_run = next_run;
    sources_[source].failures = failures;
  }
  void forget_except(const std::vector<std::string>& names) {
    std::lock_guard lock(mutex_);
    for (auto it = sources_.begin(); it != sources_.end();) {
      it = std::find(names.begin(), names.end(), it->first) == names.end() ? sources_.erase(it) : std::next(it);
    }
  }
  void record_reload(bool ok) {
    std::lock_guard lock(mutex_);
    (ok ? reloads_ok_ : reloads_failed_) += 1;
  }

  std::string render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    auto per_source = [&](const char* name, auto value) {
      for (const auto& [source, s] : sources_) {
        out += fmt::format("{}{{source=\"{}\"}} {}\n", name, server::prometheus_label(source), value(s));
      }
    };
    family("billingfoot_runs_total", "counter", "Scheduled syncs of a source by outcome.");
    for (const auto& [source, s] : sources_) {
      std::string label = server::prometheus_label(source);
      out += fmt::format("billingfoot_runs_total{{source=\"{}\",status=\"ok\"}} {}\n", label, s.ok);
      out += fmt::format("billingfoot_runs_total{{source=\"{}\",status=\"failed\"}} {}\n", label, s.failed);
    }
    family("billingfoot_run_rows_total", "counter", "Rows loaded by scheduled syncs of a source.");
    per_source("billingfoot_run_rows_total", [](const PerSource& s) { return s.rows; });
    family("billingfoot_run_duration_seconds", "summary", "Wall time of scheduled syncs of a source.");
    for (const auto& [source, s] : sources_) {
      std::string label = server::prometheus_label(source);
      out += fmt::format("billingfoot_run_duration_seconds_sum{{source=\"{}\"}} {:.3f}\n", label, s.seconds_sum);
      out += fmt::format("billingfoot_run_duration_seconds_count{{source=\"{}\"}} {}\n", label, s.ok + s.failed);
    }
    family("billingfoot_run_last_duration_seconds", "gauge", "Wall time of the last sync of a source.");
    per_source("billingfoot_run_last_duration_seconds",
               [](const PerSource& s) { return fmt::format("{:.3f}", s.last_seconds); });
    family("billingfoot_run_last_success_timestamp_seconds", "gauge",
           "End of the last successful scheduled sync of a source (Unix time; 0 = none yet).");
    per_source("billingfoot_run_last_success_timestamp_seconds",
               [](const PerSource& s) { return fmt::format("{:.0f}", s.last_success); });
    family("billingfoot_run_last_failure_timestamp_seconds", "gauge",
           "End of the last failed scheduled sync of a source (Unix time; 0 = none).");
    per_source("billingfoot_run_last_failure_timestamp_seconds",
               [](const PerSource& s) { return fmt::format("{:.0f}", s.last_failure); });
    family("billingfoot_run_consecutive_failures", "gauge", "Failed syncs of a source since its last success.");
    per_source("billingfoot_run_consecutive_failures", [](const PerSource& s) { return s.failures; });
    family("billingfoot_run_next_timestamp_seconds", "gauge",
           "When the next sync of a source is due (Unix time, scheduler clock).");
    per_source("billingfoot_run_next_timestamp_seconds",
               [](const PerSource& s) { return fmt::format("{:.0f}", s.next_run); });
    family("billingfoot_config_reloads_total", "counter", "Configuration reloads (SIGHUP) by outcome.");
    out += fmt::format("billingfoot_config_reloads_total{{result=\"ok\"}} {}\n", reloads_ok_);
    out += fmt::format("billingfoot_config_reloads_total{{result=\"failed\"}} {}\n", reloads_failed_);
    family("billingfoot_service_start_time_seconds", "gauge", "When the service started (Unix time).");
    out += fmt::format("billingfoot_service_start_time_seconds {:.0f}\n", started_);
    family("process_resident_memory_bytes", "gauge", "Resident memory of the process.");
    out += fmt::format("process_resident_memory_bytes {}\n", resident_memory_bytes());
    return out;
  }

 private:
  struct PerSource {
    uint64_t ok = 0, failed = 0, rows = 0;
    double seconds_sum = 0, last_seconds = 0, last_success = 0, last_failure = 0, next_run = 0;
    int failures = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, PerSource> sources_;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  double started_;
};

struct Scheduled {
  std::string name;
  common::CronSchedule schedule;
  TimePoint next;
  int failures = 0;
};

class Service {
 public:
  Service(const Globals& globals, const ServiceOptions& options)
      : globals_(globals), options_(options), clock_(options.time_scale), config_(load_config(globals)) {}

  int run() {
    auto cfg = config_.get();
    // One writer per data directory for the whole life of the service.
    data_dir_lock_ = hold_data_dir(*cfg);
    read_last_successes(*cfg);
    install_signal_handlers();
    plan_ = make_plan(*cfg, {});
    std::unique_ptr<server::WarehouseLease> lease;
    std::unique_ptr<server::BackgroundServer> server;
    if (!options_.no_server && (options_.listen || cfg->server.IsMap())) {
      server::ServerSettings settings = server::server_settings(*cfg, options_.listen);
      read_clickhouse_when_configured(*cfg, settings);
      lease = std::make_unique<server::WarehouseLease>(warehouse_file(*cfg), settings.idle_close,
                                                       std::chrono::seconds(3));
      server = std::make_unique<server::BackgroundServer>(config_, settings, *lease, "billingfoot run",
                                                          [this] { return metrics_.render(); });
    }
    lease_ = lease.get();
    say(fmt::format("started: {} sources, data in {}{}", plan_.size(), cfg->data_dir.string(),
                    options_.time_scale != 1.0 ? fmt::format(", clock x{}", options_.time_scale) : ""));
    for (const auto& s : plan_) say_plan(s);

    while (!g_stop) {
      if (g_reload) {
        g_reload = 0;
        reload();
      }
      if (server && !server->running()) {
        say("the server stopped unexpectedly; stopping");
        return 1;
      }
      TimePoint now = clock_.now();
      std::vector<size_t> due;
      TimePoint earliest = TimePoint::max();
      for (size_t i = 0; i < plan_.size(); ++i) {
        if (plan_[i].next <= now) due.push_back(i);
        earliest = std::min(earliest, plan_[i].next);
      }
      if (!due.empty()) {
        run_due(due);
        continue;
      }
      auto wait = std::min(std::chrono::milliseconds(200), clock_.real_until(earliest));
      std::this_thread::sleep_for(std::max(wait, std::chrono::milliseconds(1)));
    }
    say("stopping");
    server.reset();
    lease_ = nullptr;
    lease.reset();
    say("stopped");
    return 0;
  }

 private:
  void say(const std::string& line) {
    std::string text = iso(SystemClock::now()) + " billingfoot run: " + line + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }

  void say_plan(const Scheduled& s) {
    say(fmt::format("{}: schedule \"{}\", next sync {}", s.name, s.schedule.text(), iso(s.next)));
  }

  // When each source last synced successfully (from `runs`), to catch up on start.
  void read_last_successes(const config::Config& cfg) {
    auto wh = open_warehouse(cfg);  // also brings the schema up to date
    warehouse::Result r = wh.connection().query(
        "SELECT source, epoch(max(finished_at)) FROM runs WHERE status = 'ok' GROUP BY 1", "reading runs");
    for (size_t i = 0; i < r.row_count(); ++i) {
      last_success_[r.text(i, 0)] =
          TimePoint(std::chrono::duration_cast<SystemClock::duration>(std::chrono::duration<double>(r.number(i, 1))));
    }
  }

  // A plan for `cfg`'s sources; a source that was planned before with the same schedule keeps
  // its next run and failure count.
  std::vector<Scheduled> make_plan(const config::Config& cfg, const std::vector<Scheduled>& before) {
    std::vector<Scheduled> plan;
    TimePoint now = clock_.now();
    std::vector<std::string> names;
    for (const auto& src : cfg.sources) {
      common::CronSchedule schedule = sources::schedule_of(src);
      names.push_back(src.name);
      auto old = std::find_if(before.begin(), before.end(), [&](const Scheduled& s) { return s.name == src.name; });
      if (old != before.end() && old->schedule.text() == schedule.text()) {
        plan.push_back(*old);
        continue;
      }
      Scheduled s{src.name, schedule, schedule.next_after(now)};
      auto last = last_success_.find(src.name);
      if (last == last_success_.end() || now - last->second > schedule.longest_gap(now)) s.next = now;  // catch up
      plan.push_back(s);
      metrics_.set_schedule(s.name, unix_seconds(s.next), 0);
    }
    metrics_.forget_except(names);
    return plan;
  }

  void reload() {
    auto running = config_.get();
    try {
      config::Config next = load_config(globals_);
      if (next.data_dir != running->data_dir) {
        throw UsageError("data_dir changed from " + running->data_dir.string() + " to " + next.data_dir.string() +
                         "; that takes a restart");
      }
      if (lease_ && YAML::Dump(next.server) != YAML::Dump(running->server)) {
        say("note: changes to server: take effect on restart");
      }
      config_.set(std::move(next));
      plan_ = make_plan(*config_.get(), plan_);
      models_dirty_ = true;
      metrics_.record_reload(true);
      say(fmt::format("reloaded {}: {} sources", running->file.string(), plan_.size()));
      for (const auto& s : plan_) say_plan(s);
    } catch (const std::exception& e) {
      metrics_.record_reload(false);
      say(fmt::format("reloading {} failed, keeping the running configuration: {}", running->file.string(),
                      e.what()));
    }
  }

  void schedule_after(Scheduled& s, bool ok) {
    TimePoint now = clock_.now();
    TimePoint scheduled = s.schedule.next_after(now);
    if (ok) {
      s.failures = 0;
      s.next = scheduled;
    } else {
      s.failures += 1;
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      TimePoint retry = now + retry_delay(s.failures, kRetryBase, kRetryCap, jitter(rng_));
      s.next = std::min(retry, scheduled);
    }
    metrics_.set_schedule(s.name, unix_seconds(s.next), s.failures);
  }

  void run_due(const std::vector<size_t>& due) {
    auto cfg = config_.get();  // this batch's configuration, even if a reload comes meanwhile
    std::optional<server::WarehouseLease::Exclusive> pause;
    if (lease_) pause.emplace(lease_->exclusive());  // requests get "busy" until the batch ends
    size_t next_due = 0;
    try {
      auto wh = open_warehouse(*cfg);
      bool loaded = false;
      for (; next_due < due.size() && !g_stop; ++next_due) {
        Scheduled& s = plan_[due[next_due]];
        const config::SourceConfig* src = cfg->find_source(s.name);
        auto started = std::chrono::steady_clock::now();
        sources::SyncResult result;
        try {
          result = sources::sync_source(*cfg, *src, wh, {});
        } catch (const std::exception& e) {
          result.error = e.what();
        }
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        int64_t rows = 0, n_loaded = 0, n_unchanged = 0;
        std::vector<std::string> problems;
        if (!result.error.empty()) problems.push_back(result.error);
        for (const auto& p : result.periods) {
          if (p.status == sources::PeriodStatus::Loaded) {
            ++n_loaded;
            rows += p.rows;
          }
          n_unchanged += p.status == sources::PeriodStatus::Unchanged;
          if (p.status == sources::PeriodStatus::Failed) problems.push_back(p.billing_period + ": " + p.message);
        }
        loaded = loaded || n_loaded > 0;
        bool ok = result.ok();
        if (ok) last_success_[s.name] = SystemClock::now();
        metrics_.record_run(s.name, ok, rows, seconds, unix_seconds(SystemClock::now()));
        schedule_after(s, ok);
        std::string summary = fmt::format("{} periods loaded, {} unchanged, {} rows, {:.1f} s", n_loaded,
                                          n_unchanged, rows, seconds);
        if (ok) {
          say(fmt::format("{}: ok: {}; next sync {}", s.name, summary, iso(s.next)));
        } else {
          say(fmt::format("{}: failed: {}; {}; retry {} (failure {} in a row)", s.name, common::join(problems, "; "),
                          summary, iso(s.next), s.failures));
        }
      }
      if (loaded || models_dirty_) update_models(*cfg, wh);
      if (cfg->warehouse.type == "clickhouse" && !publish_and_print(*cfg, wh, std::cout)) {
        say("clickhouse: publishing failed (see above); the next batch retries it");
      }
    } catch (const std::exception& e) {
      // The warehouse itself could not be opened or written (disk full, permissions): every
      // source of the batch not yet synced is retried like a failed run.
      say(fmt::format("the warehouse is not usable: {}", e.what()));
      for (; next_due < due.size(); ++next_due) {
        Scheduled& s = plan_[due[next_due]];
        metrics_.record_run(s.name, false, 0, 0, unix_seconds(SystemClock::now()));
        schedule_after(s, false);
      }
    }
    // Each batch opens and closes the warehouse, whose threads leave freed memory in malloc's
    // per-thread arenas; hand it back so a service running for months stays at its size.
    pause.reset();
    ::malloc_trim(0);
  }

  // After new data: the daily rollup, business metrics, allocation and unit costs, then
  // anomaly and budget checks with alerts when any of those is configured. A failing step is
  // logged; the service goes on.
  void update_models(const config::Config& cfg, warehouse::Warehouse& wh) {
    try {
      bool analysis = cfg.anomalies.IsDefined() || cfg.budgets.IsDefined() || cfg.alerts.IsDefined();
      bool ok = update_models_and_print(cfg, wh, true, [&] {
        return !analysis || detect_and_alert(cfg, wh, std::cout);
      });
      std::cout.flush();
      models_dirty_ = false;
      if (!ok) say("models: a step failed (see above); the next sync retries it");
    } catch (const std::exception& e) {
      say(fmt::format("models: {}; the next sync retries", e.what()));
    }
  }

  const Globals& globals_;
  ServiceOptions options_;
  VirtualClock clock_;
  config::SharedConfig config_;
  std::shared_ptr<void> data_dir_lock_;
  server::WarehouseLease* lease_ = nullptr;
  std::vector<Scheduled> plan_;
  std::map<std::string, TimePoint> last_success_;
  RunMetrics metrics_;
  bool models_dirty_ = true;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

std::chrono::seconds retry_delay(int failures, std::chrono::seconds base, std::chrono::seconds cap, double jitter) {
  double seconds = static_cast<double>(base.count());
  for (int i = 1; i < failures && seconds < static_cast<double>(cap.count()); ++i) seconds *= 2;
  seconds = std::min(seconds, static_cast<double>(cap.count()));
  seconds *= 0.8 + 0.4 * std::clamp(jitter, 0.0, 0.999999);
  return std::chrono::seconds(std::max<int64_t>(1, std::llround(seconds)));
}

int run_service(const Globals& globals, const ServiceOptions& options) {
  if (!(options.time_scale > 0)) throw UsageError("--time-scale must be a positive number");
  Service service(globals, options);
  return service.run();
}

}  // namespace billingfoot::app
