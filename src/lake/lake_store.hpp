#pragma once
// Where a lake is written — a local folder or an S3 prefix — behind one interface, so the
// export logic is the same for both. Paths are relative to the lake root, '/'-separated.
//
// A partition folder holds its data files, `_manifest.json` (which files are current) and
// `_SUCCESS`. publish() replaces a partition so that readers never see a mix of old and new
// files: a local folder is swapped in whole by one rename; on S3 the new objects are written
// first, then the manifest and _SUCCESS, then the old objects are deleted (readers go by the
// manifest, or list only while the table's _SUCCESS exists; see README "export").
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/s3.hpp"

namespace billingfoot::lake {

inline constexpr const char* kManifestFile = "_manifest.json";
inline constexpr const char* kSuccessFile = "_SUCCESS";
inline constexpr const char* kSchemaFile = "_schema.json";

class LakeStore {
 public:
  virtual ~LakeStore() = default;
  // The lake root or a path in it as the user would write it ("/abs/lake/x", "s3://b/p/x").
  virtual std::string describe(const std::string& path = {}) const = 0;
  // Name of the index-th data file of a partition written by this export.
  virtual std::string data_file_name(int index) const = 0;
  // Partition folders ("provider=…/billing_period=…") that exist under `table`.
  virtual std::vector<std::string> partition_dirs(const std::string& table) = 0;
  // Whether folder `dir` holds every one of `files`.
  virtual bool has_files(const std::string& dir, const std::vector<std::string>& files) = 0;
  // A small file's text; nullopt when it does not exist.
  virtual std::optional<std::string> read_text(const std::string& path) = 0;
  // Replaces a small file whole: a reader sees the old text or the new one.
  virtual void write_text(const std::string& path, const std::string& text) = 0;
  virtual void remove_file(const std::string& path) = 0;
  // A new, empty local folder to write the files of partition folder `dir` into.
  virtual std::filesystem::path stage(const std::string& dir) = 0;
  // Makes the staged folder (data files, _manifest.json, _SUCCESS) the content of `dir` and
  // deletes the files it had. Failpoint "export.before_swap" stops it after the new data files
  // are written and before any reader can see them.
  virtual void publish(const std::string& dir, const std::filesystem::path& staged,
                       const std::vector<std::string>& data_files) = 0;
  // Removes partition folder `dir` (the manifest first, so no reader follows it to deleted files).
  virtual void remove_dir(const std::string& dir) = 0;
};

// A lake in a local folder (created if missing). Holds an exclusive lock on the folder while it
// lives (a second export to it fails at once) and clears what an interrupted export left in
// its staging folder, `<root>/_billingfoot_staging`.
std::unique_ptr<LakeStore> open_local_lake(const std::filesystem::path& root,
                                           const std::string& export_id);

struct S3LakeOptions {
  net::S3Options s3;
  net::S3Client::Multipart multipart;
  std::filesystem::path scratch;  // a local folder for the files of one partition at a time
};
// A lake under an S3 prefix. Lists the prefix once when opened (errors name the bucket).
std::unique_ptr<LakeStore> open_s3_lake(const net::S3Url& url, const S3LakeOptions& options,
                                        const std::string& export_id);

}  // namespace billingfoot::lake
