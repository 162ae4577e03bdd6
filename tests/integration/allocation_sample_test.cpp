// The FOCUS 1.0 sample data (real, anonymized tags: application, environment, business_unit)
// allocated by business unit and environment, with untagged spend visible, and totals checked
// against sums computed here from the CSV.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/cli.hpp"

namespace bt = billingfoot::testing;

TEST(SampleAllocation, BusinessUnitAndEnvironmentWithUntaggedSpendVisible) {
  auto sample = bt::shared_testdata("focus-1.0-sample/focus_sample.csv");
  auto rows = bt::parse_csv(bt::read_file(sample));
  ASSERT_GT(rows.size(), 1u);
  size_t cost_col = 0, tags_col = 0;
  for (size_t c = 0; c < rows[0].size(); ++c) {
    if (rows[0][c] == "BilledCost") cost_col = c;
    if (rows[0][c] == "Tags") tags_col = c;
  }
  // Expected, from the file: business_unit tag (or "unallocated"), environment from
  // `environment` or its alias `env`, lower-cased (or "unknown").
  std::map<std::string, __int128> by_unit, by_env;
  __int128 total = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    __int128 cost = bt::parse_decimal_e10(rows[i][cost_col]);
    total += cost;
    nlohmann::json tags = nlohmann::json::object();
    if (rows[i][tags_col] != "NULL" && !rows[i][tags_col].empty())
      tags = nlohmann::json::parse(rows[i][tags_col]);
    std::string unit = tags.contains("business_unit") && tags["business_unit"].is_string() &&
                               !tags["business_unit"].get<std::string>().empty()
                           ? tags["business_unit"].get<std::string>()
                           : "unallocated";
    std::string env = "unknown";
    for (const char* key : {"environment", "env"}) {
      if (env == "unknown" && tags.contains(key) && tags[key].is_string() &&
          !tags[key].get<std::string>().empty()) {
        env = tags[key].get<std::string>();
        for (auto& ch : env) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
    }
    by_unit[unit] += cost;
    by_env[env] += cost;
  }
  ASSERT_GT(by_unit["unallocated"], 0);

  bt::TempDir dir;
  bt::write_file(
      dir / "billingfoot.yaml",
      "sources:\n  - {name: sample, type: focus, location: " + sample.string() +
          "}\n"
          "allocation:\n"
          "  tag_aliases: {environment: [env]}\n"
          "  tag_values: {environment: {case: lower}}\n"
          "  dimensions:\n"
          "    - name: business_unit\n"
          "      rules: [{match: {\"tag:business_unit\": {regex: \"^(.+)$\"}}, value: \"$1\"}]\n"
          "    - name: environment\n"
          "      default: unknown\n"
          "      rules: [{match: {\"tag:environment\": {regex: \"^(.+)$\"}}, value: \"$1\"}]\n");
  auto sync = bt::run_cli({"sync"}, {}, dir.path());
  ASSERT_EQ(sync.status, 0) << sync.out << sync.err;
  EXPECT_NE(sync.out.find("allocation  1000 rows, 2 dimensions"), std::string::npos) << sync.out;

  for (const auto& [dim, expected] :
       {std::pair{std::string("business_unit"), by_unit}, {"environment", by_env}}) {
    auto r = bt::run_cli({"report", "--by", dim, "--format", "csv"}, {}, dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    auto out = bt::parse_csv(r.out);
    std::map<std::string, __int128> seen;
    for (size_t i = 1; i < out.size(); ++i) seen[out[i][0]] = bt::parse_decimal_e10(out[i][1]);
    ASSERT_EQ(seen.size(), expected.size()) << r.out;
    for (const auto& [value, cost] : expected)
      EXPECT_EQ(bt::format_e10(seen[value]), bt::format_e10(cost)) << dim << "=" << value;
  }
  auto u =
      bt::run_cli({"report", "--by", "business_unit", "--show-unallocated", "--format", "json"}, {},
                  dir.path());
  ASSERT_EQ(u.status, 0) << u.err;
  auto j = nlohmann::json::parse(u.out);
  EXPECT_EQ(j["unallocated"]["value"], "unallocated");
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(j["unallocated"]["cost"].dump())),
            bt::format_e10(by_unit["unallocated"]));
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(j["total"]["cost"].dump())),
            bt::format_e10(total));
  EXPECT_EQ(
      bt::query_scalar(
          dir.path(),
          "SELECT count(*) FROM cost_allocated WHERE business_unit IS NULL OR environment IS NULL"),
      "0");
}
