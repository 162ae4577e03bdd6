// The shared HTTP client against a real server on loopback that misbehaves on purpose.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "net/http.hpp"
#include "net/s3.hpp"
#include "support/cli.hpp"
#include "support/server_process.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;

class HttpClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("BILLINGFOOT_HTTP_BACKOFF_MS", "20", 1);
    server_ = ServerProcess::start({"python3", fake_server_script("scripted_http_server.py").string(), "{port}"})
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static net::Request get(const std::string& path) {
    net::Request r;
    r.url = server_->url() + path;
    return r;
  }
  static std::string count(const std::string& id) { return net::send(get("/count/" + id)).body; }
  static ServerProcess* server_;
};
ServerProcess* HttpClient::server_ = nullptr;

TEST_F(HttpClient, ReturnsStatusHeadersAndBody) {
  auto r = net::send(get("/ok"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("Content-Length"), "5");
  EXPECT_EQ(net::send(get("/status/404")).status, 404);
}

TEST_F(HttpClient, RetriesServerErrorsUntilSuccess) {
  net::RetryPolicy policy;
  auto r = net::send_with_retry(get("/flaky/a?fail=2"), policy);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok after 2");
  EXPECT_EQ(count("flaky/a"), "3");
}

TEST_F(HttpClient, GivesUpAfterMaxAttemptsAndReturnsTheLastResponse) {
  net::RetryPolicy policy;
  policy.max_attempts = 3;
  auto r = net::send_with_retry(get("/flaky/b?fail=10"), policy);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(count("flaky/b"), "3");
}

TEST_F(HttpClient, DoesNotRetryClientErrors) {
  auto r = net::send_with_retry(get("/status/403"), net::RetryPolicy{});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "status 403");
}

TEST_F(HttpClient, WaitsRetryAfterOnRateLimit) {
  auto start = std::chrono::steady_clock::now();
  auto r = net::send_with_retry(get("/ratelimit/a"), net::RetryPolicy{});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(count("ratelimit/a"), "2");
  // Retry-After: 1 was honoured (the backoff alone would have been at most 20 ms).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST_F(HttpClient, DownloadStreamsToFileAndRenamesWhenComplete) {
  TempDir dir;
  fs::path file = dir / "sub" / "object.bin";
  auto r = net::download(get("/bytes?n=3000000"), file);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::file_size(file), 3000000u);
  std::string data = read_file(file);
  for (size_t i = 0; i < data.size(); i += 99991) EXPECT_EQ(static_cast<unsigned char>(data[i]), i % 256);
  EXPECT_FALSE(fs::exists(dir / "sub" / "object.bin.partial"));
}

TEST_F(HttpClient, TruncatedDownloadNeverBecomesAFile) {
  TempDir dir;
  fs::path file = dir / "object.bin";
  net::RetryPolicy policy;
  policy.max_attempts = 2;
  EXPECT_THROW(net::download_with_retry(get("/truncated?n=100000"), file, policy), net::NetworkError);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(dir / "object.bin.partial"));
}

TEST_F(HttpClient, DownloadErrorStatusKeepsTheBodyAndWritesNothing) {
  TempDir dir;
  auto r = net::download(get("/status/404"), dir / "missing.bin");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "status 404");
  EXPECT_FALSE(fs::exists(dir / "missing.bin"));
}

TEST_F(HttpClient, NetworkErrorNamesWhatAndAttempts) {
  net::Request r;
  r.url = "http://127.0.0.1:" + std::to_string(free_port()) + "/nothing-listens";
  net::RetryPolicy policy;
  policy.max_attempts = 2;
  policy.what = "source test: the thing";
  try {
    net::send_with_retry(r, policy);
    FAIL() << "expected a NetworkError";
  } catch (const net::NetworkError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("source test: the thing"), std::string::npos) << message;
    EXPECT_NE(message.find("2 attempts"), std::string::npos) << message;
  }
}

TEST_F(HttpClient, SignsWithSigV4AndSendsTheSessionToken) {
  net::Request r = get("/headers");
  r.sigv4 = net::AwsSigV4{"eu-west-1", "s3", "AKIDEXAMPLE", "secret", "the-session-token"};
  auto headers = nlohmann::json::parse(net::send(r).body);
  std::string auth = headers.value("authorization", "");
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")) << auth;
  EXPECT_NE(auth.find("/eu-west-1/s3/aws4_request"), std::string::npos) << auth;
  EXPECT_NE(auth.find("x-amz-security-token"), std::string::npos) << "token must be signed: " << auth;
  EXPECT_EQ(headers.value("x-amz-security-token", ""), "the-session-token");
  EXPECT_EQ(headers.value("x-amz-content-sha256", "").size(), 64u);
  EXPECT_FALSE(headers.contains("x-amz-date") && headers["x-amz-date"].get<std::string>().empty());
}

TEST_F(HttpClient, S3ErrorsNameBucketKeyAndTheMissingPermission) {
  net::S3Options o;
  o.region = "us-east-1";
  o.endpoint = server_->url();
  o.credentials = {"id", "secret", ""};
  o.what = "source aws";
  net::S3Client s3(o);
  try {
    s3.get_text("denied", "data/BILLING_PERIOD=2025-01/x.parquet");
    FAIL() << "expected S3Error";
  } catch (const net::S3Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("source aws: s3://denied/data/BILLING_PERIOD=2025-01/x.parquet"), std::string::npos) << m;
    EXPECT_NE(m.find("s3:GetObject"), std::string::npos) << m;
  }
  try {
    s3.list("denied", "exports/");
    FAIL() << "expected S3Error";
  } catch (const net::S3Error& e) {
    EXPECT_NE(std::string(e.what()).find("s3:ListBucket"), std::string::npos) << e.what();
  }
  try {
    s3.list("moved", "exports/");
    FAIL() << "expected S3Error";
  } catch (const net::S3Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("not in region us-east-1"), std::string::npos) << m;
    EXPECT_NE(m.find("set region: eu-central-1"), std::string::npos) << m;
  }
  // 403 is final: one request each, no retries.
  EXPECT_EQ(count("denied"), "2");
}

TEST(HttpUrls, EncodeAndDescribe) {
  EXPECT_EQ(net::url_encode("a b/c=d~"), "a%20b%2Fc%3Dd~");
  EXPECT_EQ(net::url_encode("data/BILLING_PERIOD=2024-01/x y.parquet", true),
            "data/BILLING_PERIOD%3D2024-01/x%20y.parquet");
  EXPECT_EQ(net::describe_url("https://user:pw@host:9/p/q?token=secret"), "host:9/p/q");
}

// A multipart upload that cannot finish is aborted, so S3 keeps no parts (and bills none).
TEST_F(HttpClient, FailedMultipartUploadsAreAbortedAndNameTheKey) {
  TempDir dir;
  write_file(dir / "big.bin", std::string(10000, 'x'));
  net::S3Options o;
  o.endpoint = server_->url();
  o.credentials = {"id", "secret", ""};
  net::S3Client s3(o);
  net::S3Client::Multipart small{1000, 4000};  // three parts: 4000, 4000, 2000 bytes

  try {
    s3.put_file("mpfail", "lake/part-1.parquet", dir / "big.bin", small);
    ADD_FAILURE() << "expected an S3Error";
  } catch (const net::S3Error& e) {
    EXPECT_NE(std::string(e.what()).find("s3://mpfail/lake/part-1.parquet"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count("abort/mpfail"), "1");
  EXPECT_EQ(count("part/mpfail"), "6");  // part 1, then part 2 tried 5 times

  // S3 can answer the completion with 200 and an error in the body: a failure too.
  EXPECT_THROW(s3.put_file("mperr", "lake/part-1.parquet", dir / "big.bin", small), net::S3Error);
  EXPECT_EQ(count("part/mperr"), "3");
  EXPECT_EQ(count("abort/mperr"), "1");
}

}  // namespace
}  // namespace billingfoot::testing
