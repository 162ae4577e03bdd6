// billingfoot.yaml errors name the file, line and key; through the binary they exit with 2.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/errors.hpp"
#include "support/cli.hpp"

namespace bt = billingfoot::testing;
using billingfoot::UsageError;
using billingfoot::config::parse;

namespace {

// The message of the UsageError that parsing `text` throws ("" if none).
std::string error_of(const std::string& text) {
  try {
    parse(text, "/etc/billingfoot/billingfoot.yaml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, ParsesSourcesAndResolvesPathsAgainstTheFile) {
  auto cfg = parse("data_dir: ./state\ncurrency: EUR\nsources:\n  - {name: a, type: focus, location: ./x}\n",
                   "/srv/cost/billingfoot.yaml");
  EXPECT_EQ(cfg.data_dir, "/srv/cost/state");
  EXPECT_EQ(cfg.currency, "EUR");
  ASSERT_EQ(cfg.sources.size(), 1u);
  EXPECT_EQ(cfg.resolve_path(*cfg.sources[0].location), "/srv/cost/x");
}

TEST(Config, UnknownTopLevelKeyNamesFileLineAndKey) {
  std::string e = error_of("currency: USD\nsourcez: []\n");
  EXPECT_NE(e.find("billingfoot.yaml:2:1: sourcez: unknown key"), std::string::npos) << e;
}

TEST(Config, UnknownWarehouseKeyNamesItsPath) {
  std::string e = error_of("warehouse:\n  type: duckdb\n  pth: x\n");
  EXPECT_NE(e.find("billingfoot.yaml:3:3: warehouse.pth: unknown key"), std::string::npos) << e;
}

TEST(Config, WrongTypesAreErrors) {
  EXPECT_NE(error_of("sources: {name: a}\n").find("sources: must be a list"), std::string::npos);
  EXPECT_NE(error_of("sources:\n  - just-a-string\n").find("sources[0]: must be a mapping"), std::string::npos);
  EXPECT_NE(error_of("data_dir: [a, b]\n").find("data_dir: must be a value"), std::string::npos);
  EXPECT_NE(error_of("currency: dollars\n").find("currency: must be an ISO 4217 code"), std::string::npos);
  EXPECT_NE(error_of("warehouse: {type: oracle}\n").find("warehouse.type: must be duckdb or clickhouse"), std::string::npos);
}

TEST(Config, SourcesNeedNameAndTypeAndUniqueNames) {
  EXPECT_NE(error_of("sources:\n  - type: focus\n").find("sources[0]: missing key: name"), std::string::npos);
  EXPECT_NE(error_of("sources:\n  - {name: a, type: focus}\n  - {name: a, type: focus}\n").find("duplicate source name a"),
            std::string::npos);
}

TEST(Config, UnsetEnvironmentVariableNamesLineAndKey) {
  unsetenv("BILLINGFOOT_TEST_UNSET_VAR");
  std::string e = error_of("sources:\n  - name: dd\n    type: focus\n    location: ${BILLINGFOOT_TEST_UNSET_VAR}/x\n");
  EXPECT_NE(e.find("billingfoot.yaml:4:15: sources[0].location: environment variable BILLINGFOOT_TEST_UNSET_VAR is not set"),
            std::string::npos)
      << e;
}

TEST(Config, EnvironmentVariablesAreExpandedAndDollarDollarIsLiteral) {
  setenv("BILLINGFOOT_TEST_DIR", "/data/exports", 1);
  auto cfg = parse("sources:\n  - {name: a, type: focus, location: \"${BILLINGFOOT_TEST_DIR}/$$x\"}\n", "/c/b.yaml");
  EXPECT_EQ(*cfg.sources[0].location, "/data/exports/$x");
}

TEST(Config, InvalidYamlReportsTheLine) {
  std::string e = error_of("sources:\n  - name: a\n   type: focus\n");
  EXPECT_NE(e.find("billingfoot.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

TEST(ConfigCli, ConfigErrorsExitWithStatusTwo) {
  bt::TempDir dir;
  auto missing = bt::run_cli({"--config", (dir / "nope.yaml").string(), "status"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos) << missing.err;

  bt::write_file(dir / "billingfoot.yaml", "sources:\n  - name: a\n    type: focus\n    locaton: ./x\n");
  auto typo = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(typo.status, 2);
  EXPECT_NE(typo.err.find("billingfoot.yaml:4:5: sources[0].locaton: unknown key"), std::string::npos) << typo.err;

  bt::write_file(dir / "billingfoot.yaml", "sources:\n  - name: a\n    type: fokus\n    location: ./x\n");
  auto type = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(type.status, 2);
  EXPECT_NE(type.err.find("unknown source type fokus"), std::string::npos) << type.err;

  bt::write_file(dir / "billingfoot.yaml", "sources:\n  - name: a\n    type: focus\n    location: ${BF_NOT_SET_ANYWHERE}\n");
  auto env = bt::run_cli({"sync"}, {}, dir.path());
  EXPECT_EQ(env.status, 2);
  EXPECT_NE(env.err.find("BF_NOT_SET_ANYWHERE is not set"), std::string::npos) << env.err;

  auto usage = bt::run_cli({"report", "--granularity", "week"}, {}, dir.path());
  EXPECT_EQ(usage.status, 2);
}

TEST(ConfigCli, InitWritesAStarterThatLoadsAndRefusesToOverwrite) {
  bt::TempDir dir;
  auto init = bt::run_cli({"init"}, {}, dir.path());
  ASSERT_EQ(init.status, 0) << init.err;
  EXPECT_NO_THROW(billingfoot::config::load(dir / "billingfoot.yaml"));
  EXPECT_EQ(bt::run_cli({"init"}, {}, dir.path()).status, 2);
  EXPECT_EQ(bt::run_cli({"init", "--force"}, {}, dir.path()).status, 0);
}

TEST(Config, WarehouseMemoryLimitHasADefaultAndMustBeASize) {
  EXPECT_EQ(parse("currency: USD\n", "/x/billingfoot.yaml").warehouse.memory_limit, "1536MB");
  EXPECT_EQ(parse("warehouse: {memory_limit: 4GB}\n", "/x/billingfoot.yaml").warehouse.memory_limit, "4GB");
  std::string e = error_of("warehouse:\n  memory_limit: lots\n");
  EXPECT_NE(e.find("billingfoot.yaml:2:17: warehouse.memory_limit: must be a size such as 1536MB or 4GB, not lots"),
            std::string::npos)
      << e;
}
