#include "sources/gcp/oauth.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/errors.hpp"
#include "net/http.hpp"

namespace billingfoot::sources::gcp {

using json = nlohmann::json;

ServiceAccountKey read_service_account_key(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError("service account key file " + file.string() + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw InputError("service account key file " + file.string() + " is not a JSON object");
  }
  auto field = [&](const char* name, bool required) {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string() || it->get<std::string>().empty()) {
      if (required) {
        throw InputError("service account key file " + file.string() + " has no " + name +
                         " (download a JSON key of type service_account)");
      }
      return std::string();
    }
    return it->get<std::string>();
  };
  if (doc.contains("type") && doc["type"] != "service_account") {
    throw InputError("service account key file " + file.string() +
                     " is not a service account key (type is " + doc["type"].dump() + ")");
  }
  return {field("client_email", true), field("private_key", true), field("private_key_id", false),
          field("token_uri", false)};
}

std::string base64url(std::string_view bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    uint32_t n = byte(i) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
  }
  return out;
}

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// RSASSA-PKCS1-v1_5 with SHA-256 over `data`.
std::string rs256(const std::string& pem, std::string_view data, const std::string& who) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) throw InputError("the private_key of " + who + " is not a readable PEM private key");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    throw InputError("the private_key of " + who + " is not an RSA key (RS256 needs one)");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), nullptr, &length) != 1) {
    throw InputError("signing the token request of " + who + " failed (OpenSSL)");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length) !=
      1) {
    throw InputError("signing the token request of " + who + " failed (OpenSSL)");
  }
  signature.resize(length);
  return signature;
}

}  // namespace

std::string signed_jwt_assertion(const ServiceAccountKey& key, std::string_view audience,
                                 std::string_view scope, int64_t issued_at) {
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  json claims = {{"iss", key.client_email},
                 {"scope", scope},
                 {"aud", audience},
                 {"iat", issued_at},
                 {"exp", issued_at + 3600}};
  std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
  return signing_input + "." +
         base64url(
             rs256(key.private_key_pem, signing_input, "service account " + key.client_email));
}

AccessTokens AccessTokens::service_account(ServiceAccountKey key, std::string token_endpoint,
                                           std::string what, Clock clock) {
  AccessTokens t;
  if (token_endpoint.empty()) token_endpoint = key.token_uri;
  if (token_endpoint.empty()) token_endpoint = kDefaultTokenEndpoint;
  t.key_ = std::move(key);
  t.endpoint_ = std::move(token_endpoint);
  t.what_ = std::move(what);
  t.clock_ = clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); };
  return t;
}

AccessTokens AccessTokens::fixed(std::string token, std::string what) {
  AccessTokens t;
  t.token_ = std::move(token);
  t.what_ = std::move(what);
  t.renew_at_ = std::chrono::system_clock::time_point::max();
  return t;
}

std::string AccessTokens::token() {
  if (key_ && (token_.empty() || clock_() >= renew_at_)) obtain();
  return token_;
}

bool AccessTokens::invalidate() {
  if (!key_) return false;
  token_.clear();
  return true;
}

void AccessTokens::obtain() {
  auto now = clock_();
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // The audience is Google's token URL even when a test or proxy serves it elsewhere.
  std::string audience =
      key_->token_uri.empty() ? std::string(kDefaultTokenEndpoint) : key_->token_uri;
  net::Request request;
  request.method = "POST";
  request.url = endpoint_;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "grant_type=" + net::url_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                 "&assertion=" + signed_jwt_assertion(*key_, audience, kBigQueryScope, iat);
  net::RetryPolicy policy;
  policy.what = what_ + ": token endpoint " + net::describe_url(endpoint_);
  net::Response response = net::send_with_retry(request, policy);
  json body = json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    std::string reason;
    if (body.is_object()) {
      reason =
          body.value("error", "") +
          (body.contains("error_description") ? ": " + body.value("error_description", "") : "");
    }
    throw InputError(what_ + ": the token endpoint " + net::describe_url(endpoint_) + " refused " +
                     "the service account " + key_->client_email + " (HTTP " +
                     std::to_string(response.status) + (reason.empty() ? "" : ", " + reason) +
                     "); check that the key is valid and not disabled");
  }
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    throw InputError(what_ + ": the token endpoint " + net::describe_url(endpoint_) +
                     " answered without an access_token");
  }
  token_ = body["access_token"].get<std::string>();
  int64_t lifetime = 3600;
  if (body.contains("expires_in") && body["expires_in"].is_number()) {
    lifetime = body["expires_in"].get<int64_t>();
  }
  auto margin = std::min<int64_t>(300 * 1000, lifetime * 1000 / 10);
  renew_at_ = now + std::chrono::milliseconds(lifetime * 1000 - margin);
  ++obtained_;
}

}  // namespace billingfoot::sources::gcp
