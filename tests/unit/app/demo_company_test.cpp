// The demo company's generated bills: deterministic, thirteen months, realistic shapes (growth,
// weekends, an incident, a new service, messy tags) and internally consistent FOCUS costs.
// Expectations are computed from the generated CSV text with the test's own parser.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <map>
#include <set>

#include "app/demo/demo.hpp"
#include "focus/catalogue.hpp"
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

bool is_weekend(const std::string& day) {
  auto weekday = std::chrono::weekday(demo::parse_day(day, "day")).c_encoding();
  return weekday == 0 || weekday == 6;
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
      for (const auto& file : provider.files) {
        if (!file.path.ends_with(".csv")) continue;  // Datadog ships API responses (JSON)
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

  // Σ `cost` per day of the rows matching `pick`.
  static std::map<std::string, __int128> daily(const std::function<bool(const Row&)>& pick,
                                               const std::string& cost = "BilledCost") {
    std::map<std::string, __int128> out;
    for (const auto& r : *rows_) {
      if (pick(r)) out[r.day()] += r.money(cost);
    }
    return out;
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
    for (const auto& f : provider.files) rows += f.path.ends_with(".csv") ? f.rows : 0;
  }
  EXPECT_EQ(rows, static_cast<int64_t>(rows_->size()));
  EXPECT_GT(rows, 80'000);
  EXPECT_LT(rows, 300'000);
}

TEST_F(DemoCompany, UsageDrivenServicesCostLessOnWeekends) {
  auto cdn = daily([](const Row& r) { return r["ServiceName"] == "Amazon CloudFront"; });
  double weekday = 0, weekend = 0;
  int weekdays = 0, weekends = 0;
  for (const auto& [day, cost] : cdn) {
    (is_weekend(day) ? weekend : weekday) += static_cast<double>(cost);
    ++(is_weekend(day) ? weekends : weekdays);
  }
  ASSERT_GT(weekends, 100);
  EXPECT_GT(weekday / weekdays, 1.2 * (weekend / weekends));
}

TEST_F(DemoCompany, LastFullMonthCostsMoreThanTheFirst) {
  std::map<std::string, __int128> monthly;
  for (const auto& r : *rows_)
    monthly[r["BillingPeriodStart"].substr(0, 7)] += r.money("BilledCost");
  ASSERT_TRUE(monthly.count("2024-06") && monthly.count("2025-05"));
  EXPECT_GT(static_cast<double>(monthly["2025-05"]), 1.2 * static_cast<double>(monthly["2024-06"]));
}

TEST_F(DemoCompany, AnIncidentShowsAsAFewDaysOfSpike) {
  auto shop = daily(
      [](const Row& r) {
        return r["ServiceName"] == "Amazon Elastic Compute Cloud" &&
               r["SubAccountName"] == "nimbus-shop-prod";
      },
      "EffectiveCost");
  std::vector<__int128> costs;
  for (const auto& [day, cost] : shop) costs.push_back(cost);
  // A spike day costs more than twice the median of the two weeks around it.
  int spike_days = 0;
  for (size_t i = 7; i + 7 < costs.size(); ++i) {
    std::vector<__int128> window(costs.begin() + static_cast<long>(i) - 7,
                                 costs.begin() + static_cast<long>(i) + 8);
    std::nth_element(window.begin(), window.begin() + 7, window.end());
    spike_days += costs[i] > 2 * window[7];
  }
  EXPECT_GE(spike_days, 2);
  EXPECT_LE(spike_days, 6);
}

TEST_F(DemoCompany, ANewServiceAppearsMidHistory) {
  std::string first;
  for (const auto& r : *rows_) {
    if (r["ServiceName"] == "Amazon Bedrock" && (first.empty() || r.day() < first)) first = r.day();
  }
  EXPECT_GT(first, "2024-09-01");
  EXPECT_LT(first, "2025-03-01");
}

TEST_F(DemoCompany, TagsAreRealisticallyMessy) {
  int untagged = 0, team = 0, capital_team = 0, owner_team = 0, other_case = 0;
  for (const auto& r : *rows_) {
    const std::string& tags = r["Tags"];
    if (!r["ResourceId"].empty() && tags.empty()) ++untagged;
    team += tags.find("\"team\":") != std::string::npos;
    capital_team += tags.find("\"Team\":") != std::string::npos;
    owner_team += tags.find("\"owner-team\":") != std::string::npos;
    other_case += tags.find("\"PROD\"") != std::string::npos ||
                  tags.find("\"Hosting\"") != std::string::npos ||
                  tags.find("\"Storefront\"") != std::string::npos ||
                  tags.find("\"Shop-builder\"") != std::string::npos;
  }
  EXPECT_GT(untagged, 0);
  EXPECT_GT(capital_team, 0);
  EXPECT_GT(owner_team, 0);
  EXPECT_GT(other_case, 0);
  EXPECT_GT(team, capital_team + owner_team) << "most resources use the canonical key";
}

TEST_F(DemoCompany, SavingsPlanPurchaseIsAmortizedOverCoveredAndUnusedUsageEachMonth) {
  std::map<std::string, __int128> purchased, amortized;
  int used = 0, unused = 0;
  for (const auto& r : *rows_) {
    if (r["CommitmentDiscountId"].empty()) continue;
    std::string month = r["BillingPeriodStart"].substr(0, 7);
    if (r["ChargeCategory"] == "Purchase") {
      EXPECT_EQ(r["ChargeFrequency"], "Recurring");
      EXPECT_EQ(r["PricingCategory"], "Standard");
      EXPECT_EQ(r.money("EffectiveCost"), 0);
      EXPECT_EQ(r["ResourceId"], r["CommitmentDiscountId"]);
      purchased[month] += r.money("BilledCost");
      continue;
    }
    ASSERT_EQ(r["ChargeCategory"], "Usage");
    EXPECT_EQ(r["PricingCategory"], "Committed");
    EXPECT_EQ(r.money("BilledCost"), 0);
    if (r["CommitmentDiscountStatus"] == "Used") {
      ++used;
      EXPECT_LT(r.money("EffectiveCost"), r.money("ContractedCost"));
      EXPECT_LE(r.money("ContractedCost"), r.money("ListCost"));
    } else {
      ++unused;
      EXPECT_EQ(r["CommitmentDiscountStatus"], "Unused");
      EXPECT_EQ(r["ResourceId"], r["CommitmentDiscountId"]);
      EXPECT_EQ(r["ConsumedQuantity"], "");
    }
    amortized[month] += r.money("EffectiveCost");
  }
  EXPECT_GT(used, 1000);
  EXPECT_GT(unused, 0);
  ASSERT_EQ(purchased.size(), 13u);
  for (const auto& [month, billed] : purchased) {
    EXPECT_EQ(bt::format_e10(amortized[month]), bt::format_e10(billed)) << month;
  }
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
  EXPECT_GE(category_of_service.size(), 20u);
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
