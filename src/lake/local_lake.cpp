// The lake in a local folder. A partition is replaced by renaming a complete staged folder into
// place: renameat2(RENAME_EXCHANGE) swaps the two folders in one step, so a reader listing the
// partition sees all old files or all new ones; the old folder, now in staging, is deleted
// after. Staging lives in the same file system (<root>/_billingfoot_staging) so renames work.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/errors.hpp"
#include "common/failpoint.hpp"
#include "lake/hive_path.hpp"
#include "lake/lake_store.hpp"

namespace billingfoot::lake {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingDir = "_billingfoot_staging";

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(error));
}

// Flushes a file or folder to disk, so a rename that follows never publishes unwritten data.
void sync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) fail("cannot open", path, errno);
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0 && error != EINVAL) fail("cannot flush", path, error);
}

class LocalLake : public LakeStore {
 public:
  LocalLake(fs::path root, std::string export_id)
      : root_(std::move(root)), export_id_(std::move(export_id)) {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec)
      throw std::runtime_error("cannot create the lake folder " + root_.string() + ": " +
                               ec.message());
    lock_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd_ < 0) fail("cannot open the lake folder", root_, errno);
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      throw InputError("another billingfoot export is writing to " + root_.string() +
                       "; wait for it to finish");
    }
    // Whatever is in staging belongs to an export that did not finish (we hold the lock).
    fs::remove_all(root_ / kStagingDir, ec);
    if (ec)
      throw std::runtime_error("cannot clear " + (root_ / kStagingDir).string() + ": " +
                               ec.message());
  }

  ~LocalLake() override {
    std::error_code ec;
    fs::remove_all(root_ / kStagingDir, ec);
    ::close(lock_fd_);  // releases the lock
  }

  std::string describe(const std::string& path) const override {
    return path.empty() ? root_.string() : (root_ / path).string();
  }

  std::string data_file_name(int index) const override {
    char name[32];
    std::snprintf(name, sizeof name, "part-%05d.parquet", index);
    return name;
  }

  std::vector<std::string> partition_dirs(const std::string& table) override {
    std::vector<std::string> dirs;
    fs::path base = root_ / table;
    std::error_code ec;
    if (!fs::is_directory(base, ec)) return dirs;
    for (const auto& provider : fs::directory_iterator(base)) {
      if (!provider.is_directory()) continue;
      for (const auto& period : fs::directory_iterator(provider.path())) {
        std::string dir =
            provider.path().filename().string() + "/" + period.path().filename().string();
        if (period.is_directory() && parse_partition_dir(dir)) dirs.push_back(dir);
      }
    }
    return dirs;
  }

  bool has_files(const std::string& dir, const std::vector<std::string>& files) override {
    std::error_code ec;
    for (const auto& f : files) {
      if (!fs::is_regular_file(root_ / dir / f, ec)) return false;
    }
    return true;
  }

  std::optional<std::string> read_text(const std::string& path) override {
    fs::path file = root_ / path;
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) fail("cannot read", file, errno);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  void write_text(const std::string& path, const std::string& text) override {
    fs::path file = root_ / path;
    fs::create_directories(file.parent_path());
    fs::path temp = file.parent_path() / ("." + file.filename().string() + ".tmp-" + export_id_);
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << text;
      out.flush();
      if (!out) fail("cannot write", temp, errno ? errno : EIO);
    }
    sync_path(temp, false);
    if (::rename(temp.c_str(), file.c_str()) != 0) fail("cannot replace", file, errno);
    sync_path(file.parent_path(), true);
  }

  void remove_file(const std::string& path) override {
    std::error_code ec;
    fs::remove(root_ / path, ec);
    if (ec)
      throw std::runtime_error("cannot delete " + (root_ / path).string() + ": " + ec.message());
  }

  fs::path stage(const std::string& dir) override {
    fs::path staged = root_ / kStagingDir / export_id_ / dir;
    fs::remove_all(staged);
    fs::create_directories(staged);
    return staged;
  }

  void publish(const std::string& dir, const fs::path& staged,
               const std::vector<std::string>&) override {
    for (const auto& f : fs::directory_iterator(staged)) sync_path(f.path(), false);
    sync_path(staged, true);
    common::failpoint("export.before_swap");
    fs::path target = root_ / dir;
    fs::create_directories(target.parent_path());
    std::error_code ec;
    if (!fs::exists(target, ec)) {
      if (::rename(staged.c_str(), target.c_str()) != 0)
        fail("cannot move the new partition into", target, errno);
    } else if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) ==
               0) {
      // `staged` now holds the old files.
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
      // A file system without atomic exchange: move the old folder aside, then the new one in.
      // Between the two renames the partition is briefly absent, never mixed.
      fs::path old = staged;
      old += ".old";
      if (::rename(target.c_str(), old.c_str()) != 0) fail("cannot move aside", target, errno);
      if (::rename(staged.c_str(), target.c_str()) != 0)
        fail("cannot move the new partition into", target, errno);
      fs::rename(old, staged);
    } else {
      fail("cannot swap the new partition into", target, errno);
    }
    sync_path(target.parent_path(), true);
    fs::remove_all(staged, ec);
    if (ec)
      spdlog::warn("cannot delete the replaced files in {}: {}", staged.string(), ec.message());
  }

  void remove_dir(const std::string& dir) override {
    fs::path target = root_ / dir;
    std::error_code ec;
    if (!fs::exists(target, ec)) return;
    // Out of sight in one rename, then deleted.
    fs::path gone = root_ / kStagingDir / export_id_ / "removed" / dir;
    fs::create_directories(gone.parent_path());
    if (::rename(target.c_str(), gone.c_str()) != 0)
      fail("cannot remove the partition", target, errno);
    fs::remove_all(gone, ec);
    fs::remove(target.parent_path(), ec);  // the provider folder, when this was its last partition
  }

 private:
  fs::path root_;
  std::string export_id_;
  int lock_fd_ = -1;
};

}  // namespace

std::unique_ptr<LakeStore> open_local_lake(const fs::path& root, const std::string& export_id) {
  return std::make_unique<LocalLake>(fs::absolute(root).lexically_normal(), export_id);
}

}  // namespace billingfoot::lake
