#pragma once
// The server's read-only hold on the warehouse file. DuckDB lets one process write a file or
// several read it, never both at once; so the server opens the file when a request arrives and
// closes it once no request has needed it for a short while. A `sync` in another process
// waits for that moment (its open retries), and while it writes, requests wait a little and
// then get "busy" (HTTP 503) instead of old or half-written data.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "warehouse/duckdb.hpp"

namespace billingfoot::server {

class WarehouseLease {
 public:
  WarehouseLease(std::filesystem::path file, std::chrono::milliseconds idle_close,
                 std::chrono::milliseconds lock_wait);
  ~WarehouseLease();
  WarehouseLease(const WarehouseLease&) = delete;
  WarehouseLease& operator=(const WarehouseLease&) = delete;

  // One request's connection; the file stays open while any Use is alive.
  class Use {
   public:
    Use(Use&&) noexcept = default;
    ~Use();
    warehouse::Connection& connection() { return *connection_; }

   private:
    friend class WarehouseLease;
    Use(WarehouseLease* lease, warehouse::Connection connection);
    struct Release {
      void operator()(WarehouseLease* lease) const;
    };
    std::unique_ptr<WarehouseLease, Release> lease_;
    std::optional<warehouse::Connection> connection_;
  };

  // Throws InputError when nothing has been synced yet, warehouse::WarehouseLocked when a sync
  // holds the file for longer than lock_wait.
  Use acquire();
  bool is_open();
  // Whether there is a warehouse file at all (a machine that only reads a ClickHouse warehouse
  // has none).
  bool file_exists() const { return std::filesystem::exists(file_); }

  // A writer in this process (`billingfoot run`): while an Exclusive lives, the read-only
  // handle is closed and requests wait up to lock_wait, then get WarehouseLocked ("busy").
  // DuckDB's file lock does not separate two handles of one process, so this does.
  class Exclusive {
   public:
    Exclusive(Exclusive&&) noexcept = default;
    ~Exclusive();

   private:
    friend class WarehouseLease;
    explicit Exclusive(WarehouseLease* lease) : lease_(lease) {}
    struct End {
      void operator()(WarehouseLease* lease) const;
    };
    std::unique_ptr<WarehouseLease, End> lease_;
  };
  // Waits until no request uses the file, then closes it.
  Exclusive exclusive();

 private:
  void release();
  void close_when_idle();

  std::filesystem::path file_;
  std::chrono::milliseconds idle_close_, lock_wait_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<warehouse::Database> database_;
  int in_use_ = 0;
  bool writer_ = false;
  std::chrono::steady_clock::time_point last_release_;
  bool stopping_ = false;
  std::thread closer_;
};

}  // namespace billingfoot::server
