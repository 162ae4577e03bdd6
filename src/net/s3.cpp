#include "net/s3.hpp"

#include <pugixml.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace billingfoot::net {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

constexpr int64_t kMaxParts = 10000;  // S3's limit per multipart upload

std::string strip_quotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

struct S3ErrorBody {
  std::string code, message, region;
};

S3ErrorBody parse_error(const Response& response) {
  S3ErrorBody e;
  pugi::xml_document doc;
  if (doc.load_string(response.body.c_str())) {
    auto root = doc.child("Error");
    e.code = root.child_value("Code");
    e.message = root.child_value("Message");
    e.region = root.child_value("Region");
  }
  if (e.region.empty()) e.region = response.header("x-amz-bucket-region");
  return e;
}

}  // namespace

std::optional<AwsCredentials> AwsCredentials::from_environment() {
  AwsCredentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
  return c;
}

std::optional<S3Url> parse_s3_url(const std::string& url) {
  if (!url.starts_with("s3://")) return std::nullopt;
  std::string rest = url.substr(5);
  auto slash = rest.find('/');
  S3Url u{rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1)};
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (u.bucket.empty()) return std::nullopt;
  return u;
}

S3Client::S3Client(S3Options options) : options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

Request S3Client::request(const std::string& method, const std::string& bucket, const std::string& key,
                          const std::string& query) const {
  Request r;
  r.method = method;
  std::string path = "/" + url_encode(key, true);
  if (options_.endpoint.empty()) {
    r.url = "https://" + bucket + ".s3." + options_.region + ".amazonaws.com" + path;
  } else {
    r.url = options_.endpoint + "/" + bucket + path;
  }
  if (!query.empty()) r.url += "?" + query;
  const auto& c = options_.credentials;
  r.sigv4 = AwsSigV4{options_.region, "s3", c.access_key_id, c.secret_access_key, c.session_token};
  r.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  return r;
}

RetryPolicy S3Client::policy(const std::string& what) const {
  RetryPolicy p;
  p.what = options_.what.empty() ? what : options_.what + ": " + what;
  return p;
}

void S3Client::fail(const Response& response, const std::string& bucket, const std::string& key,
                    const std::string& action) const {
  S3ErrorBody e = parse_error(response);
  std::string where = "s3://" + bucket + "/" + key;
  std::string prefix = options_.what.empty() ? "" : options_.what + ": ";
  std::string detail = e.code.empty() ? "" : " " + e.code + (e.message.empty() ? "" : " (" + e.message + ")");
  if (response.status == 403) {
    throw S3Error(prefix + where + ": access denied (HTTP 403" + detail + "): the credentials need " + action +
                  " on " + (action == "s3:ListBucket" ? "arn:aws:s3:::" + bucket : "arn:aws:s3:::" + bucket + "/" + key) +
                  ", or the keys are wrong");
  }
  if (response.status == 404) {
    std::string what = e.code == "NoSuchBucket" ? "bucket " + bucket + " does not exist" : "no such object";
    throw S3Error(prefix + where + ": " + what + " (HTTP 404" + detail + ")");
  }
  if ((response.status == 301 || response.status == 307 || response.status == 400) &&
      (!e.region.empty() || e.code == "PermanentRedirect" || e.code == "AuthorizationHeaderMalformed")) {
    throw S3Error(prefix + where + ": bucket " + bucket + " is not in region " + options_.region +
                  (e.region.empty() ? "" : "; it is in " + e.region + ": set region: " + e.region) + " (HTTP " +
                  std::to_string(response.status) + detail + ")");
  }
  throw S3Error(prefix + where + ": HTTP " + std::to_string(response.status) + detail);
}

std::vector<S3Object> S3Client::list(const std::string& bucket, const std::string& prefix) const {
  std::vector<S3Object> objects;
  std::string token;
  for (int page = 1;; ++page) {
    // Query parameters sorted by name: libcurl signs the query exactly as given.
    std::string query;
    if (!token.empty()) query += "continuation-token=" + url_encode(token) + "&";
    query += "list-type=2&max-keys=1000";
    if (!prefix.empty()) query += "&prefix=" + url_encode(prefix);
    Request r = request("GET", bucket, "", query);
    Response response = send_with_retry(r, policy("listing s3://" + bucket + "/" + prefix));
    if (response.status != 200) fail(response, bucket, prefix, "s3:ListBucket");
    pugi::xml_document doc;
    if (!doc.load_string(response.body.c_str())) {
      throw S3Error((options_.what.empty() ? "" : options_.what + ": ") + "listing s3://" + bucket + "/" + prefix +
                    ": the answer is not XML (page " + std::to_string(page) + ")");
    }
    auto result = doc.child("ListBucketResult");
    for (auto c : result.children("Contents")) {
      S3Object o;
      o.key = c.child_value("Key");
      o.size = std::atoll(c.child_value("Size"));
      o.etag = strip_quotes(c.child_value("ETag"));
      o.last_modified = c.child_value("LastModified");
      objects.push_back(std::move(o));
    }
    std::string truncated = result.child_value("IsTruncated");
    token = result.child_value("NextContinuationToken");
    if (truncated != "true") break;
    if (token.empty()) {
      throw S3Error("listing s3://" + bucket + "/" + prefix + ": truncated page without a continuation token");
    }
  }
  spdlog::debug("s3://{}/{}: {} objects", bucket, prefix, objects.size());
  return objects;
}

void S3Client::download(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                        int64_t expected_size) const {
  Request r = request("GET", bucket, key);
  r.timeout = std::chrono::seconds(6 * 3600);  // large objects on slow links; stalls still fail
  Response response = download_with_retry(r, file, policy("downloading s3://" + bucket + "/" + key));
  if (response.status != 200) fail(response, bucket, key, "s3:GetObject");
  if (expected_size >= 0 && response.body_bytes != expected_size) {
    std::filesystem::remove(file);
    throw S3Error("s3://" + bucket + "/" + key + ": downloaded " + std::to_string(response.body_bytes) +
                  " bytes but the listing said " + std::to_string(expected_size) +
                  " (the object changed during the sync? run it again)");
  }
}

std::string S3Client::get_text(const std::string& bucket, const std::string& key) const {
  Response response = send_with_retry(request("GET", bucket, key), policy("reading s3://" + bucket + "/" + key));
  if (response.status != 200) fail(response, bucket, key, "s3:GetObject");
  return response.body;
}

void S3Client::put(const std::string& bucket, const std::string& key, const std::string& body) const {
  Request r = request("PUT", bucket, key);
  r.headers.emplace_back("Content-Type", "application/octet-stream");
  r.body = body;
  Response response = send_with_retry(r, policy("writing s3://" + bucket + "/" + key));
  if (response.status != 200) fail(response, bucket, key, "s3:PutObject");
}

std::optional<std::string> S3Client::get_text_if_exists(const std::string& bucket, const std::string& key) const {
  Response response = send_with_retry(request("GET", bucket, key), policy("reading s3://" + bucket + "/" + key));
  if (response.status == 404 && parse_error(response).code != "NoSuchBucket") return std::nullopt;
  if (response.status != 200) fail(response, bucket, key, "s3:GetObject");
  return response.body;
}

void S3Client::put_file(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                        const Multipart& multipart) const {
  auto size = static_cast<int64_t>(std::filesystem::file_size(file));
  if (size >= multipart.threshold && size > 0) {
    int64_t part_size = std::max<int64_t>(multipart.part_size, 1);
    part_size = std::max(part_size, (size + kMaxParts - 1) / kMaxParts);
    put_multipart(bucket, key, file, size, part_size);
    return;
  }
  Request r = request("PUT", bucket, key);
  r.headers.emplace_back("Content-Type", "application/octet-stream");
  r.body_file = FileBody{file, 0, size};
  r.timeout = std::chrono::seconds(6 * 3600);
  Response response = send_with_retry(r, policy("writing s3://" + bucket + "/" + key));
  if (response.status != 200) fail(response, bucket, key, "s3:PutObject");
}

void S3Client::put_multipart(const std::string& bucket, const std::string& key, const std::filesystem::path& file,
                             int64_t size, int64_t part_size) const {
  std::string where = "s3://" + bucket + "/" + key;
  // Query parameters sorted by name, each with '=': libcurl signs the query exactly as given.
  Request create = request("POST", bucket, key, "uploads=");
  create.headers.emplace_back("Content-Type", "application/octet-stream");
  Response created = send_with_retry(create, policy("starting a multipart upload of " + where));
  if (created.status != 200) fail(created, bucket, key, "s3:PutObject");
  pugi::xml_document doc;
  std::string upload_id;
  if (doc.load_string(created.body.c_str())) upload_id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (upload_id.empty()) throw S3Error(where + ": starting a multipart upload: the answer has no UploadId");
  std::string id_param = "uploadId=" + url_encode(upload_id);
  try {
    std::string parts_xml;
    int part = 0;
    for (int64_t offset = 0; offset < size; offset += part_size) {
      ++part;
      Request r = request("PUT", bucket, key, "partNumber=" + std::to_string(part) + "&" + id_param);
      r.body_file = FileBody{file, offset, std::min(part_size, size - offset)};
      r.timeout = std::chrono::seconds(3600);
      Response response = send_with_retry(r, policy("uploading part " + std::to_string(part) + " of " + where));
      if (response.status != 200) fail(response, bucket, key, "s3:PutObject");
      std::string etag = response.header("etag");
      if (etag.empty()) throw S3Error(where + ": part " + std::to_string(part) + " was stored without an ETag");
      parts_xml += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
    }
    Request complete = request("POST", bucket, key, id_param);
    complete.headers.emplace_back("Content-Type", "application/xml");
    complete.body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + parts_xml +
                    "</CompleteMultipartUpload>";
    Response done = send_with_retry(complete, policy("completing the multipart upload of " + where));
    // S3 may answer 200 and still fail: the error is then in the body.
    if (done.status != 200 || done.body.find("<Error>") != std::string::npos) {
      if (done.status == 200) done.status = 500;
      fail(done, bucket, key, "s3:PutObject");
    }
    spdlog::debug("{}: {} bytes in {} parts", where, size, part);
  } catch (...) {
    try {
      Request abort = request("DELETE", bucket, key, id_param);
      send_with_retry(abort, policy("aborting the multipart upload of " + where));
    } catch (const std::exception& e) {
      spdlog::warn("{}: aborting the multipart upload failed: {}", where, e.what());
    }
    throw;
  }
}

void S3Client::remove(const std::string& bucket, const std::string& key) const {
  Response response = send_with_retry(request("DELETE", bucket, key), policy("deleting s3://" + bucket + "/" + key));
  if (response.status == 404 && parse_error(response).code != "NoSuchBucket") return;
  if (response.status != 204 && response.status != 200) fail(response, bucket, key, "s3:DeleteObject");
}

void S3Client::create_bucket(const std::string& bucket) const {
  Request r = request("PUT", bucket, "");
  r.headers.emplace_back("Content-Type", "application/xml");
  if (options_.region != "us-east-1") {
    r.body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
             options_.region + "</LocationConstraint></CreateBucketConfiguration>";
  }
  Response response = send_with_retry(r, policy("creating bucket " + bucket));
  if (response.status != 200) fail(response, bucket, "", "s3:CreateBucket");
}

}  // namespace billingfoot::net
