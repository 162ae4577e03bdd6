#include "net/http.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "common/strings.hpp"

namespace billingfoot::net {

namespace fs = std::filesystem;

namespace {

// BILLINGFOOT_HTTP_TIMEOUT_SECONDS caps every request's time limits (operators with a strict
// run budget; the failure drills use it to make a hanging endpoint fail fast).
std::chrono::seconds capped_timeout(std::chrono::seconds timeout) {
  static const long cap = [] {
    const char* env = std::getenv("BILLINGFOOT_HTTP_TIMEOUT_SECONDS");
    return env ? std::atol(env) : 0L;
  }();
  return cap > 0 ? std::min(timeout, std::chrono::seconds(cap)) : timeout;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlHandle {
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  CurlHandle() : curl(curl_easy_init()) {
    if (!curl) throw NetworkError("cannot initialise libcurl");
  }
  ~CurlHandle() {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
};

// Where the body goes: memory, or a file opened by the caller.
struct BodySink {
  std::string* memory = nullptr;
  std::FILE* file = nullptr;
  int64_t bytes = 0;
  long status = 0;  // known once headers are in: error bodies go to memory, not the file
  std::string error_body;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  size_t n = size * count;
  sink->bytes += static_cast<int64_t>(n);
  if (sink->file && sink->status >= 200 && sink->status < 300) {
    return std::fwrite(data, 1, n, sink->file);
  }
  std::string& target = sink->memory ? *sink->memory : sink->error_body;
  if (target.size() < (64u << 20)) target.append(data, n);  // bodies we hold are small; cap anyway
  return n;
}

// Feeds a FileBody to libcurl: at most `left` bytes from the open file.
struct FileSource {
  std::FILE* file = nullptr;
  int64_t left = 0;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<FileSource*>(user);
  size_t want = std::min<int64_t>(static_cast<int64_t>(size * count), source->left);
  if (want == 0) return 0;
  size_t n = std::fread(buffer, 1, want, source->file);
  if (n == 0) return CURL_READFUNC_ABORT;  // the file shrank under us: fail, do not send less
  source->left -= static_cast<int64_t>(n);
  return n;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};

struct HeaderSink {
  Response* response;
  BodySink* body;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or 100-continue) starts: forget earlier headers.
    sink->response->headers.clear();
    auto space = line.find(' ');
    sink->body->status = space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name = common::to_lower(common::trim(line.substr(0, colon)));
  std::string value = common::trim(line.substr(colon + 1));
  sink->response->headers.emplace_back(std::move(name), std::move(value));
  return n;
}

// How a request's URL may appear in logs and errors.
std::string shown_url(const Request& request) {
  std::string shown = describe_url(request.url);
  if (!request.url_is_secret) return shown;
  auto slash = shown.find('/');
  return (slash == std::string::npos ? shown : shown.substr(0, slash)) + "/(hidden)";
}

Response perform(const Request& request, BodySink& body) {
  global_init();
  CurlHandle h;
  Response response;
  HeaderSink headers{&response, &body};
  curl_easy_setopt(h.curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(h.curl, CURLOPT_NOBODY, 1L);
  std::unique_ptr<std::FILE, FileCloser> upload;
  FileSource source;
  if (request.body_file) {
    const FileBody& b = *request.body_file;
    upload.reset(std::fopen(b.file.c_str(), "rb"));
    if (!upload || fseeko(upload.get(), b.offset, SEEK_SET) != 0) {
      throw NetworkError("cannot read " + b.file.string() + ": " + std::strerror(errno));
    }
    source = {upload.get(), b.length};
    curl_easy_setopt(h.curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h.curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h.curl, CURLOPT_READDATA, &source);
    curl_easy_setopt(h.curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(b.length));
  } else if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(h.curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  for (const auto& [name, value] : request.headers) {
    h.headers = curl_slist_append(h.headers, (name + ": " + value).c_str());
  }
  // Without this libcurl sends "Expect: 100-continue" for larger bodies and waits for it.
  h.headers = curl_slist_append(h.headers, "Expect:");
  std::string sigv4_provider;
  std::string userpwd;
  if (request.sigv4) {
    const AwsSigV4& s = *request.sigv4;
    sigv4_provider = "aws:amz:" + s.region + ":" + s.service;
    userpwd = s.access_key_id + ":" + s.secret_access_key;
    curl_easy_setopt(h.curl, CURLOPT_AWS_SIGV4, sigv4_provider.c_str());
    curl_easy_setopt(h.curl, CURLOPT_USERPWD, userpwd.c_str());
    if (!s.session_token.empty()) {
      h.headers = curl_slist_append(h.headers, ("x-amz-security-token: " + s.session_token).c_str());
    }
    // S3 requires the payload hash header; libcurl signs the value we give it.
    static const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    bool has_hash = false;
    for (const auto& [name, value] : request.headers) has_hash = has_hash || common::iequals(name, "x-amz-content-sha256");
    if (!has_hash && request.body.empty() && !request.body_file) {
      h.headers = curl_slist_append(h.headers, ("x-amz-content-sha256: " + kEmptySha256).c_str());
    }
  }
  curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
  curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &headers);
  curl_easy_setopt(h.curl, CURLOPT_TIMEOUT, static_cast<long>(capped_timeout(request.timeout).count()));
  curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(capped_timeout(request.connect_timeout).count()));
  curl_easy_setopt(h.curl, CURLOPT_ACCEPT_ENCODING, "");  // any encoding libcurl can decode
  curl_easy_setopt(h.curl, CURLOPT_USERAGENT, "billingfoot/" BILLINGFOOT_VERSION);
  // Redirects are not followed: S3 signals a wrong region with one, and a signed request must
  // not be replayed to another host.
  curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 0L);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h.curl, CURLOPT_ERRORBUFFER, error);

  spdlog::debug("http {} {}", request.method, shown_url(request));
  CURLcode rc = curl_easy_perform(h.curl);
  if (rc != CURLE_OK) {
    std::string detail = error[0] ? error : curl_easy_strerror(rc);
    throw NetworkError(request.method + " " + shown_url(request) + ": " + detail);
  }
  curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body_bytes = body.bytes;
  if (!body.memory) response.body = std::move(body.error_body);
  spdlog::debug("http {} {} -> {} ({} bytes)", request.method, shown_url(request), response.status,
                body.bytes);
  return response;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::chrono::milliseconds base = policy.base;
  if (const char* env = std::getenv("BILLINGFOOT_HTTP_BACKOFF_MS")) base = std::chrono::milliseconds(std::atol(env));
  int64_t cap = base.count();
  for (int i = 2; i < attempt && cap < policy.max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, policy.max.count());
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 0));
  return std::chrono::milliseconds(dist(rng));
}

// Runs `attempt` until it yields a final response, applying the policy.
template <typename Attempt>
Response with_retry(const Request& request, const RetryPolicy& policy, Attempt attempt) {
  std::string what = policy.what.empty() ? request.method + " " + shown_url(request) : policy.what;
  std::string prefix = policy.what.empty() ? "" : policy.what + ": ";  // NetworkError names the URL
  for (int n = 1;; ++n) {
    std::chrono::milliseconds wait{0};
    try {
      Response response = attempt();
      auto decision = policy.decide ? policy.decide(response) : std::nullopt;
      if (!decision || n >= policy.max_attempts) return response;
      wait = decision->count() > 0 ? *decision : backoff_delay(policy, n + 1);
      spdlog::warn("{}: HTTP {} (attempt {} of {}), retrying in {} ms", what, response.status, n,
                   policy.max_attempts, wait.count());
    } catch (const NetworkError& e) {
      if (n >= policy.max_attempts) {
        throw NetworkError(prefix + e.what() + " (gave up after " + std::to_string(n) + " attempts)");
      }
      wait = backoff_delay(policy, n + 1);
      spdlog::warn("{}{} (attempt {} of {}), retrying in {} ms", prefix, e.what(), n, policy.max_attempts,
                   wait.count());
    }
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace

std::string Response::header(std::string_view name) const {
  std::string value;
  for (const auto& [n, v] : headers) {
    if (common::iequals(n, name)) value = v;
  }
  return value;
}

Response send(const Request& request) {
  std::string body;
  BodySink sink;
  sink.memory = &body;
  Response response = perform(request, sink);
  response.body = std::move(body);
  return response;
}

Response download(const Request& request, const fs::path& file) {
  fs::path partial = file;
  partial += ".partial";
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  std::FILE* out = std::fopen(partial.c_str(), "wb");
  if (!out) throw NetworkError("cannot write " + partial.string() + ": " + std::strerror(errno));
  BodySink sink;
  sink.file = out;
  Response response;
  try {
    response = perform(request, sink);
  } catch (...) {
    std::fclose(out);
    fs::remove(partial);
    throw;
  }
  bool write_ok = std::fflush(out) == 0;
  std::fclose(out);
  if (response.status < 200 || response.status >= 300) {
    fs::remove(partial);
    return response;
  }
  if (!write_ok) {
    fs::remove(partial);
    throw NetworkError("writing " + partial.string() + " failed (disk full?)");
  }
  auto on_disk = static_cast<int64_t>(fs::file_size(partial));
  std::string length = response.header("content-length");
  bool encoded = !response.header("content-encoding").empty();  // decoded size differs
  if (!length.empty() && !encoded && std::to_string(on_disk) != length) {
    fs::remove(partial);
    throw NetworkError(request.method + " " + shown_url(request) + ": body ended after " +
                       std::to_string(on_disk) + " of " + length + " bytes");
  }
  fs::rename(partial, file);
  response.body_bytes = on_disk;
  return response;
}

std::optional<std::chrono::milliseconds> default_retry_decision(const Response& response) {
  if (response.status == 429) {
    std::string after = response.header("retry-after");
    if (!after.empty() && std::all_of(after.begin(), after.end(), ::isdigit)) {
      return std::chrono::milliseconds(std::stoll(after) * 1000);
    }
    return std::chrono::milliseconds(0);
  }
  if (response.status >= 500 && response.status <= 599) return std::chrono::milliseconds(0);
  return std::nullopt;
}

Response send_with_retry(const Request& request, const RetryPolicy& policy) {
  return with_retry(request, policy, [&] { return send(request); });
}

Response download_with_retry(const Request& request, const fs::path& file, const RetryPolicy& policy) {
  return with_retry(request, policy, [&] { return download(request, file); });
}

std::string url_encode(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string describe_url(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  auto at = rest.find('@');  // never show user:password@
  auto slash = rest.find('/');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) rest = rest.substr(at + 1);
  auto query = rest.find('?');
  if (query != std::string_view::npos) rest = rest.substr(0, query);
  return std::string(rest);
}

}  // namespace billingfoot::net
