#pragma once
// Amazon S3 (and S3-compatible stores) over the REST API: list a prefix (ListObjectsV2, every
// page) and stream objects to disk, signed with SigV4 by libcurl. Errors name the bucket, the
// key and, for 403, the permission the credentials lack.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "net/http.hpp"

namespace billingfoot::net {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; nullopt when the first two
  // are not both set.
  static std::optional<AwsCredentials> from_environment();
};

struct S3Options {
  std::string region = "us-east-1";
  // An S3-compatible endpoint (http://127.0.0.1:9000); requests then use path style
  // (endpoint/bucket/key). Empty: AWS, virtual-hosted style (bucket.s3.region.amazonaws.com).
  std::string endpoint;
  AwsCredentials credentials;
  std::string what;  // prefix of error messages, e.g. "source aws-payer"
};

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;           // without quotes
  std::string last_modified;  // ISO 8601 as S3 sends it
};

// "s3://bucket/some/prefix" → {bucket, "some/prefix"}; nullopt when not an s3:// URL.
struct S3Url {
  std::string bucket;
  std::string prefix;
};
std::optional<S3Url> parse_s3_url(const std::string& url);

// Thrown for answers S3 gave that retrying cannot fix (403, 404, wrong region, bad XML).
class S3Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class S3Client {
 public:
  explicit S3Client(S3Options options);

  // Every object under `prefix` (all pages), in key order.
  std::vector<S3Object> list(const std::string& bucket, const std::string& prefix) const;
  // Streams the object to `file` (temp name, renamed when complete); checks the size when
  // `expected_size` >= 0.
  void download(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                int64_t expected_size = -1) const;
  // A small object (a manifest) as text.
  std::string get_text(const std::string& bucket, const std::string& key) const;
  // A small object as text, or nullopt when it does not exist (the bucket must).
  std::optional<std::string> get_text_if_exists(const std::string& bucket, const std::string& key) const;
  // Writes an object (tests and the demo use it to upload fixtures).
  void put(const std::string& bucket, const std::string& key, const std::string& body) const;
  // Uploads a file, streamed from disk: one PUT below `multipart.threshold` bytes, else a
  // multipart upload (aborted when any part fails, so no half object is left behind).
  struct Multipart {
    int64_t threshold = 64ll << 20;
    // S3 wants parts of at least 5 MiB (but the last) and at most 10,000 parts; the part size
    // grows when a file would need more.
    int64_t part_size = 16ll << 20;
  };
  void put_file(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                const Multipart& multipart) const;
  // Deletes an object; deleting one that does not exist is not an error (as in S3).
  void remove(const std::string& bucket, const std::string& key) const;
  void create_bucket(const std::string& bucket) const;

 private:
  Request request(const std::string& method, const std::string& bucket, const std::string& key,
                  const std::string& query = "") const;
  RetryPolicy policy(const std::string& what) const;
  void put_multipart(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                     int64_t size, int64_t part_size) const;
  // Turns a final non-2xx answer into an S3Error; `action` is the IAM permission involved.
  [[noreturn]] void fail(const Response& response, const std::string& bucket, const std::string& key,
                         const std::string& action) const;

  S3Options options_;
};

}  // namespace billingfoot::net
