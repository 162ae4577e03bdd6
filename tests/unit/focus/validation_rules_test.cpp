// The built-in FOCUS 1.2 rules and rules read from the official model, on real and hand-made
// files, through the engine and through the `billingfoot validate` binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "focus/catalogue.hpp"
#include "focus/validation/builtin_rules.hpp"
#include "focus/validation/engine.hpp"
#include "focus/validation/model_loader.hpp"
#include "sources/files.hpp"
#include "support/cli.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::focus::validation {
namespace {

namespace fs = std::filesystem;
using testing::parse_csv;
using testing::run_cli;
using testing::shared_testdata;

const fs::path kSample = shared_testdata("focus-1.0-sample/focus_sample.csv");
const fs::path kModel = shared_testdata("focus-requirements-model/model-1.2.json");

Report validate_file(const fs::path& file, const RuleSet& rules = builtin_rules(),
                     const Options& options = {}) {
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  sources::read_file_into(con, file, "input", "test");
  return validate(con, "input", rules, options);
}

const RuleResult& result(const Report& report, const std::string& id) {
  auto it = std::find_if(report.results.begin(), report.results.end(),
                         [&id](const RuleResult& r) { return r.id == id; });
  if (it == report.results.end()) throw std::runtime_error("no result for " + id);
  return *it;
}

std::vector<std::string> failed_ids(const Report& report) {
  std::vector<std::string> ids;
  for (const auto& r : report.results) {
    if (!r.composite && r.outcome == Outcome::Failed) ids.push_back(r.id);
  }
  return ids;
}

// Rows of the sample whose `column` is not a FOCUS date/time (YYYY-MM-DDTHH:mm:ssZ), by hand.
int64_t non_utc_cells(const std::vector<std::vector<std::string>>& csv, const std::string& column) {
  size_t col = std::find(csv[0].begin(), csv[0].end(), column) - csv[0].begin();
  int64_t count = 0;
  for (size_t r = 1; r < csv.size(); ++r) {
    const std::string& v = csv[r].at(col);
    if (v.empty() || v == "NULL") continue;
    bool utc = v.size() == 20 && v[10] == 'T' && v[19] == 'Z';
    count += utc ? 0 : 1;
  }
  return count;
}

const std::vector<std::string> kDateTimeColumns = {"BillingPeriodStart", "BillingPeriodEnd",
                                                   "ChargePeriodStart", "ChargePeriodEnd"};

TEST(ValidationBuiltin, SampleFileReportsIdWithoutXPrefixAndNonUtcTimestamps) {
  auto csv = parse_csv(testing::read_file(kSample));
  ASSERT_GT(csv.size(), 1u);
  Report report = validate_file(kSample);
  EXPECT_EQ(report.rows, static_cast<int64_t>(csv.size() - 1));

  const RuleResult& prefix = result(report, "ColumnHandling-A-010-M");
  EXPECT_EQ(prefix.outcome, Outcome::Failed);
  EXPECT_EQ(prefix.finding, "custom columns without the x_ prefix: Id");

  for (const auto& column : kDateTimeColumns) {
    const RuleResult& format = result(report, column + "-C-002-M");
    int64_t expected = non_utc_cells(csv, column);
    ASSERT_GT(expected, 0) << column;
    EXPECT_EQ(format.outcome, Outcome::Failed) << column;
    EXPECT_EQ(format.violations, expected) << column;
    EXPECT_EQ(format.examples.size(), 5u);
    EXPECT_EQ(result(report, column + "-C-001-M").outcome, Outcome::Passed)
        << "the text parses as a date/time";
  }
  EXPECT_TRUE(report.mandatory_failed());
}

TEST(ValidationBuiltin, SampleFileFailsThroughTheBinary) {
  auto csv = parse_csv(testing::read_file(kSample));
  auto run = run_cli({"validate", "--file", kSample.string()});
  EXPECT_EQ(run.status, 1) << run.err;
  EXPECT_NE(run.out.find("FAIL ColumnHandling-A-010-M"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("custom columns without the x_ prefix: Id"), std::string::npos);
  for (const auto& column : kDateTimeColumns) {
    std::string line = "FAIL " + column + "-C-002-M  Mandatory  " +
                       std::to_string(non_utc_cells(csv, column)) + " of " +
                       std::to_string(csv.size() - 1) + " rows";
    EXPECT_NE(run.out.find(line), std::string::npos) << line << "\n" << run.out;
  }

  auto json_run = run_cli({"validate", "--file", kSample.string(), "--format", "json"});
  EXPECT_EQ(json_run.status, 1);
  auto doc = nlohmann::json::parse(json_run.out);
  EXPECT_FALSE(doc["conformant"].get<bool>());
  EXPECT_GT(doc["summary"]["failed_mandatory"].get<int>(), 0);
  for (const auto& rule : doc["rules"]) {
    if (rule["id"] == "ChargePeriodStart-C-002-M") {
      EXPECT_EQ(rule["status"], "failed");
      EXPECT_EQ(rule["violations"].get<int64_t>(), non_utc_cells(csv, "ChargePeriodStart"));
      EXPECT_EQ(rule["examples"][0]["row"], 1);
    }
  }
}

// A small FOCUS 1.2 file done right: usage, a commitment purchase and tax.
constexpr std::string_view kConformantCsv =
    R"(BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,ListCost,ContractedCost,ListUnitPrice,ContractedUnitPrice,PricingCategory,PricingQuantity,PricingUnit,ConsumedQuantity,ConsumedUnit,InvoiceId,InvoiceIssuerName,ProviderName,PublisherName,ServiceCategory,ServiceSubcategory,ServiceName,SkuId,SkuPriceId,SkuPriceDetails,CommitmentDiscountId,CommitmentDiscountCategory,CommitmentDiscountType,CommitmentDiscountStatus,CommitmentDiscountName,CommitmentDiscountQuantity,CommitmentDiscountUnit,RegionId,RegionName,ResourceId,ResourceType,SubAccountId,SubAccountName,Tags,x_Team
111,Acme,USD,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,Usage,,VM hours,Usage-Based,2024-01-05T00:00:00Z,2024-01-06T00:00:00Z,12,12,15,12,0.625,0.5,Standard,24,Hours,24,Hours,INV-1,Acme Cloud,Acme Cloud,Acme Cloud,Compute,Virtual Machines,Acme VMs,SKU1,SKU1-P,"{""InstanceType"": ""m1"", ""CoreCount"": 2}",,,,,,,,eu-west-1,EU West,vm-1,Virtual Machine,sub-1,Team A,"{""env"": ""prod""}",platform
111,Acme,USD,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,Purchase,,Savings plan,One-Time,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,1000,0,1000,1000,1000,1000,Standard,1,Plans,,,INV-1,Acme Cloud,Acme Cloud,Acme Cloud,Compute,Virtual Machines,Acme VMs,SKU-SP,SKU-SP-P,,cd-1,Spend,Savings Plan,,SP 1,1000,USD,,,cd-1,Savings Plan,sub-1,Team A,,platform
111,Acme,USD,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,Tax,,VAT,One-Time,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,2.4,2.4,2.4,2.4,,,,,,,,INV-1,Acme Cloud,Acme Cloud,Acme Cloud,Other,Other (Other),Tax,,,,,,,,,,,,,,,sub-1,Team A,,
)";

// The conformant file, to be broken one cell at a time.
struct FocusCsv {
  std::vector<std::vector<std::string>> rows =
      parse_csv(std::string(kConformantCsv));  // rows[0]: header

  // `row` counts data rows from 0.
  void set(size_t row, const std::string& column, const std::string& value) {
    const auto& header = rows[0];
    size_t col = std::find(header.begin(), header.end(), column) - header.begin();
    rows.at(row + 1).at(col) = value;
  }

  fs::path write(const testing::TempDir& dir) const {
    auto field = [](const std::string& v) {
      std::string quoted = "\"";
      for (char ch : v) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      return v.empty() ? std::string() : quoted + "\"";
    };
    std::string text;
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + field(row[i]);
      text += "\n";
    }
    fs::path file = dir / "focus.csv";
    testing::write_file(file, text);
    return file;
  }
};

TEST(ValidationBuiltin, ConformantFocus12FilePassesEveryRule) {
  testing::TempDir dir;
  fs::path file = FocusCsv{}.write(dir);
  Report report = validate_file(file);
  EXPECT_EQ(report.rows, 3);
  EXPECT_EQ(failed_ids(report), std::vector<std::string>{});
  EXPECT_EQ(report.count(Outcome::Error), 0u);

  auto run = run_cli({"validate", "--file", file.string()});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("CONFORMANT"), std::string::npos);
}

struct Breakage {
  std::string what;
  size_t row;
  std::string column, value, expected_rule;
};

TEST(ValidationBuiltin, EachBreakageFailsItsRule) {
  const std::vector<Breakage> cases = {
      {"unknown ChargeCategory", 0, "ChargeCategory", "Usages", "ChargeCategory-C-003-M"},
      {"ChargePeriodEnd before its start", 0, "ChargePeriodEnd", "2024-01-04T00:00:00Z",
       "ChargePeriodEnd-C-004-M"},
      {"Tags not a JSON object", 0, "Tags", R"(["env", "prod"])", "Tags-C-001-M"},
      {"BillingCurrency not ISO 4217", 2, "BillingCurrency", "XYZ", "BillingCurrency-C-006-M"},
      {"PricingCategory null on usage", 0, "PricingCategory", "", "PricingCategory-C-004-C"},
      {"Purchase billed usage-based", 1, "ChargeFrequency", "Usage-Based",
       "ChargeFrequency-C-004-C"},
      {"ConsumedUnit without quantity", 1, "ConsumedUnit", "Hours", "ConsumedUnit-C-005-C"},
      {"ServiceSubcategory of another category", 0, "ServiceSubcategory", "Object Storage",
       "ServiceSubcategory-C-004-M"},
      {"Timestamp without T and Z", 2, "BillingPeriodStart", "2024-01-01 00:00:00",
       "BillingPeriodStart-C-002-M"},
  };
  for (const auto& c : cases) {
    FocusCsv csv;
    csv.set(c.row, c.column, c.value);
    testing::TempDir dir;
    Report report = validate_file(csv.write(dir));
    EXPECT_EQ(failed_ids(report), std::vector<std::string>{c.expected_rule}) << c.what;
    const RuleResult& r = result(report, c.expected_rule);
    EXPECT_EQ(r.violations, 1) << c.what;
    ASSERT_FALSE(r.examples.empty()) << c.what;
    EXPECT_EQ(r.examples[0].row, static_cast<int64_t>(c.row + 1)) << c.what;
    EXPECT_EQ(report.mandatory_failed(), c.expected_rule.ends_with("-M")) << c.what;
  }
}

TEST(ValidationBuiltin, ConditionalFailureIsReportedButExitsZero) {
  FocusCsv csv;
  csv.set(0, "PricingCategory", "");
  testing::TempDir dir;
  auto run = run_cli({"validate", "--file", csv.write(dir).string()});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("FAIL PricingCategory-C-004-C  Conditional  1 of 3 rows"),
            std::string::npos)
      << run.out;
}

TEST(ValidationBuiltin, TypedFocusCostsPassTheDateTimeRules) {
  testing::TempDir dir;
  fs::path file = FocusCsv{}.write(dir);
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  con.execute(focus_costs_ddl());
  sources::read_file_into(con, file, "staged", "test");
  con.execute(
      "INSERT INTO focus_costs BY NAME SELECT * EXCLUDE (x_Team), 'demo' AS x_SourceName, 'focus' "
      "AS x_SourceType, "
      "'load-1' AS x_LoadId, '2024-01' AS x_BillingPeriod FROM staged");
  Report report = validate(con, "focus_costs", builtin_rules());
  EXPECT_EQ(report.rows, 3);
  for (const auto& column : kDateTimeColumns) {
    for (const auto* suffix : {"-C-001-M", "-C-002-M"}) {
      const RuleResult& r = result(report, column + suffix);
      EXPECT_EQ(r.outcome, Outcome::Passed) << column << suffix;
      EXPECT_FALSE(r.row_level) << "a TIMESTAMP column is UTC date/time by type";
    }
  }
  EXPECT_EQ(result(report, "Tags-C-001-M").outcome, Outcome::Passed);
  EXPECT_EQ(result(report, "ColumnHandling-A-010-M").outcome, Outcome::Passed);
  EXPECT_EQ(failed_ids(report), std::vector<std::string>{});
}

TEST(ValidationBuiltin, RuleIdsExistInTheOfficialModel) {
  auto model = nlohmann::json::parse(testing::read_file(kModel));
  for (const auto& rule : builtin_rules().rules) {
    ASSERT_TRUE(model["ModelRules"].contains(rule.id)) << rule.id;
    EXPECT_EQ(model["ModelRules"][rule.id]["ValidationCriteria"]["MustSatisfy"].get<std::string>(),
              rule.must_satisfy)
        << rule.id;
  }
}

// --model ------------------------------------------------------------------------------------

size_t dynamic_rules_in(const nlohmann::json& model) {
  size_t n = 0;
  for (const auto& [id, rule] : model["ModelRules"].items()) n += rule["Type"] == "Dynamic";
  return n;
}

TEST(ValidationModel, SampleFileRunsAgainstModel12) {
  auto model = nlohmann::json::parse(testing::read_file(kModel));
  RuleSet rules = load_model(kModel);
  Report report = validate_file(kSample, rules);
  for (const auto& r : report.results) EXPECT_TRUE(model["ModelRules"].contains(r.id)) << r.id;
  // Every Dynamic rule is skipped but the three billingfoot implements from their sentence.
  EXPECT_EQ(report.dynamic_skipped, dynamic_rules_in(model) - 3);
  EXPECT_EQ(result(report, "ColumnHandling-A-010-M").outcome, Outcome::Failed);
  EXPECT_EQ(result(report, "ChargePeriodStart-C-002-M").outcome, Outcome::Failed);
  EXPECT_EQ(result(report, "CostAndUsage-D-000-M").outcome, Outcome::Failed);
  EXPECT_TRUE(result(report, "CostAndUsage-D-000-M").composite);
  // Commitment discount rules wait for their applicability criterion.
  EXPECT_EQ(result(report, "CommitmentDiscountId-C-001-M").outcome, Outcome::NotApplicable);
  Options all;
  all.all_applicability = true;
  EXPECT_EQ(result(validate_file(kSample, rules, all), "CommitmentDiscountId-C-001-M").outcome,
            Outcome::Passed);
  EXPECT_EQ(report.count(Outcome::Error), 0u);
}

TEST(ValidationModel, BinaryReportsModelRuleIdsAndSkippedDynamicRules) {
  auto model = nlohmann::json::parse(testing::read_file(kModel));
  auto run = run_cli(
      {"validate", "--file", kSample.string(), "--model", kModel.string(), "--format", "json"});
  EXPECT_EQ(run.status, 1) << run.err;
  auto doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["summary"]["skipped_dynamic"].get<size_t>(), dynamic_rules_in(model) - 3);
  EXPECT_EQ(doc["rule_set"], "model-1.2.json (FOCUS 1.2)");
  size_t failed = 0;
  for (const auto& rule : doc["rules"]) {
    EXPECT_TRUE(model["ModelRules"].contains(rule["id"].get<std::string>())) << rule["id"];
    failed += rule["status"] == "failed";
  }
  EXPECT_GT(failed, 0u);

  auto table =
      run_cli({"validate", "--file", kSample.string(), "--model", kModel.string(),
               "--applicability-criteria", "COMMITMENT_DISCOUNT_SUPPORTED,TAGGING_SUPPORTED"});
  EXPECT_EQ(table.status, 1) << table.err;
  EXPECT_NE(table.out.find("Dynamic rules skipped"), std::string::npos) << table.out;
}

TEST(ValidationModel, MalformedOrMissingModelExitsTwoNamingTheFile) {
  testing::TempDir dir;
  fs::path broken = dir / "broken-model.json";
  testing::write_file(broken, "{\"ModelRules\": {");
  auto run = run_cli({"validate", "--file", kSample.string(), "--model", broken.string()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find(broken.string()), std::string::npos) << run.err;

  fs::path not_a_model = dir / "other.json";
  testing::write_file(not_a_model, "{\"hello\": 1}");
  run = run_cli({"validate", "--file", kSample.string(), "--model", not_a_model.string()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find(not_a_model.string()), std::string::npos) << run.err;

  run =
      run_cli({"validate", "--file", kSample.string(), "--model", (dir / "absent.json").string()});
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.err.find("absent.json"), std::string::npos) << run.err;
}

TEST(ValidationModel, DefectiveModelRulesFollowTheirSentence) {
  RuleSet rules = load_model(kModel);
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  con.execute(
      "CREATE TABLE t AS SELECT * FROM (VALUES (NULL, NULL, 'Usage', '1'), (NULL, 'Used', 'Usage', "
      "'abc'), "
      "('cd-1', 'Used', 'Usage', '2'), ('cd-1', NULL, 'Usage', '3')) v(CommitmentDiscountId, "
      "CommitmentDiscountStatus, ChargeCategory, PricingCurrencyEffectiveCost)");
  Options all;
  all.all_applicability = true;
  Report report = validate(con, "t", rules, all);
  // "MUST be null when CommitmentDiscountId is null": only row 2.
  const RuleResult& must_be_null = result(report, "CommitmentDiscountStatus-C-003-C");
  EXPECT_EQ(must_be_null.violations, 1);
  EXPECT_EQ(must_be_null.examples.at(0).row, 2);
  // "MUST NOT be null when CommitmentDiscountId is not null and Charge Category is Usage": row 4.
  EXPECT_EQ(result(report, "CommitmentDiscountStatus-C-004-C").examples.at(0).row, 4);
  EXPECT_EQ(result(report, "CommitmentDiscountStatus-C-005-M").outcome, Outcome::Passed)
      << "Used is allowed";
  // "PricingCurrencyEffectiveCost MUST be a valid decimal value": row 2.
  const RuleResult& decimal = result(report, "PricingCurrencyEffectiveCost-C-004-M");
  EXPECT_EQ(decimal.violations, 1);
  EXPECT_EQ(decimal.examples.at(0).values.at(0).first, "PricingCurrencyEffectiveCost");
}

}  // namespace
}  // namespace billingfoot::focus::validation
