#include "server/warehouse_lease.hpp"

#include <spdlog/spdlog.h>

#include "common/errors.hpp"

namespace billingfoot::server {

WarehouseLease::WarehouseLease(std::filesystem::path file, std::chrono::milliseconds idle_close,
                               std::chrono::milliseconds lock_wait)
    : file_(std::move(file)), idle_close_(idle_close), lock_wait_(lock_wait) {
  closer_ = std::thread([this] { close_when_idle(); });
}

WarehouseLease::~WarehouseLease() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  closer_.join();
}

WarehouseLease::Use::Use(WarehouseLease* lease, warehouse::Connection connection)
    : lease_(lease), connection_(std::move(connection)) {}

WarehouseLease::Use::~Use() {
  connection_.reset();  // before the lease may close the database
}

void WarehouseLease::Use::Release::operator()(WarehouseLease* lease) const {
  lease->release();
}

WarehouseLease::Use WarehouseLease::acquire() {
  std::unique_lock lock(mutex_);
  if (writer_ && !changed_.wait_for(lock, lock_wait_, [this] { return !writer_ || stopping_; })) {
    throw warehouse::WarehouseLocked("reading " + file_.string(), "a sync of this process is writing it");
  }
  if (!database_) {
    if (!std::filesystem::exists(file_)) {
      throw InputError("no warehouse at " + file_.string() + " yet: run `billingfoot sync` first");
    }
    warehouse::OpenOptions options;
    options.read_only = true;
    options.external_access = false;  // SQL from API users must not reach the filesystem
    options.lock_wait = lock_wait_;
    database_ = warehouse::Database::open(file_.string(), options);
    spdlog::debug("opened {} read-only", file_.string());
  }
  warehouse::Connection con = database_->connect();
  ++in_use_;
  return Use(this, std::move(con));
}

void WarehouseLease::release() {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    last_release_ = std::chrono::steady_clock::now();
  }
  changed_.notify_all();
}

WarehouseLease::Exclusive::~Exclusive() = default;

void WarehouseLease::Exclusive::End::operator()(WarehouseLease* lease) const {
  {
    std::lock_guard lock(lease->mutex_);
    lease->writer_ = false;
  }
  lease->changed_.notify_all();
}

WarehouseLease::Exclusive WarehouseLease::exclusive() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !writer_; });
  writer_ = true;  // from here on no new request takes the file
  changed_.wait(lock, [this] { return in_use_ == 0; });
  if (database_) {
    database_.reset();
    spdlog::debug("closed {} for a sync", file_.string());
  }
  return Exclusive(this);
}

bool WarehouseLease::is_open() {
  std::lock_guard lock(mutex_);
  return database_.has_value();
}

void WarehouseLease::close_when_idle() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (database_ && in_use_ == 0) {
      auto due = last_release_ + idle_close_;
      if (std::chrono::steady_clock::now() >= due) {
        database_.reset();
        spdlog::debug("closed {} (idle)", file_.string());
        continue;
      }
      changed_.wait_until(lock, due);
    } else {
      changed_.wait(lock);
    }
  }
  database_.reset();
}

}  // namespace billingfoot::server
