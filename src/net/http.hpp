#pragma once
// The one HTTP client every connector uses (libcurl): a request in, a response out, with
// retries, backoff with jitter and rate-limit waits handled in one place. Bodies can stream
// to a file so a 2 GB object is never held in memory. Header values are never logged (they
// carry API keys and tokens); the log names method, host and path only.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace billingfoot::net {

// AWS Signature Version 4 signing, done by libcurl (CURLOPT_AWS_SIGV4).
struct AwsSigV4 {
  std::string region;
  std::string service = "s3";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when not empty
};

// A request body read from disk as it is sent (an upload), so a large file is never held in
// memory: `length` bytes from `offset` of `file`.
struct FileBody {
  std::filesystem::path file;
  int64_t offset = 0;
  int64_t length = 0;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string body;
  std::optional<FileBody> body_file;  // instead of `body`; re-read from disk on every attempt
  std::optional<AwsSigV4> sigv4;
  std::chrono::seconds timeout{300};         // whole transfer
  std::chrono::seconds connect_timeout{15};  // TCP + TLS
  // The URL itself is a credential (a Slack or Teams webhook path): logs and errors show the
  // host only.
  bool url_is_secret = false;
};

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;  // empty when the body was streamed to a file
  int64_t body_bytes = 0;

  // The last value of a header (name case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

// The request could not complete at all: DNS, refused connection, TLS, timeout, reset.
class NetworkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One attempt; throws NetworkError when no HTTP response arrived. Any status is returned.
Response send(const Request& request);

// One attempt that streams a 2xx body into `file`: written to `file` + ".partial" and renamed
// when complete and, when the server sent Content-Length, of that size. On any other status the
// (small) error body is returned in Response::body and `file` is untouched. Throws
// NetworkError on transport failure or a short body; the partial file is removed.
Response download(const Request& request, const std::filesystem::path& file);

// What to do with a response: success/final failure (no retry), or retry after a delay.
// Return std::nullopt for "do not retry"; a duration to retry after that wait (0 = use
// exponential backoff with jitter).
using RetryDecision = std::function<std::optional<std::chrono::milliseconds>(const Response&)>;

// Retries 5xx and 429 with exponential backoff and jitter; on 429 honours Retry-After
// (seconds) when the server sends it. Everything else is final.
std::optional<std::chrono::milliseconds> default_retry_decision(const Response& response);

struct RetryPolicy {
  int max_attempts = 5;
  // Backoff before attempt n (n >= 2) is a random wait in [0, min(max, base * 2^(n-2))]
  // ("full jitter"). BILLINGFOOT_HTTP_BACKOFF_MS overrides base (tests make it small).
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds max{20000};
  RetryDecision decide = default_retry_decision;
  // Names the thing being fetched in log lines and errors, e.g. "source aws: s3://b/k".
  std::string what;
};

// send() with retries for network errors and what `policy.decide` says. Returns the final
// response (which may be an error status: the caller turns it into a message). Throws
// NetworkError when the last attempt failed at the network level; the message says how many
// attempts were made and names policy.what.
Response send_with_retry(const Request& request, const RetryPolicy& policy);
Response download_with_retry(const Request& request, const std::filesystem::path& file,
                             const RetryPolicy& policy);

// Percent-encodes one URL component (RFC 3986 unreserved characters stay as they are);
// with keep_slash, '/' is kept (for S3 keys in a path).
std::string url_encode(std::string_view text, bool keep_slash = false);

// "https://host:port/path?query" → "host:port/path", for log lines (no query: it may carry
// tokens).
std::string describe_url(std::string_view url);

}  // namespace billingfoot::net
