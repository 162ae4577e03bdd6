// `billingfoot catalog` documents what the warehouse holds, from its own schema knowledge.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli.hpp"

namespace billingfoot::testing {
namespace {

TEST(Catalog, DescribesEveryTableColumnAndSourceCoverage) {
  TempDir dir;
  write_file(dir / "billingfoot.yaml",
             "data_dir: ./.billingfoot\nsources:\n  - name: sample\n    type: focus\n    location: " +
                 shared_testdata("focus-1.0-sample/focus_sample.csv").string() + "\n");
  ASSERT_EQ(run_cli({"sync"}, {}, dir.path()).status, 0);
  auto json_out = run_cli({"catalog", "--format", "json"}, {}, dir.path());
  ASSERT_EQ(json_out.status, 0) << json_out.err;
  auto catalog = nlohmann::json::parse(json_out.out);

  std::map<std::string, nlohmann::json> tables;
  for (const auto& t : catalog["tables"]) tables[t["name"]] = t;
  for (const char* name : {"focus_costs", "loads", "runs", "source_state"}) {
    ASSERT_TRUE(tables.count(name)) << name;
    EXPECT_FALSE(tables[name]["description"].get<std::string>().empty()) << name;
  }
  EXPECT_EQ(tables["focus_costs"]["rows"], std::stoll(query_scalar(dir.path(), "SELECT count(*) FROM focus_costs")));
  EXPECT_EQ(tables["runs"]["rows"], 1);
  nlohmann::json billed;
  for (const auto& c : tables["focus_costs"]["columns"]) {
    if (c["name"] == "BilledCost") billed = c;
    EXPECT_FALSE(c["description"].get<std::string>().empty()) << c["name"];
  }
  EXPECT_EQ(billed["focus_level"], "Mandatory");
  EXPECT_EQ(billed["type"], "DECIMAL(38,10)");
  EXPECT_FALSE(billed["examples"].empty());

  ASSERT_EQ(catalog["coverage"].size(), 1u);
  EXPECT_EQ(catalog["coverage"][0]["source"], "sample");
  EXPECT_EQ(catalog["coverage"][0]["rows"], tables["focus_costs"]["rows"]);
  EXPECT_EQ(catalog["coverage"][0]["first_period"],
            query_scalar(dir.path(), "SELECT min(x_BillingPeriod) FROM focus_costs"));

  auto md = run_cli({"catalog"}, {}, dir.path());
  ASSERT_EQ(md.status, 0);
  EXPECT_NE(md.out.find("## focus_costs"), std::string::npos);
  EXPECT_NE(md.out.find("| BilledCost | DECIMAL(38,10) | FOCUS 1.0, Mandatory."), std::string::npos) << md.out.substr(0, 3000);
  EXPECT_EQ(run_cli({"catalog", "--format", "html"}, {}, dir.path()).status, 2);
}

}  // namespace
}  // namespace billingfoot::testing
