// The demo company's generated bills: deterministic, thirteen months, realistic shapes (growth,
// messy tags) and internally consistent FOCUS costs. Expectations are computed from the
// generated CSV text with the test's own parser. Providers written in their native format
// (AWS: CUR 2.0 Parquet, in demo_aws_test.cpp; Google Cloud: its BigQuery export; Datadog:
// Usage Metering API responses) are checked on their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "app/demo/demo.hpp"
#include "focus/catalogue.hpp"
#include "integration/gcp/gcp_fixture.hpp"
#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace demo = billingfoot::app::demo;

namespace {

const char* kAsOf = "2025-06-15";

demo::DemoCompany generate(uint64_t seed = demo::kDefaultSeed) {
  return demo::generate_demo({seed, demo::parse_day(kAsOf, "as-of")});
}

// One charge as written in a file, looked up by FOCUS column name.
struct Row {
  std::string source;
  const std::map<std::string, size_t>* columns;
  std::vector<std::string> cells;
  const std::string& operator[](const std::string& column) const {
    return cells.at(columns->at(column));
  }
  __int128 money(const std::string& column) const { return bt::parse_decimal_e10((*this)[column]); }
  std::string day() const { return (*this)["ChargePeriodStart"].substr(0, 10); }
};

// Providers the demo still writes as FOCUS CSV (the others use their native export format).
bool is_focus_csv(const demo::ProviderFiles& provider) {
  return !provider.files.empty() && provider.files.front().path.ends_with(".csv");
}

__int128 times(__int128 a_e10, __int128 b_e10) {
  return a_e10 * b_e10 / 10'000'000'000;
}

class DemoCompany : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    company_ = new demo::DemoCompany(generate());
    headers_ = new std::vector<std::map<std::string, size_t>>();
    headers_->reserve(100);
    rows_ = new std::vector<Row>();
    for (const auto& provider : company_->providers) {
      if (!is_focus_csv(provider)) continue;
      for (const auto& file : provider.files) {
        auto table = bt::parse_csv(file.content);
        auto& header = headers_->emplace_back();
        for (size_t i = 0; i < table[0].size(); ++i) header[table[0][i]] = i;
        for (size_t r = 1; r < table.size(); ++r)
          rows_->push_back({provider.source, &header, std::move(table[r])});
      }
    }
  }
  static void TearDownTestSuite() {
    delete rows_;
    delete headers_;
    delete company_;
  }

  static demo::DemoCompany* company_;
  static std::vector<std::map<std::string, size_t>>* headers_;
  static std::vector<Row>* rows_;
};

demo::DemoCompany* DemoCompany::company_ = nullptr;
std::vector<std::map<std::string, size_t>>* DemoCompany::headers_ = nullptr;
std::vector<Row>* DemoCompany::rows_ = nullptr;

}  // namespace

TEST_F(DemoCompany, SameSeedAndDateGiveIdenticalFiles) {
  demo::DemoCompany again = generate();
  ASSERT_EQ(again.providers.size(), company_->providers.size());
  for (size_t p = 0; p < again.providers.size(); ++p) {
    ASSERT_EQ(again.providers[p].files.size(), company_->providers[p].files.size());
    for (size_t f = 0; f < again.providers[p].files.size(); ++f) {
      EXPECT_EQ(again.providers[p].files[f].path, company_->providers[p].files[f].path);
      EXPECT_TRUE(again.providers[p].files[f].content == company_->providers[p].files[f].content)
          << again.providers[p].files[f].path;
    }
  }
  EXPECT_EQ(again.config.content, company_->config.content);
}

TEST_F(DemoCompany, DifferentSeedGivesDifferentFiles) {
  demo::DemoCompany other = generate(demo::kDefaultSeed + 1);
  for (size_t p = 0; p < other.providers.size(); ++p) {
    EXPECT_NE(other.providers[p].files.back().content, company_->providers[p].files.back().content)
        << other.providers[p].source;
  }
}

TEST_F(DemoCompany, HasThirteenMonthsPerProviderEndingWithTheMonthToDate) {
  static const std::regex month(R"(\d{4}-\d{2})");
  for (const auto& provider : company_->providers) {
    std::set<std::string> months;
    for (const auto& f : provider.files) {
      std::smatch m;
      ASSERT_TRUE(std::regex_search(f.path, m, month)) << f.path;
      months.insert(m.str());
    }
    ASSERT_EQ(months.size(), 13u) << provider.source;
    EXPECT_EQ(*months.begin(), "2024-06") << provider.source;
    EXPECT_EQ(*months.rbegin(), "2025-06") << provider.source;
  }
  std::set<std::string> periods;
  std::string last_day;
  for (const auto& r : *rows_) {
    periods.insert(r["BillingPeriodStart"]);
    last_day = std::max(last_day, r["ChargePeriodEnd"]);
    EXPECT_EQ(r["BillingPeriodStart"].substr(0, 7), r.day().substr(0, 7));
  }
  EXPECT_EQ(periods.size(), 13u);
  EXPECT_EQ(last_day, "2025-06-16T00:00:00Z") << "data runs through the as-of day";
  int64_t rows = 0;
  for (const auto& provider : company_->providers) {
    if (!is_focus_csv(provider)) continue;
    for (const auto& f : provider.files) rows += f.rows;
  }
  EXPECT_EQ(rows, static_cast<int64_t>(rows_->size()));
}

TEST_F(DemoCompany, LastFullMonthCostsMoreThanTheFirst) {
  std::map<std::string, __int128> monthly;
  for (const auto& r : *rows_)
    monthly[r["BillingPeriodStart"].substr(0, 7)] += r.money("BilledCost");
  ASSERT_TRUE(monthly.count("2024-06") && monthly.count("2025-05"));
  EXPECT_GT(static_cast<double>(monthly["2025-05"]), 1.2 * static_cast<double>(monthly["2024-06"]));
}

TEST_F(DemoCompany, TagsAreRealisticallyMessy) {
  // Values in another case (PROD, Hosting) show in the AWS export: DemoAwsExport checks them.
  // Here: the FOCUS CSV providers' Tags and Google Cloud's labels.
  int untagged = 0, team = 0, capital_team = 0, owner_team = 0;
  auto count_keys = [&](const std::set<std::string>& keys, bool has_resource) {
    if (has_resource && keys.empty()) ++untagged;
    team += keys.count("team");
    capital_team += keys.count("Team");
    owner_team += keys.count("owner-team");
  };
  for (const auto& r : *rows_) {
    std::set<std::string> keys;
    if (!r["Tags"].empty()) {
      auto tags = nlohmann::json::parse(r["Tags"]);
      for (const auto& [key, value] : tags.items()) keys.insert(key);
    }
    count_keys(keys, !r["ResourceId"].empty());
  }
  for (const auto& provider : company_->providers) {
    if (provider.source != "gcp") continue;
    for (const auto& file : provider.files) {
      std::istringstream in(file.content);
      for (std::string line; std::getline(in, line);) {
        auto row = nlohmann::json::parse(line);
        std::set<std::string> keys;
        for (const auto& label : row["labels"]) keys.insert(label["key"].get<std::string>());
        bool has_resource = row.contains("resource") && row["resource"].is_object() &&
                            !row["resource"].value("global_name", "").empty();
        count_keys(keys, has_resource);
      }
    }
  }
  EXPECT_GT(untagged, 0);
  EXPECT_GT(capital_team, 0);
  EXPECT_GT(owner_team, 0);
  EXPECT_GT(team, capital_team + owner_team) << "most resources use the canonical key";
}

TEST_F(DemoCompany, CostsFollowFromUnitPricesAndQuantities) {
  for (const auto& r : *rows_) {
    const std::string& category = r["ChargeCategory"];
    if (category == "Usage" || category == "Purchase") {
      ASSERT_FALSE(r["PricingQuantity"].empty()) << r["ChargeDescription"];
      __int128 quantity = r.money("PricingQuantity");
      ASSERT_EQ(times(r.money("ListUnitPrice"), quantity), r.money("ListCost"))
          << r["ChargeDescription"];
      ASSERT_EQ(times(r.money("ContractedUnitPrice"), quantity), r.money("ContractedCost"))
          << r["ChargeDescription"];
      ASSERT_GE(r.money("ListCost"), r.money("ContractedCost"));
      if (category == "Usage") {
        ASSERT_GE(r.money("ContractedCost"), r.money("EffectiveCost"));
      }
      ASSERT_FALSE(r["SkuId"].empty());
      ASSERT_FALSE(r["SkuPriceId"].empty());
      ASSERT_FALSE(r["PricingCategory"].empty());
    } else if (category == "Tax") {
      for (const char* empty : {"PricingCategory", "PricingQuantity", "PricingUnit", "SkuId",
                                "SkuPriceId", "ListUnitPrice", "ContractedUnitPrice"}) {
        ASSERT_EQ(r[empty], "") << empty;
      }
    } else {
      ASSERT_EQ(category, "Credit");
      ASSERT_LT(r.money("BilledCost"), 0);
    }
    if (r["PricingCategory"] != "Committed" && category != "Purchase") {
      ASSERT_EQ(r.money("BilledCost"), r.money("EffectiveCost"));
    }
  }
}

TEST_F(DemoCompany, ChargesHaveValidFocusValuesAndOnlyFocusOrCustomColumns) {
  const auto& categories = billingfoot::focus::service_categories();
  auto valid_pair = [&](const std::string& category, const std::string& sub) {
    for (const auto& c : categories) {
      if (c.name != category) continue;
      if (sub == "Other (" + category + ")") return true;
      return std::find(c.subcategories.begin(), c.subcategories.end(), sub) !=
             c.subcategories.end();
    }
    return false;
  };
  std::map<std::string, std::string> category_of_service;
  std::set<std::string> seen;
  for (const auto& r : *rows_) {
    std::string pair = r["ServiceCategory"] + " / " + r["ServiceSubcategory"];
    if (seen.insert(r["ServiceName"] + ": " + pair).second) {
      EXPECT_TRUE(valid_pair(r["ServiceCategory"], r["ServiceSubcategory"]))
          << r["ServiceName"] << ": " << pair;
      auto [it, added] = category_of_service.emplace(r["ServiceName"], pair);
      EXPECT_EQ(it->second, pair) << "one category per ServiceName: " << r["ServiceName"];
    }
  }
  // Azure's services (the other providers' are categorized by their connectors).
  EXPECT_GE(category_of_service.size(), 4u);
  for (const auto& header : *headers_) {
    for (const auto& [name, index] : header) {
      EXPECT_TRUE(billingfoot::focus::find_column(name) || name.starts_with("x_")) << name;
    }
  }
}

TEST_F(DemoCompany, WritingTheSameFilesAgainLeavesThemUntouched) {
  bt::TempDir dir;
  demo::WriteSummary first = demo::write_demo(dir.path(), *company_);
  EXPECT_EQ(first.unchanged, 0);
  auto file = dir / company_->providers[0].files[0].path;
  auto written_at = std::filesystem::last_write_time(file);
  demo::WriteSummary second = demo::write_demo(dir.path(), *company_);
  EXPECT_EQ(second.written, 0);
  EXPECT_EQ(second.unchanged, first.written);
  EXPECT_EQ(std::filesystem::last_write_time(file), written_at);
}

TEST_F(DemoCompany, GoogleCloudIsABigQueryBillingExportOfTheDataPlatform) {
  const demo::ProviderFiles* gcp = nullptr;
  for (const auto& p : company_->providers) {
    if (p.source == "gcp") gcp = &p;
  }
  ASSERT_NE(gcp, nullptr);
  std::set<std::string> services, credit_types;
  int64_t rows = 0;
  for (const auto& file : gcp->files) {
    ASSERT_TRUE(file.path.ends_with(".jsonl")) << file.path;
    std::string month = file.path.substr(file.path.size() - 13, 7);  // …-YYYY-MM.jsonl
    auto totals = billingfoot::testing::gcp::invoice_totals(file.content);
    ASSERT_EQ(totals.size(), 1u) << file.path << ": one invoice month per file";
    EXPECT_EQ(totals.begin()->first, month);
    EXPECT_LT(totals.begin()->second.credits_e10, 0) << "credits are negative";
    size_t start = 0;
    while (start < file.content.size()) {
      size_t end = file.content.find('\n', start);
      auto row = nlohmann::json::parse(file.content.substr(start, end - start));
      start = end + 1;
      ++rows;
      services.insert(row["service"]["description"].get<std::string>());
      ASSERT_TRUE(row["labels"].is_array() && row["credits"].is_array() &&
                  row["project"]["labels"].is_array());
      for (const auto& c : row["credits"]) credit_types.insert(c["type"].get<std::string>());
      ASSERT_EQ(row["usage_start_time"].get<std::string>().substr(0, 7), month);
    }
    EXPECT_EQ(file.rows, totals.begin()->second.rows);
  }
  EXPECT_EQ(rows, [&] {
    int64_t n = 0;
    for (const auto& f : gcp->files) n += f.rows;
    return n;
  }());
  for (const char* s : {"BigQuery", "Dataflow", "Cloud Composer", "Cloud Storage", "Vertex AI"}) {
    EXPECT_TRUE(services.count(s)) << s;
  }
  EXPECT_EQ(credit_types, (std::set<std::string>{"PROMOTION", "SUSTAINED_USAGE_DISCOUNT"}));
}

// Datadog ships Usage Metering API responses as landed by `type: datadog_usage`: per month a
// cost response (final once Datadog closes the month on the 16th, estimated before), the current
// month's projection, and hourly usage pages chained by next_record_id.
TEST_F(DemoCompany, DatadogShipsLandedUsageMeteringResponses) {
  const demo::ProviderFiles* datadog = nullptr;
  for (const auto& p : company_->providers) datadog = p.source == "datadog" ? &p : datadog;
  ASSERT_NE(datadog, nullptr);
  std::map<std::string, std::set<std::string>> names;  // month → file names
  std::map<std::string, std::vector<nlohmann::json>> pages;
  for (const auto& f : datadog->files) {
    auto slash = f.path.rfind('/');
    std::string month = f.path.substr(slash - 7, 7);
    std::string name = f.path.substr(slash + 1);
    names[month].insert(name);
    auto body = nlohmann::json::parse(f.content);
    if (name.starts_with("hourly_usage-")) pages[month].push_back(body);
    if (name.ends_with("_cost.json")) {
      // Per product: committed + on_demand = total; the response total is the sum of the totals.
      std::map<std::string, __int128> parts, totals;
      __int128 sum_of_totals = 0;
      for (const auto& c : body["data"][0]["attributes"]["charges"]) {
        __int128 cost = bt::parse_decimal_e10(c["cost"].dump());
        (c["charge_type"] == "total" ? totals : parts)[c["product_name"]] += cost;
        if (c["charge_type"] == "total") sum_of_totals += cost;
      }
      for (const auto& [product, total] : totals) EXPECT_EQ(bt::format_e10(parts[product]), bt::format_e10(total)) << product;
      std::string key = name == "projected_cost.json" ? "projected_total_cost" : "total_cost";
      EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(body["data"][0]["attributes"][key].dump())), bt::format_e10(sum_of_totals));
      EXPECT_GT(totals.size(), 4u);
    }
  }
  ASSERT_EQ(names.size(), 13u);
  for (const auto& [month, files] : names) {
    bool closed = month <= "2025-04";  // as of 2025-06-15, May is not closed before the 16th
    EXPECT_EQ(files.count("historical_cost.json"), closed ? 1u : 0u) << month;
    EXPECT_EQ(files.count("estimated_cost.json"), closed ? 0u : 1u) << month;
    EXPECT_EQ(files.count("projected_cost.json"), month == "2025-06" ? 1u : 0u) << month;
    ASSERT_FALSE(pages[month].empty()) << month;
    for (size_t i = 0; i < pages[month].size(); ++i) {
      bool last = i + 1 == pages[month].size();
      EXPECT_EQ(pages[month][i]["meta"]["pagination"]["next_record_id"].is_null(), last) << month << " page " << i;
    }
  }
}
