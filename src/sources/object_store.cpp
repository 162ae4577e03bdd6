#include "sources/object_store.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources {

namespace fs = std::filesystem;

namespace {

std::string iso_mtime(const fs::path& file) {
  auto t = fs::last_write_time(file);
  auto sys = std::chrono::file_clock::to_sys(t);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::milliseconds>(sys));
}

class LocalFolder : public ObjectStore {
 public:
  explicit LocalFolder(fs::path root) : root_(std::move(root)) {}

  std::vector<StoredObject> list() const override {
    if (!fs::is_directory(root_)) throw InputError("folder " + root_.string() + " does not exist");
    std::vector<StoredObject> objects;
    for (auto it = fs::recursive_directory_iterator(root_); it != fs::recursive_directory_iterator(); ++it) {
      std::string name = it->path().filename().string();
      if (name.starts_with(".")) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || name.ends_with(".partial")) continue;
      StoredObject o;
      o.key = fs::relative(it->path(), root_).generic_string();
      o.size = static_cast<int64_t>(it->file_size());
      o.last_modified = iso_mtime(it->path());
      o.etag = std::to_string(o.size) + "-" +
               std::to_string(fs::last_write_time(it->path()).time_since_epoch().count());
      objects.push_back(std::move(o));
    }
    std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return objects;
  }

  std::string read_text(const std::string& key) const override {
    std::ifstream in(root_ / key, std::ios::binary);
    if (!in) throw InputError("cannot read " + describe(key));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path fetch(const StoredObject& object, const fs::path&) const override { return root_ / object.key; }
  std::string describe(const std::string& key) const override { return (root_ / key).string(); }

  bool is_remote() const override { return false; }

 private:
  fs::path root_;
};

class S3Prefix : public ObjectStore {
 public:
  S3Prefix(net::S3Url url, net::S3Options options) : url_(std::move(url)), client_(std::move(options)) {}

  std::vector<StoredObject> list() const override {
    std::string prefix = url_.prefix.empty() ? "" : url_.prefix + "/";
    std::vector<StoredObject> objects;
    for (auto& o : client_.list(url_.bucket, prefix)) {
      if (o.key.ends_with("/")) continue;  // folder markers
      objects.push_back({o.key.substr(prefix.size()), o.size, o.etag, o.last_modified});
    }
    return objects;
  }

  std::string read_text(const std::string& key) const override { return client_.get_text(url_.bucket, full_key(key)); }

  fs::path fetch(const StoredObject& object, const fs::path& landing_dir) const override {
    fs::path file = landing_dir / object.key;
    fs::path marker = file;
    marker += ".etag";
    std::string stamp = object.etag + " " + std::to_string(object.size);
    if (fs::exists(file) && fs::exists(marker) && static_cast<int64_t>(fs::file_size(file)) == object.size) {
      std::ifstream in(marker);
      std::string seen((std::istreambuf_iterator<char>(in)), {});
      if (seen == stamp) {
        spdlog::debug("{}: already landed", describe(object.key));
        return file;
      }
    }
    fs::remove(marker);
    client_.download(url_.bucket, full_key(object.key), file, object.size);
    std::ofstream(marker) << stamp;
    return file;
  }

  std::string describe(const std::string& key) const override { return "s3://" + url_.bucket + "/" + full_key(key); }

  bool is_remote() const override { return true; }

 private:
  std::string full_key(const std::string& key) const { return url_.prefix.empty() ? key : url_.prefix + "/" + key; }
  net::S3Url url_;
  net::S3Client client_;
};

}  // namespace

std::string resolve_reference(const std::string& reference, const std::vector<StoredObject>& listing) {
  std::string ref = reference;
  if (auto s3 = net::parse_s3_url(ref)) ref = s3->prefix;
  auto parts = common::split(ref, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string key = common::join(std::vector<std::string>(parts.begin() + static_cast<long>(i), parts.end()), "/");
    auto it = std::lower_bound(listing.begin(), listing.end(), key,
                               [](const StoredObject& o, const std::string& k) { return o.key < k; });
    if (!key.empty() && it != listing.end() && it->key == key) return key;
  }
  return "";
}

std::unique_ptr<ObjectStore> open_object_store(const ObjectStoreOptions& options) {
  if (auto s3 = net::parse_s3_url(options.location)) return std::make_unique<S3Prefix>(*s3, options.s3);
  if (options.location.find("://") != std::string::npos) {
    throw UsageError("location " + options.location + ": only s3:// URLs and local folders are supported");
  }
  fs::path root = options.location;
  if (root.is_relative()) root = options.base / root;
  return std::make_unique<LocalFolder>(root.lexically_normal());
}

}  // namespace billingfoot::sources
