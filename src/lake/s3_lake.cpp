// The lake under an S3 prefix. S3 has no rename, so a partition is replaced in this order:
// upload the new data objects under names no earlier export used (part-<export id>-NNNNN),
// then write _manifest.json naming them and _SUCCESS, then delete every other object of the
// partition. A reader that follows the manifest sees old or new files, never a mix; an
// interrupted export leaves the old manifest and old files in place (plus unreferenced new
// objects, which the next export deletes).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "common/failpoint.hpp"
#include "lake/hive_path.hpp"
#include "lake/lake_store.hpp"

namespace billingfoot::lake {

namespace fs = std::filesystem;

namespace {

// Scratch folders of exports whose process is gone (killed mid-export) are deleted.
void clear_abandoned_scratch(const fs::path& parent) {
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) return;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    pid_t pid = static_cast<pid_t>(std::atol(name.substr(0, name.find('-')).c_str()));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
      fs::remove_all(entry.path(), ec);
  }
}

class S3Lake : public LakeStore {
 public:
  S3Lake(const net::S3Url& url, const S3LakeOptions& options, std::string export_id)
      : url_(url),
        client_(options.s3),
        multipart_(options.multipart),
        export_id_(std::move(export_id)) {
    clear_abandoned_scratch(options.scratch);
    scratch_ = options.scratch / (std::to_string(::getpid()) + "-" + export_id_);
    for (const auto& o : client_.list(url_.bucket, url_.prefix.empty() ? "" : url_.prefix + "/")) {
      keys_.insert(o.key);
    }
  }

  ~S3Lake() override {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  std::string describe(const std::string& path) const override {
    return "s3://" + url_.bucket + "/" + key(path);
  }

  std::string data_file_name(int index) const override {
    char part[16];
    std::snprintf(part, sizeof part, "%05d", index);
    return "part-" + export_id_ + "-" + part + ".parquet";
  }

  std::vector<std::string> partition_dirs(const std::string& table) override {
    std::set<std::string> dirs;
    std::string base = key(table) + "/";
    for (const auto& k : keys_) {
      if (!k.starts_with(base)) continue;
      std::string rest = k.substr(base.size());
      auto last = rest.rfind('/');
      if (last == std::string::npos) continue;
      std::string dir = rest.substr(0, last);
      if (parse_partition_dir(dir)) dirs.insert(dir);
    }
    return {dirs.begin(), dirs.end()};
  }

  bool has_files(const std::string& dir, const std::vector<std::string>& files) override {
    for (const auto& f : files) {
      if (!keys_.count(key(dir + "/" + f))) return false;
    }
    return true;
  }

  std::optional<std::string> read_text(const std::string& path) override {
    return client_.get_text_if_exists(url_.bucket, key(path));
  }

  void write_text(const std::string& path, const std::string& text) override {
    client_.put(url_.bucket, key(path), text);
    keys_.insert(key(path));
  }

  void remove_file(const std::string& path) override {
    client_.remove(url_.bucket, key(path));
    keys_.erase(key(path));
  }

  fs::path stage(const std::string& dir) override {
    fs::path staged = scratch_ / dir;
    fs::remove_all(staged);
    fs::create_directories(staged);
    return staged;
  }

  void publish(const std::string& dir, const fs::path& staged,
               const std::vector<std::string>& data_files) override {
    std::set<std::string> current;
    for (const auto& f : data_files) {
      client_.put_file(url_.bucket, key(dir + "/" + f), staged / f, multipart_);
      current.insert(key(dir + "/" + f));
    }
    common::failpoint("export.before_swap");
    for (const char* marker : {kManifestFile, kSuccessFile}) {
      client_.put_file(url_.bucket, key(dir + "/" + marker), staged / marker, multipart_);
      current.insert(key(dir + "/" + marker));
    }
    delete_all_but(dir, current);
    keys_.insert(current.begin(), current.end());
    std::error_code ec;
    fs::remove_all(staged, ec);
  }

  void remove_dir(const std::string& dir) override {
    remove_file(dir + "/" + kManifestFile);
    remove_file(dir + "/" + kSuccessFile);
    delete_all_but(dir, {});
  }

 private:
  std::string key(const std::string& path) const {
    if (url_.prefix.empty()) return path;
    return path.empty() ? url_.prefix : url_.prefix + "/" + path;
  }

  // Deletes the objects of partition folder `dir` that are not in `keep` (listed afresh, so
  // objects an interrupted export left behind go too).
  void delete_all_but(const std::string& dir, const std::set<std::string>& keep) {
    for (const auto& o : client_.list(url_.bucket, key(dir) + "/")) {
      if (keep.count(o.key)) continue;
      client_.remove(url_.bucket, o.key);
      keys_.erase(o.key);
    }
  }

  net::S3Url url_;
  net::S3Client client_;
  net::S3Client::Multipart multipart_;
  std::string export_id_;
  fs::path scratch_;
  std::set<std::string> keys_;  // every key under the prefix, kept current as we write
};

}  // namespace

std::unique_ptr<LakeStore> open_s3_lake(const net::S3Url& url, const S3LakeOptions& options,
                                        const std::string& export_id) {
  return std::make_unique<S3Lake>(url, options, export_id);
}

}  // namespace billingfoot::lake
