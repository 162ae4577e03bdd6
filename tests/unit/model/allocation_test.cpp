// Allocation: dimension rules, tag normalization, exact shared-cost splits and the totals check,
// on an in-memory warehouse. Expectations are computed here from the inputs, not by our SQL.
#include "model/allocation.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "app/app.hpp"
#include "common/errors.hpp"
#include "config/config.hpp"
#include "support/cli.hpp"
#include "warehouse/warehouse.hpp"

namespace bt = billingfoot::testing;
namespace wh = billingfoot::warehouse;
namespace model = billingfoot::model;
namespace config = billingfoot::config;

namespace {

struct Row {
  std::string cost;  // BilledCost = EffectiveCost = ListCost
  std::string tags;  // JSON or ""
  std::string service = "Compute";
  std::string account = "111";
  std::string month = "2024-09";
};

class Allocation : public ::testing::Test {
 protected:
  wh::Warehouse w_ = wh::Warehouse::open(":memory:", billingfoot::app::schema_migrations());
  int next_id_ = 0;

  // Inserts a row; its x_LoadId is a unique id so tests can follow a row through a split.
  std::string add(const Row& r) {
    std::string id = "row" + std::to_string(next_id_++);
    auto ins = w_.connection().prepare(
        "INSERT INTO focus_costs (BillingPeriodStart, ChargePeriodStart, BilledCost, "
        "EffectiveCost, ListCost, "
        "ServiceName, SubAccountId, Tags, BillingCurrency, x_SourceName, x_SourceType, x_LoadId, "
        "x_BillingPeriod) VALUES "
        "(CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), CAST(? AS DECIMAL(38,10)), CAST(? AS "
        "DECIMAL(38,10)), CAST(? AS "
        "DECIMAL(38,10)), ?, ?, CAST(? AS JSON), 'USD', 'src', 'focus', ?, ?)");
    ins.bind(1, r.month + "-01")
        .bind(2, r.month + "-03")
        .bind(3, r.cost)
        .bind(4, r.cost)
        .bind(5, r.cost);
    ins.bind(6, r.service).bind(7, r.account);
    if (r.tags.empty())
      ins.bind_null(8);
    else
      ins.bind(8, r.tags);
    ins.bind(9, id).bind(10, r.month).execute();
    return id;
  }

  config::Config parse(const std::string& yaml) {
    return config::parse(yaml, "/tmp/billingfoot.yaml");
  }

  model::AllocationSummary run(const std::string& allocation_yaml) {
    config_ = parse(allocation_yaml);
    return model::allocate(w_.connection(), config_.model.allocation);
  }

  // Split column `column` of cost_allocated per value of `dimension` ("" = whole table).
  std::map<std::string, std::string> by(const std::string& dimension,
                                        const std::string& column = "BilledCost",
                                        const std::string& where = "true") {
    wh::Result r =
        w_.connection().query("SELECT " + dimension + ", CAST(sum(" + column +
                              ") AS VARCHAR) FROM cost_allocated WHERE " + where + " GROUP BY 1");
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < r.row_count(); ++i) out[r.text(i, 0)] = r.text(i, 1);
    return out;
  }

  config::Config config_;
};

const char* kTeams = R"(
allocation:
  tag_aliases: {team: [Team, owner-team]}
  tag_values:
    team: {case: lower, aliases: {store-front: storefront}}
  dimensions:
    - name: team
      default: unallocated
      rules:
        - {match: {"tag:team": {regex: "^(.+)$"}}, value: "$1"}
        - {match: {SubAccountId: "999"}, value: platform}
)";

}  // namespace

TEST_F(Allocation, FirstMatchingRuleWinsAndTagSpellingsAreNormalized) {
  add({"10", R"({"team": "Web"})"});
  add({"20", R"({"Team": " web "})"});
  add({"30", R"({"owner-team": "Store-Front"})"});
  add({"40", R"({"team": "data"})", "Compute", "999"});  // the tag comes first
  add({"50", "", "Compute", "999"});
  add({"60", R"({"team": ""})"});  // empty tag: no value, so the default
  auto s = run(kTeams);
  EXPECT_EQ(s.rows, 6);
  auto teams = by("team");
  EXPECT_EQ(teams["web"], "30.0000000000");
  EXPECT_EQ(teams["storefront"], "30.0000000000");
  EXPECT_EQ(teams["data"], "40.0000000000");
  EXPECT_EQ(teams["platform"], "50.0000000000");
  EXPECT_EQ(teams["unallocated"], "60.0000000000");
  EXPECT_EQ(teams.size(), 5u);
}

TEST_F(Allocation, RulesMatchColumnsPrefixesListsAndEarlierDimensions) {
  add({"1", "", "Amazon S3", "111"});
  add({"2", "", "Amazon EC2", "222"});
  add({"4", "", "BigQuery", "333"});
  add({"8", "", "Datadog", "444"});
  run(R"(
allocation:
  dimensions:
    - name: team
      rules:
        - {match: {ServiceName: {prefix: "Amazon "}, SubAccountId: {in: ["111", "333"]}}, value: storage}
        - {match: {ServiceName: {regex: "^Amazon (E.2)$"}}, value: "compute-$1"}
        - {match: {SubAccountId: {equals: "333"}}, value: data}
    - name: product
      default: none
      rules:
        - {match: {team: {in: [storage, data]}}, value: platform}
)");
  auto teams = by("team");
  EXPECT_EQ(teams["storage"], "1.0000000000");
  EXPECT_EQ(teams["compute-EC2"], "2.0000000000");
  EXPECT_EQ(teams["data"], "4.0000000000");
  EXPECT_EQ(teams["unallocated"], "8.0000000000");
  auto products = by("product");
  EXPECT_EQ(products["platform"], "5.0000000000");
  EXPECT_EQ(products["none"], "10.0000000000");
}

TEST_F(Allocation, EvenSplitGivesLeftoverCentsByLargestRemainderThenName) {
  add({"30", R"({"team": "a"})"});
  add({"30", R"({"team": "b"})"});
  add({"30", R"({"team": "c"})"});
  std::string shared = add({"100.00", "", "Support"});
  auto s = run(std::string(kTeams) +
               "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, "
               "method: even}\n");
  EXPECT_EQ(s.shared_rows, 1);
  EXPECT_EQ(s.split_rows, 3);
  auto parts = by("team", "BilledCost", "x_LoadId = '" + shared + "'");
  // 100.00 / 3 = 33.333…: one cent is left over and goes to the first name.
  EXPECT_EQ(parts["a"], "33.3400000000");
  EXPECT_EQ(parts["b"], "33.3300000000");
  EXPECT_EQ(parts["c"], "33.3300000000");
  EXPECT_EQ(by("AllocatedMethodId", "BilledCost", "x_LoadId = '" + shared + "'")["support"],
            "100.0000000000");
  EXPECT_EQ(w_.connection()
                .query("SELECT count(*) FROM cost_allocated WHERE x_LoadId = '" + shared +
                       "' AND AllocatedResourceId = concat('team:', team) AND "
                       "json_extract_string(AllocatedTags, '$.team') = "
                       "team AND CAST(json_extract(AllocatedMethodDetails, "
                       "'$.Elements[0].AllocatedRatio') AS "
                       "DOUBLE) BETWEEN 0.3333 AND 0.3334")
                .int64(0, 0),
            3);
}

TEST_F(Allocation, FixedSplitFollowsTheWeightsAndSubCentAmountsStayExact) {
  add({"1", R"({"team": "x"})"});
  std::string big = add({"10.00", "", "Support"});
  std::string cent = add({"0.01", "", "Support"});
  std::string tiny = add({"0.0000008", "", "Support"});
  run(std::string(kTeams) +
      "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, method: "
      "fixed, "
      "weights: {a: 60, b: 40}}\n");
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + big + "'"),
            (std::map<std::string, std::string>{{"a", "6.0000000000"}, {"b", "4.0000000000"}}));
  // One cent cannot be split: it goes whole to the larger share.
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + cent + "'"),
            (std::map<std::string, std::string>{{"a", "0.0100000000"}, {"b", "0.0000000000"}}));
  // Not a whole number of cents: split at the warehouse's precision (8000 units of 1e-10).
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + tiny + "'"),
            (std::map<std::string, std::string>{{"a", "0.0000004800"}, {"b", "0.0000003200"}}));
}

// Large and odd amounts take the exact paths of the split (no DOUBLE shortcut): the parts
// are floor(units x weight / total) plus the leftover units by largest remainder, computed
// here with 128-bit integers.
TEST_F(Allocation, LargeAndIrregularAmountsSplitExactly) {
  add({"1", R"({"team": "x"})"});
  const std::vector<std::string> amounts = {
      "98765432109.8765432109",  // quotients far beyond DOUBLE precision
      "123456.7890123457",             // about 1e15 units of 1e-10
      "-4503599627.3705497",           // negative, not a whole number of cents
      "7777777777777777.77",           // whole cents beyond 2^53 units
      "0.0000000001"};
  std::vector<std::string> ids;
  for (const auto& a : amounts) ids.push_back(add({a, "", "Support"}));
  run(std::string(kTeams) +
      "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, method: "
      "fixed, weights: {a: 13, b: 29, c: 58}}\n");
  const __int128 weights[] = {13, 29, 58};
  for (size_t i = 0; i < amounts.size(); ++i) {
    SCOPED_TRACE(amounts[i]);
    __int128 units = bt::parse_decimal_e10(amounts[i]);
    __int128 magnitude = units < 0 ? -units : units;
    __int128 unit = magnitude % 100000000 == 0 ? 100000000 : 1;
    __int128 count = magnitude / unit, left = count, base[3], rem[3];
    for (int t = 0; t < 3; ++t) {
      base[t] = count * weights[t] / 100;
      rem[t] = count * weights[t] % 100;
      left -= base[t];
    }
    std::map<std::string, std::string> want;
    for (int t = 0; t < 3; ++t) {
      int rank = 1;  // among the others: larger remainder, or equal and earlier name
      for (int o = 0; o < 3; ++o) rank += rem[o] > rem[t] || (rem[o] == rem[t] && o < t);
      __int128 part = (base[t] + (rank <= left ? 1 : 0)) * unit * (units < 0 ? -1 : 1);
      want[std::string(1, static_cast<char>('a' + t))] = bt::format_e10(part);
    }
    std::map<std::string, std::string> got;
    for (const auto& [team, cost] : by("team", "BilledCost", "x_LoadId = '" + ids[i] + "'"))
      got[team] = bt::format_e10(bt::parse_decimal_e10(cost));
    EXPECT_EQ(got, want);
  }
}

TEST_F(Allocation, ProportionalSplitFollowsDirectCostOfTheSameMonth) {
  add({"300", R"({"team": "a"})"});
  add({"100", R"({"team": "b"})"});
  add({"100", R"({"team": "a"})", "Compute", "111", "2024-10"});
  add({"200", R"({"team": "b"})", "Compute", "111", "2024-10"});
  add({"5", ""});  // unallocated: not a target
  std::string sep = add({"1.00", "", "Support"});
  std::string oct = add({"1.00", "", "Support", "111", "2024-10"});
  std::string credit = add({"-10.00", "", "Support"});
  run(std::string(kTeams) +
      "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, method: "
      "proportional}\n");
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + sep + "'"),
            (std::map<std::string, std::string>{{"a", "0.7500000000"}, {"b", "0.2500000000"}}));
  // 1/3 and 2/3 of 100 cents: 33.33 and 66.67; the leftover cent goes to the larger remainder.
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + oct + "'"),
            (std::map<std::string, std::string>{{"a", "0.3300000000"}, {"b", "0.6700000000"}}));
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + credit + "'"),
            (std::map<std::string, std::string>{{"a", "-7.5000000000"}, {"b", "-2.5000000000"}}));
}

TEST_F(Allocation, ProportionalToAMetricUsesItsDimensionColumn) {
  add({"7", R"({"team": "a"})"});
  std::string shared = add({"12.00", "", "Support"});
  w_.connection().execute(
      "ALTER TABLE business_metrics ADD COLUMN team VARCHAR; INSERT INTO business_metrics (metric, "
      "date, team, value) "
      "VALUES ('users', '2024-09-01', 'a', 10), ('users', '2024-09-02', 'a', 20), ('users', "
      "'2024-09-01', 'b', 90), "
      "('users', '2024-10-01', 'a', 1000)");
  run(std::string(kTeams) +
      "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, "
      "method: proportional, metric: users}\nmetrics:\n  - {name: users, csv: ./u.csv}\n");
  // September: a 30, b 90 → 1/4 and 3/4.
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + shared + "'"),
            (std::map<std::string, std::string>{{"a", "3.0000000000"}, {"b", "9.0000000000"}}));
}

TEST_F(Allocation, SplitRowsRecomputeDimensionsThatDependOnTheSplitOne) {
  add({"10", R"({"team": "shop"})"});
  add({"10", R"({"team": "hosting"})"});
  std::string shared = add({"4", R"({"team": "platform"})"});
  run(R"Y(
allocation:
  dimensions:
    - name: team
      rules: [{match: {"tag:team": {regex: "(.+)"}}, value: "$1"}]
    - name: product
      default: shared
      rules:
        - {match: {team: shop}, value: webshop}
        - {match: {team: hosting}, value: webhosting}
  shared:
    - {name: platform, match: {team: platform}, split_by: team, method: even}
)Y");
  EXPECT_EQ(by("product", "BilledCost", "x_LoadId = '" + shared + "'"),
            (std::map<std::string, std::string>{{"webhosting", "2.0000000000"},
                                                {"webshop", "2.0000000000"}}));
}

TEST_F(Allocation, SharedRowsWithoutTargetsInTheirMonthAreKeptWhole) {
  add({"10", R"({"team": "a"})", "Compute", "111", "2024-09"});
  std::string lonely = add({"3", "", "Support", "111", "2024-10"});
  auto s = run(std::string(kTeams) +
               "  shared:\n    - {name: support, match: {ServiceName: Support}, split_by: team, "
               "method: proportional}\n");
  EXPECT_EQ(s.unsplit_rows, 1);
  EXPECT_EQ(by("team", "BilledCost", "x_LoadId = '" + lonely + "'"),
            (std::map<std::string, std::string>{{"unallocated", "3.0000000000"}}));
}

TEST_F(Allocation, TotalsCheckFailsLoudlyWhenAllocatedCostDiffers) {
  add({"10", R"({"team": "a"})"});
  run(kTeams);
  EXPECT_NO_THROW(model::check_allocation_totals(w_.connection(), config_.model.allocation));
  w_.connection().execute("UPDATE cost_allocated SET BilledCost = BilledCost + 0.01");
  try {
    model::check_allocation_totals(w_.connection(), config_.model.allocation);
    FAIL() << "no error";
  } catch (const model::AllocationError& e) {
    EXPECT_NE(std::string(e.what()).find("BilledCost 10.0000000000 before, 10.0100000000 after"),
              std::string::npos)
        << e.what();
  }
  w_.connection().execute("UPDATE cost_allocated SET BilledCost = BilledCost - 0.01, team = NULL");
  EXPECT_THROW(model::check_allocation_totals(w_.connection(), config_.model.allocation),
               model::AllocationError);
}

TEST_F(Allocation, RulesThatDoNotFitTheDataNameTheConfigLine) {
  add({"1", ""});
  try {
    run("allocation:\n  dimensions:\n    - name: team\n      rules:\n        - {match: "
        "{NoSuchColumn: x}, value: y}\n");
    FAIL() << "no error";
  } catch (const billingfoot::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("billingfoot.yaml:5:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NoSuchColumn"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run("allocation:\n  dimensions:\n    - name: team\n      rules:\n        - {match: "
                   "{ServiceName: {regex: "
                   "\"(unclosed\"}}, value: y}\n"),
               billingfoot::UsageError);
}

// Random costs (cents, sub-cent, negative), random tags and random rule sets: every original
// row's cost survives its split exactly, totals match the input to the last decimal, and
// every row has exactly one value per dimension.
TEST_F(Allocation, PropertyRandomRuleSetsKeepEveryCostExactly) {
  const std::vector<std::string> teams = {"a", "b", "c", "d"};
  const std::vector<std::string> services = {"Compute", "Storage", "Network", "Support"};
  const std::vector<std::string> weight_sets = {"{a: 0.5, b: 0.5}", "{b: 0.2, c: 0.3, d: 0.5}",
                                                "{a: 25, d: 75}"};
  for (int seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    w_.connection().execute("DELETE FROM focus_costs");
    std::mt19937_64 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    std::map<std::string, __int128> expected;  // x_LoadId → cost
    __int128 total = 0;
    int rows = 20 + static_cast<int>(pick(200));
    for (int i = 0; i < rows; ++i) {
      int64_t units = static_cast<int64_t>(pick(2000000)) - 300000;
      std::string digits = std::to_string(units < 0 ? -units : units);
      size_t scale = pick(3);
      std::string cost = digits;
      if (scale == 1)
        cost = digits.size() > 2
                   ? digits.substr(0, digits.size() - 2) + "." + digits.substr(digits.size() - 2)
                   : "0." + std::string(2 - digits.size(), '0') + digits;
      if (scale == 2) cost = "0.000" + std::string(7 - digits.size(), '0') + digits;
      if (units < 0) cost = "-" + cost;
      std::string tags;
      if (pick(5) > 0) {
        const char* keys[] = {"team", "Team", "owner-team"};
        tags = std::string("{\"") + keys[pick(3)] + "\": \"" + teams[pick(teams.size())] +
               "\", \"env\": \"" + (pick(2) ? "prod" : "dev") + "\"}";
      }
      Row r{cost, tags, services[pick(services.size())], std::to_string(100 + pick(4)),
            pick(3) ? "2024-09" : "2024-10"};
      std::string id = add(r);
      expected[id] = bt::parse_decimal_e10(cost);
      total += expected[id];
    }
    std::string yaml =
        "allocation:\n  tag_aliases: {team: [Team, owner-team]}\n  dimensions:\n    - name: team\n "
        "     rules:\n";
    int rule_count = 1 + static_cast<int>(pick(6));
    for (int i = 0; i < rule_count; ++i) {
      switch (pick(4)) {
        case 0:
          yaml += "        - {match: {\"tag:team\": {regex: \"^([a-c])$\"}}, value: \"$1\"}\n";
          break;
        case 1:
          yaml += "        - {match: {SubAccountId: \"10" + std::to_string(pick(4)) +
                  "\"}, value: " + teams[pick(4)] + "}\n";
          break;
        case 2:
          yaml += "        - {match: {ServiceName: {prefix: " + services[pick(4)].substr(0, 3) +
                  "}}, value: " + teams[pick(4)] + "}\n";
          break;
        default:
          yaml +=
              "        - {match: {\"tag:team\": {in: [a, b, d]}, ServiceName: {in: [Compute, "
              "Network]}}, value: d}\n";
      }
    }
    yaml +=
        "    - name: env\n      default: none\n      rules: [{match: {\"tag:env\": {regex: "
        "\"(.+)\"}}, value: \"$1\"}]\n";
    size_t shared = pick(4);
    if (shared) yaml += "  shared:\n";
    for (size_t i = 0; i < shared; ++i) {
      std::string match =
          pick(2) ? "{ServiceName: " + services[pick(4)] + "}" : "{team: " + teams[pick(4)] + "}";
      std::string method;
      switch (pick(4)) {
        case 0:
          method = "even";
          break;
        case 1:
          method = "even, targets: [a, c]";
          break;
        case 2:
          method = "fixed, weights: " + weight_sets[pick(weight_sets.size())];
          break;
        default:
          method = "proportional";
      }
      yaml += "    - {name: s" + std::to_string(i) + ", match: " + match +
              ", split_by: team, method: " + method + "}\n";
    }
    SCOPED_TRACE(yaml);
    auto summary = run(yaml);
    wh::Result per_row = w_.connection().query(
        "SELECT x_LoadId, CAST(sum(BilledCost) AS VARCHAR), CAST(sum(EffectiveCost) AS VARCHAR), "
        "CAST(sum(ListCost) AS "
        "VARCHAR), count(*) FILTER (WHERE team IS NULL OR env IS NULL) FROM cost_allocated GROUP "
        "BY 1");
    ASSERT_EQ(per_row.row_count(), expected.size());
    __int128 seen_total = 0;
    for (size_t i = 0; i < per_row.row_count(); ++i) {
      __int128 want = expected.at(per_row.text(i, 0));
      EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(per_row.text(i, 1))), bt::format_e10(want))
          << per_row.text(i, 0);
      EXPECT_EQ(per_row.text(i, 1), per_row.text(i, 2));
      EXPECT_EQ(per_row.text(i, 1), per_row.text(i, 3));
      EXPECT_EQ(per_row.int64(i, 4), 0);
      seen_total += bt::parse_decimal_e10(per_row.text(i, 1));
    }
    EXPECT_EQ(bt::format_e10(seen_total), bt::format_e10(total));
    EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(summary.billed_cost)), bt::format_e10(total));
    EXPECT_EQ(summary.rows, rows - summary.shared_rows + summary.unsplit_rows + summary.split_rows);
  }
}
