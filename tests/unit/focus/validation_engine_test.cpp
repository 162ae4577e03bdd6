// The validation engine on small tables built here: each check function compiles to the right
// predicate (a violating row counts, a conforming one does not), nulls, composites, examples.
#include <gtest/gtest.h>

#include "focus/validation/engine.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::focus::validation {
namespace {

using enum CheckFunction;

class ValidationEngine : public ::testing::Test {
 protected:
  ValidationEngine() : db_(warehouse::Database::open(":memory:")), con_(db_.connect()) {}

  // A table `t` from column definitions and VALUES rows, e.g. ("a VARCHAR", "('x'), (NULL)").
  void table(const std::string& columns, const std::string& values) {
    con_.execute("CREATE OR REPLACE TABLE t (" + columns + ")");
    if (!values.empty()) con_.execute("INSERT INTO t VALUES " + values);
  }

  static Rule rule(std::string id, Check requirement, Check condition = Check::always()) {
    Rule r;
    r.id = std::move(id);
    r.keyword = "MUST";
    r.requirement = std::move(requirement);
    r.condition = std::move(condition);
    return r;
  }

  static RuleSet rule_set(std::vector<Rule> rules) {
    RuleSet set;
    set.rules = std::move(rules);
    return set;
  }

  RuleResult evaluate(Check requirement, Check condition = Check::always()) {
    RuleSet set = rule_set({rule("Test-C-001-M", std::move(requirement), std::move(condition))});
    return validate(con_, "t", set).results.at(0);
  }

  // Rows violating the requirement (0 when the rule passed).
  int64_t violations(Check requirement, Check condition = Check::always()) {
    RuleResult r = evaluate(std::move(requirement), std::move(condition));
    EXPECT_NE(r.outcome, Outcome::Error) << r.finding;
    return r.outcome == Outcome::Failed ? r.violations : 0;
  }

  static Check with_value(CheckFunction f, const std::string& column, const std::string& number) {
    Check c = Check::on(f, column);
    c.value = number;
    c.value_is_number = true;
    return c;
  }

  warehouse::Database db_;
  warehouse::Connection con_;
};

TEST_F(ValidationEngine, CheckValueCountsOtherValuesButNotNulls) {
  table("ChargeCategory VARCHAR", "('Usage'), ('Tax'), (NULL)");
  EXPECT_EQ(violations(Check::is("ChargeCategory", "Usage")), 1);
  EXPECT_EQ(violations(Check::is_not("ChargeCategory", "Tax")), 1);
}

TEST_F(ValidationEngine, NullValueMeansIsNullOrIsNotNull) {
  table("BilledCost VARCHAR", "('1'), (NULL), (NULL)");
  EXPECT_EQ(violations(Check::not_null("BilledCost")), 2);
  EXPECT_EQ(violations(Check::is_null("BilledCost")), 1);
}

TEST_F(ValidationEngine, ConditionReadsNullAsNotTheValue) {
  table("ChargeClass VARCHAR, PricingCategory VARCHAR",
        "('Correction', NULL), (NULL, NULL), (NULL, 'Standard')");
  // Only the second row: not a correction (null ChargeClass) and PricingCategory null.
  EXPECT_EQ(
      violations(Check::not_null("PricingCategory"), Check::is_not("ChargeClass", "Correction")),
      1);
  EXPECT_EQ(violations(Check::not_null("PricingCategory"), Check::is("ChargeClass", "Correction")),
            1);
}

TEST_F(ValidationEngine, AndAndOrCombineChecks) {
  table("a VARCHAR, b VARCHAR", "('x', '1'), ('y', '2'), ('z', '1')");
  EXPECT_EQ(violations(Check::any({Check::is("a", "x"), Check::is("a", "y")})), 1);
  EXPECT_EQ(violations(Check::all({Check::is_not("a", "z"), Check::is("b", "1")})), 2);
  EXPECT_EQ(violations(Check::always()), 0);
}

TEST_F(ValidationEngine, TypeDecimalAndFormatNumericCheckTheTextOfTextColumns) {
  table("v VARCHAR", "('1.5'), ('abc'), ('2E-3'), ('1,000'), ('+1'), (NULL)");
  EXPECT_EQ(violations(Check::on(TypeDecimal, "v")), 2);    // abc, 1,000
  EXPECT_EQ(violations(Check::on(FormatNumeric, "v")), 3);  // abc, 1,000, +1
  EXPECT_EQ(violations(Check::on(CheckDecimalValue, "v")), 2);
}

TEST_F(ValidationEngine, FormatDateTimeRequiresUtcWithTAndZ) {
  table("d VARCHAR",
        "('2024-01-01T00:00:00Z'), ('2024-01-01 00:00:00'), ('2024-13-01T00:00:00Z'), (NULL)");
  EXPECT_EQ(violations(Check::on(FormatDateTime, "d")), 2);
  EXPECT_EQ(violations(Check::on(TypeDateTime, "d")), 1);  // only the 13th month does not parse
}

TEST_F(ValidationEngine, TypedColumnsSatisfyTypeAndFormatWithoutReadingRows) {
  table("d TIMESTAMP, n DECIMAL(38,10), s VARCHAR", "('2024-01-01 00:00:00', 1.5, 'x')");
  for (auto f : {TypeDateTime, FormatDateTime}) {
    RuleResult r = evaluate(Check::on(f, "d"));
    EXPECT_EQ(r.outcome, Outcome::Passed);
    EXPECT_FALSE(r.row_level);
  }
  EXPECT_EQ(evaluate(Check::on(TypeDecimal, "n")).outcome, Outcome::Passed);
  EXPECT_EQ(evaluate(Check::on(FormatNumeric, "n")).outcome, Outcome::Passed);
  RuleResult wrong = evaluate(Check::on(TypeString, "n"));
  EXPECT_EQ(wrong.outcome, Outcome::Failed);
  EXPECT_FALSE(wrong.row_level);
  EXPECT_NE(wrong.finding.find("DECIMAL"), std::string::npos);
}

TEST_F(ValidationEngine, PresenceIsDecidedOnTheColumns) {
  table("BilledCost VARCHAR", "('1'), ('2')");
  EXPECT_EQ(evaluate(Check::on(ColumnPresent, "BilledCost")).outcome, Outcome::Passed);
  RuleResult missing = evaluate(Check::on(ColumnPresent, "EffectiveCost"));
  EXPECT_EQ(missing.outcome, Outcome::Failed);
  EXPECT_FALSE(missing.row_level);
  EXPECT_EQ(missing.finding, "column EffectiveCost is missing");
}

TEST_F(ValidationEngine, RulesAboutAbsentColumnsAreNotApplicable) {
  table("BilledCost VARCHAR", "('1')");
  EXPECT_EQ(evaluate(Check::on(TypeString, "RegionName")).outcome, Outcome::NotApplicable);
  // An absent column in a condition reads as null everywhere.
  EXPECT_EQ(violations(Check::not_null("BilledCost"), Check::is_null("ChargeClass")), 0);
  EXPECT_EQ(violations(Check::is("BilledCost", "2"), Check::is_null("ChargeClass")), 1);
}

TEST_F(ValidationEngine, FormatKeyValueAcceptsOnlyFlatJsonObjectsWithUniqueKeys) {
  table(
      "Tags VARCHAR",
      R"(('{"env": "prod", "n": 1, "flag": true, "none": null}'), ('{}'), ('[1]'), ('{"a": {"b": 1}}'),
           ('{"a": [1]}'), ('not json'), ('{"a": 1, "a": 2}'), (NULL))");
  EXPECT_EQ(violations(Check::on(FormatKeyValue, "Tags")), 5);
}

TEST_F(ValidationEngine, CurrencyChecksUseIso4217) {
  table("c VARCHAR", "('USD'), ('EUR'), ('XYZ'), ('usd'), ('Credits'), (' '), (NULL)");
  EXPECT_EQ(violations(Check::on(CheckNationalCurrency, "c")), 4);  // XYZ, usd, Credits, blank
  EXPECT_EQ(violations(Check::on(FormatCurrency, "c")), 1);  // a virtual currency name is fine
}

TEST_F(ValidationEngine, FormatStringAndFormatUnit) {
  table("u VARCHAR", "('GB-Hours'), ('1000 Requests'), ('GB/Hour'), ('   '), ('-5')");
  EXPECT_EQ(violations(Check::on(FormatString, "u")), 1);
  EXPECT_EQ(violations(Check::on(FormatUnit, "u")), 2);
}

TEST_F(ValidationEngine, GreaterOrEqualThanValueComparesNumbers) {
  table("p VARCHAR", "('0'), ('2.5'), ('-0.1'), (NULL)");
  EXPECT_EQ(violations(with_value(CheckGreaterOrEqualThanValue, "p", "0")), 1);
}

TEST_F(ValidationEngine, NumericCheckValueComparesAsNumbers) {
  table("EffectiveCost VARCHAR", "('0.000'), ('0'), ('1.5')");
  EXPECT_EQ(violations(with_value(CheckValue, "EffectiveCost", "0")), 1);
  EXPECT_EQ(violations(with_value(CheckNotValue, "EffectiveCost", "0")), 2);
}

TEST_F(ValidationEngine, SameAndNotSameValueCompareTwoColumns) {
  table("a VARCHAR, b VARCHAR", "('x', 'x'), ('x', 'y'), (NULL, 'y')");
  EXPECT_EQ(violations(Check::columns(CheckSameValue, "a", "b")), 1);
  EXPECT_EQ(violations(Check::columns(CheckNotSameValue, "a", "b")), 1);
}

TEST_F(ValidationEngine, DistinctCountFlagsEveryRowOfAnAmbiguousGroup) {
  table("SkuPriceId VARCHAR, SkuId VARCHAR",
        "('p1', 's1'), ('p1', 's1'), ('p2', 's1'), ('p2', 's2'), ('p2', 's2')");
  Check check = Check::columns(CheckDistinctCount, "SkuPriceId", "SkuId");
  check.expected_count = 1;
  EXPECT_EQ(violations(check), 3);
}

TEST_F(ValidationEngine, ColumnByColumnEqualsColumnValueAllowsRounding) {
  table("price VARCHAR, qty VARCHAR, cost VARCHAR",
        "('0.5', '24', '12'), ('0.3333333333', '3', '1'), ('2', '2', '5')");
  Check check = Check::columns(ColumnByColumnEqualsColumnValue, "price", "qty");
  check.result_column = "cost";
  EXPECT_EQ(violations(check), 1);
}

TEST_F(ValidationEngine, GreaterThanColumnChecksExclusivePeriodEnds) {
  table("s VARCHAR, e VARCHAR",
        "('2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z'), ('2024-01-01T00:00:00Z', "
        "'2024-01-01T00:00:00Z'),"
        "('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z')");
  EXPECT_EQ(violations(Check::columns(CheckGreaterThanColumn, "e", "s")), 2);
}

TEST_F(ValidationEngine, FlagsCustomColumnWithoutXPrefix) {
  table("BilledCost VARCHAR, Id VARCHAR, x_Team VARCHAR", "('1', '7', 'a')");
  RuleSet set = rule_set({rule("ColumnHandling-A-010-M", Check::on(CheckCustomColumnsPrefix, ""))});
  set.focus_columns = {"BilledCost"};
  RuleResult r = validate(con_, "t", set).results.at(0);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_FALSE(r.row_level);
  EXPECT_EQ(r.finding, "custom columns without the x_ prefix: Id");
}

TEST_F(ValidationEngine, ExamplesGiveRowNumbersAndOffendingValues) {
  table("ChargeCategory VARCHAR, PricingCategory VARCHAR",
        "('Usage', 'Standard'), ('Usage', NULL), ('Tax', NULL), ('Usage', NULL), ('Usage', NULL), "
        "('Usage', NULL),"
        "('Usage', NULL), ('Usage', NULL)");
  RuleResult r = evaluate(Check::not_null("PricingCategory"), Check::is("ChargeCategory", "Usage"));
  EXPECT_EQ(r.violations, 6);
  ASSERT_EQ(r.examples.size(), 5u);
  EXPECT_EQ(r.examples[0].row, 2);
  EXPECT_EQ(r.examples[1].row, 4);
  ASSERT_EQ(r.examples[0].values.size(), 2u);
  EXPECT_EQ(r.examples[0].values[0].first, "PricingCategory");
  EXPECT_FALSE(r.examples[0].values[0].second.has_value());
  EXPECT_EQ(r.examples[0].values[1],
            (std::pair<std::string, std::optional<std::string>>{"ChargeCategory", "Usage"}));
}

TEST_F(ValidationEngine, CompositeFailsThroughTheRulesItNames) {
  table("a VARCHAR", "('x'), (NULL)");
  RuleSet set;
  auto add = [&set](std::string id, Check requirement, bool composite = false) {
    set.rules.push_back(rule(std::move(id), std::move(requirement)));
    set.rules.back().composite = composite;
  };
  add("A-C-000-M", Check::all({Check::model_rule("A-C-001-M"), Check::model_rule("A-C-002-M")}),
      true);
  add("A-C-001-M", Check::not_null("a"));
  add("A-C-002-C", Check::on(TypeString, "a"));
  add("A-C-002-M", Check::on(TypeString, "a"));
  // An OR of rules is evaluated row by row: a row passes when any alternative holds.
  add("B-C-000-M", Check::any({Check::model_rule("A-C-001-M"), Check::model_rule("B-C-001-M")}));
  add("B-C-001-M", Check::is_null("a"));
  Report report = validate(con_, "t", set);
  EXPECT_EQ(report.results[0].outcome, Outcome::Failed);
  EXPECT_EQ(report.results[1].violations, 1);
  EXPECT_EQ(report.results[4].outcome, Outcome::Passed);
  EXPECT_EQ(report.count(Outcome::Failed), 2u);  // A-C-001-M, B-C-001-M; composites do not count
  EXPECT_TRUE(report.mandatory_failed());
}

TEST_F(ValidationEngine, OnlyMandatoryFailuresBreakConformance) {
  table("a VARCHAR", "(NULL)");
  RuleSet set = rule_set({rule("A-C-001-C", Check::not_null("a"))});
  Report report = validate(con_, "t", set);
  EXPECT_EQ(report.count(Outcome::Failed), 1u);
  EXPECT_FALSE(report.mandatory_failed());
}

TEST_F(ValidationEngine, ApplicabilityCriteriaMustBeDeclared) {
  table("a VARCHAR", "(NULL)");
  RuleSet set = rule_set({rule("A-C-001-C", Check::not_null("a"))});
  set.rules[0].applicability = {"TAGGING_SUPPORTED"};
  EXPECT_EQ(validate(con_, "t", set).results[0].outcome, Outcome::NotApplicable);
  Options declared;
  declared.applicability = {"TAGGING_SUPPORTED"};
  EXPECT_EQ(validate(con_, "t", set, declared).results[0].outcome, Outcome::Failed);
  Options all;
  all.all_applicability = true;
  EXPECT_EQ(validate(con_, "t", set, all).results[0].outcome, Outcome::Failed);
}

}  // namespace
}  // namespace billingfoot::focus::validation
