// Authentication of `billingfoot serve`: a bearer token from the environment guards the API and
// /metrics, is never logged, and is required before listening beyond loopback.
#include <gtest/gtest.h>

#include "server_fixture.hpp"
#include "support/cli.hpp"
#include "support/server.hpp"

namespace bt = billingfoot::testing;

namespace {
const std::string kToken = "s3cr3t-token-for-tests-7f1c";
}

TEST(ServerAuth, TokenRequiredWhenSetAndNeverLogged) {
  bt::TempDir dir;
  setenv("BF_TEST_TOKEN", kToken.c_str(),
         1);  // the config's ${BF_TEST_TOKEN} is expanded at sync too
  bt::CostFixture fixture(dir, "server:\n  token: ${BF_TEST_TOKEN}\n");
  ASSERT_TRUE(fixture.synced);
  bt::ServeProcess server(dir.path(), {}, {{"BF_TEST_TOKEN", kToken}});
  ASSERT_TRUE(server.listening());

  for (const char* path : {"/api/v1/costs", "/api/v1/sources", "/metrics", "/api/v1/dashboards"}) {
    auto none = server.get(path);
    ASSERT_TRUE(none) << path;
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer realm=\"billingfoot\"");
    EXPECT_NE(none->body.find("authentication required"), std::string::npos);
    auto wrong = server.get(path, {{"Authorization", "Bearer " + kToken + "x"}});
    EXPECT_EQ(wrong->status, 401) << path;
    auto basic = server.get(path, {{"Authorization", kToken}});
    EXPECT_EQ(basic->status, 401) << path;
    auto right = server.get(path, {{"Authorization", "Bearer " + kToken}});
    EXPECT_EQ(right->status, 200) << path << right->body;
  }
  auto refused_sql = server.post("/api/v1/query", "{\"sql\": \"SELECT 1\"}", "application/json");
  EXPECT_EQ(refused_sql->status, 401);
  // Liveness, the API description and the page itself carry no data: open.
  EXPECT_EQ(server.get("/healthz")->status, 200);
  EXPECT_EQ(server.get("/api/v1/openapi.json")->status, 200);
  EXPECT_EQ(server.get("/")->status, 200);

  EXPECT_EQ(server.stop(), 0);
  std::string everything = server.log() + server.errors();
  EXPECT_NE(everything.find("GET /api/v1/costs 401"), std::string::npos) << everything;
  EXPECT_EQ(everything.find(kToken), std::string::npos) << everything;
}

TEST(ServerAuth, RefusesToListenBeyondLoopbackWithoutAToken) {
  bt::TempDir dir;
  bt::write_file(dir / "billingfoot.yaml", "sources: []\n");
  auto r = bt::run_cli({"serve", "--listen", "0.0.0.0:0"}, {}, dir.path());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("refusing to listen on 0.0.0.0:0 without authentication: set server.token"),
            std::string::npos)
      << r.err;
  auto v6 = bt::run_cli({"serve", "--listen", "[::]:0"}, {}, dir.path());
  EXPECT_EQ(v6.status, 2) << v6.err;
}

TEST(ServerAuth, UnknownServerKeysAndBadListenAreConfigErrors) {
  bt::TempDir dir;
  bt::write_file(dir / "billingfoot.yaml",
                 "sources: []\nserver:\n  listen: 127.0.0.1:0\n  tokn: x\n");
  auto r = bt::run_cli({"serve"}, {}, dir.path());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("billingfoot.yaml:4:3: server.tokn: unknown key"), std::string::npos)
      << r.err;
  bt::write_file(dir / "billingfoot.yaml", "sources: []\n");
  auto bad = bt::run_cli({"serve", "--listen", "8080"}, {}, dir.path());
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--listen must be HOST:PORT"), std::string::npos) << bad.err;
}
