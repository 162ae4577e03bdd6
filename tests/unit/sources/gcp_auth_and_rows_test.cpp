// The Google Cloud connector's building blocks: the RS256 JWT assertion (verified here with
// OpenSSL and the test key's public half), BigQuery's cell encoding, and token renewal timing.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "integration/gcp/gcp_fixture.hpp"
#include "sources/gcp/bigquery.hpp"
#include "sources/gcp/gcp_source.hpp"
#include "sources/gcp/oauth.hpp"
#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace gcp = billingfoot::sources::gcp;
using json = nlohmann::json;

namespace {

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(n) - (text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0));
  return out;
}

}  // namespace

TEST(GcpOAuth, Base64UrlHasNoPaddingAndUrlSafeLetters) {
  EXPECT_EQ(gcp::base64url(""), "");
  EXPECT_EQ(gcp::base64url("f"), "Zg");
  EXPECT_EQ(gcp::base64url("fo"), "Zm8");
  EXPECT_EQ(gcp::base64url("foo"), "Zm9v");
  EXPECT_EQ(gcp::base64url("\xfb\xff\xbf"), "-_-_");
}

TEST(GcpOAuth, JwtAssertionIsSignedWithTheServiceAccountKey) {
  bt::TempDir dir;
  auto key = bt::gcp::make_test_key(dir.path());
  auto sa = gcp::read_service_account_key(key.key_file);
  std::string jwt = gcp::signed_jwt_assertion(sa, "https://oauth2.googleapis.com/token",
                                              gcp::kBigQueryScope, 1700000000);
  size_t dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  json header = json::parse(base64url_decode(jwt.substr(0, dot1)));
  json claims = json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(header, json({{"alg", "RS256"},
                          {"typ", "JWT"},
                          {"kid", "0123456789abcdef0123456789abcdef01234567"}}));
  EXPECT_EQ(claims["iss"], key.client_email);
  EXPECT_EQ(claims["aud"], "https://oauth2.googleapis.com/token");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/bigquery");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);

  std::string pem = bt::read_file(key.public_pem);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(pub, nullptr);
  auto verify = [&](const std::string& signed_part, const std::string& signature) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub);
    int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
        reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    EVP_MD_CTX_free(ctx);
    return ok == 1;
  };
  std::string signature = base64url_decode(jwt.substr(dot2 + 1));
  EXPECT_TRUE(verify(jwt.substr(0, dot2), signature));
  EXPECT_FALSE(verify(jwt.substr(0, dot2) + "x", signature))
      << "a changed claim breaks the signature";
  EVP_PKEY_free(pub);
  BIO_free(bio);
}

TEST(GcpOAuth, AKeyFileWithoutAPrivateKeyIsRefusedWithoutEchoingIt) {
  bt::TempDir dir;
  bt::write_file(dir / "key.json",
                 R"({"type":"service_account","client_email":"a@b.iam","private_key":""})");
  try {
    gcp::read_service_account_key(dir / "key.json");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("has no private_key"), std::string::npos) << e.what();
  }
}

TEST(GcpOAuth, TokensAreReusedAndRenewedShortlyBeforeTheyExpire) {
  bt::TempDir dir;
  auto key = bt::gcp::make_test_key(dir.path());
  bt::write_file(dir / "rows.jsonl", "");
  bt::gcp::FakeBigQuery fake(key, dir / "rows.jsonl", {"--token-lifetime", "100"},
                             dir / "stats.json");
  auto now = std::chrono::system_clock::now();
  auto tokens =
      gcp::AccessTokens::service_account(gcp::read_service_account_key(key.key_file),
                                         fake.url() + "/token", "test", [&] { return now; });
  std::string first = tokens.token();
  EXPECT_EQ(first.rfind("ya29.fake-", 0), 0u);
  now += std::chrono::seconds(80);  // 20 s left of 100: more than the margin (a tenth)
  EXPECT_EQ(tokens.token(), first);
  now += std::chrono::seconds(11);  // 9 s left: renew
  std::string second = tokens.token();
  EXPECT_NE(second, first);
  EXPECT_EQ(tokens.tokens_obtained(), 2);
  EXPECT_EQ(fake.stat("tokens_issued"), 2);
  EXPECT_TRUE(tokens.invalidate());
  EXPECT_NE(tokens.token(), second);
  EXPECT_FALSE(gcp::AccessTokens::fixed("t", "test").invalidate())
      << "a token from gcloud cannot be renewed";
}

TEST(GcpBigQueryRows, CellsDecodeIntoTheExportShape) {
  auto schema = gcp::parse_schema(json::parse(R"([
    {"name":"cost","type":"FLOAT"},
    {"name":"usage_start_time","type":"TIMESTAMP"},
    {"name":"export_time","type":"TIMESTAMP"},
    {"name":"service","type":"RECORD","fields":[{"name":"id","type":"STRING"},{"name":"description","type":"STRING"}]},
    {"name":"credits","type":"RECORD","mode":"REPEATED","fields":[{"name":"amount","type":"FLOAT"},{"name":"type","type":"STRING"}]},
    {"name":"labels","type":"RECORD","mode":"REPEATED","fields":[{"name":"key","type":"STRING"},{"name":"value","type":"STRING"}]},
    {"name":"price","type":"RECORD","fields":[{"name":"effective_price","type":"NUMERIC"}]},
    {"name":"inherited","type":"BOOLEAN"},
    {"name":"resource","type":"RECORD","fields":[{"name":"name","type":"STRING"}]}])"));
  json row = json::parse(R"({"f":[{"v":"12.5"},{"v":"1714521600000000"},{"v":"1.7145216E9"},
    {"v":{"f":[{"v":"6F81"},{"v":"Compute Engine"}]}},
    {"v":[{"v":{"f":[{"v":"-1.25"},{"v":"PROMOTION"}]}}]},
    {"v":[]},
    {"v":{"f":[{"v":"0.123456789012345678"}]}},
    {"v":"true"},
    {"v":null}]})");
  EXPECT_EQ(
      gcp::decode_row(schema, row),
      json::parse(
          R"({"cost":12.5,"usage_start_time":"2024-05-01T00:00:00Z","export_time":"2024-05-01T00:00:00Z",
              "service":{"id":"6F81","description":"Compute Engine"},"credits":[{"amount":-1.25,"type":"PROMOTION"}],
              "labels":[],"price":{"effective_price":"0.123456789012345678"},"inherited":true,"resource":null})"));
  EXPECT_EQ(gcp::timestamp_text("1714521600123456"), "2024-05-01T00:00:00.123456Z");
  EXPECT_THROW(gcp::decode_row(schema, json::parse(R"({"f":[{"v":"1"}]})")), std::exception);
}

TEST(GcpSource, InvoiceMonthsFollowPacificTime) {
  using namespace std::chrono;
  auto at = [](int y, unsigned m, unsigned d, int h) {
    return sys_days{year{y} / m / d} + hours(h);
  };
  EXPECT_EQ(gcp::invoice_month_before(at(2025, 3, 1, 9), 0), "2025-03");
  EXPECT_EQ(gcp::invoice_month_before(at(2025, 3, 1, 5), 0), "2025-02")
      << "still February in California";
  EXPECT_EQ(gcp::invoice_month_before(at(2025, 1, 15, 12), 1), "2024-12");
}
