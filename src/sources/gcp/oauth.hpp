#pragma once
// Google OAuth 2.0 for a service account without a client library: an RS256-signed JWT
// assertion (OpenSSL) exchanged at the token endpoint for a short-lived access token, cached
// until shortly before it expires. Or a ready access token from the environment (for users
// who run `gcloud auth print-access-token`), which cannot be renewed.
// Tokens and keys are never logged or put in error messages.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace billingfoot::sources::gcp {

// The fields of a service-account key file (JSON) that billingfoot uses.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_pem;  // PKCS#8 PEM
  std::string private_key_id;
  std::string token_uri;  // may be empty
};

// Reads a key file; throws InputError naming the file and the missing field (never the key).
ServiceAccountKey read_service_account_key(const std::filesystem::path& file);

// base64url without padding (RFC 7515).
std::string base64url(std::string_view bytes);

// header.claims.signature for the JWT bearer grant: iss = client_email, aud = audience,
// scope, iat = issued_at, exp = issued_at + 3600 (seconds since the epoch).
std::string signed_jwt_assertion(const ServiceAccountKey& key, std::string_view audience,
                                 std::string_view scope, int64_t issued_at);

inline constexpr std::string_view kDefaultTokenEndpoint = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view kBigQueryScope = "https://www.googleapis.com/auth/bigquery";

using Clock = std::function<std::chrono::system_clock::time_point()>;

// Hands out a valid access token, renewing it before it expires.
class AccessTokens {
 public:
  // `what` names the source in errors, e.g. "source gcp".
  static AccessTokens service_account(ServiceAccountKey key, std::string token_endpoint,
                                      std::string what, Clock clock = {});
  static AccessTokens fixed(std::string token, std::string what);

  // The cached token, or a new one when none is cached or it expires within the margin
  // (a tenth of its lifetime, at most five minutes).
  std::string token();
  // Forgets the cached token (the API said 401); returns false when it cannot be renewed.
  bool invalidate();
  int tokens_obtained() const { return obtained_; }

 private:
  AccessTokens() = default;
  void obtain();

  std::optional<ServiceAccountKey> key_;
  std::string endpoint_;
  std::string what_;
  Clock clock_;
  std::string token_;
  std::chrono::system_clock::time_point renew_at_{};
  int obtained_ = 0;
};

}  // namespace billingfoot::sources::gcp
