#pragma once
// A delivery location seen as a set of objects under a root: an S3 prefix or a local folder
// laid out the same way. Connectors discover deliveries by listing, then fetch exactly the
// objects they need; S3 objects land in the landing zone, local files are read in place.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net/s3.hpp"

namespace billingfoot::sources {

struct StoredObject {
  std::string key;  // relative to the root, '/'-separated
  int64_t size = 0;
  std::string etag;           // S3 ETag; for local files size and modification time
  std::string last_modified;  // ISO 8601, comparable as text
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Every object below the root, sorted by key.
  virtual std::vector<StoredObject> list() const = 0;
  virtual std::string read_text(const std::string& key) const = 0;
  // A local file with the object's content. S3: downloaded to landing_dir/<file name>, reused
  // when a previous sync landed the same ETag and size there.
  virtual std::filesystem::path fetch(const StoredObject& object, const std::filesystem::path& landing_dir) const = 0;
  // "s3://bucket/prefix/key" or the local path, for messages.
  virtual std::string describe(const std::string& key) const = 0;
  virtual bool is_remote() const = 0;
};

// The listed key a manifest's reference (s3://bucket/full/key, a bucket key, or a key relative
// to the root) points to: the longest '/'-suffix of the reference that is a listed key; "" when
// none is (a local copy of an export keeps its layout but not the bucket's prefix).
std::string resolve_reference(const std::string& reference, const std::vector<StoredObject>& listing);

struct ObjectStoreOptions {
  std::string location;       // s3://bucket/prefix or a folder
  std::filesystem::path base;  // relative folders are resolved against it
  net::S3Options s3;           // region, endpoint, credentials, message prefix
};

std::unique_ptr<ObjectStore> open_object_store(const ObjectStoreOptions& options);

}  // namespace billingfoot::sources
