// Which files make up each month of an AWS export, and how CUR columns are named.
#include <gtest/gtest.h>

#include <map>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "focus/catalogue.hpp"
#include "sources/aws/cur_input.hpp"
#include "sources/aws/deliveries.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::sources::aws {
namespace {

StoredObject obj(std::string key, std::string modified, std::string etag = "e") {
  return {std::move(key), 100, std::move(etag), std::move(modified)};
}

struct Listing {
  std::vector<StoredObject> objects;
  std::map<std::string, std::string> texts;
  void add(std::string key, std::string modified, std::string text = "") {
    if (!text.empty()) texts[key] = text;
    objects.push_back(obj(std::move(key), std::move(modified)));
  }
  std::vector<Delivery> deliveries() {
    std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return find_deliveries(objects, [this](const std::string& k) { return texts.at(k); });
  }
};

std::vector<std::string> keys(const Delivery& d) {
  std::vector<std::string> out;
  for (const auto& f : d.files) out.push_back(f.key);
  return out;
}

std::string manifest(const std::vector<std::string>& files) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "\"" : ", \"") + f + "\"";
  return "{\"executionId\": \"x\", \"dataFiles\": [" + list + "]}";
}

TEST(AwsDeliveries, NewestManifestOfCreateNewVersionExportWins) {
  Listing l;
  for (int v = 1; v <= 3; ++v) {
    std::string id = "2025030" + std::to_string(v);
    std::string t = "2025-03-0" + std::to_string(v) + "T10:00:00Z";
    l.add("data/BILLING_PERIOD=2025-03/" + id + "/cur-00001.snappy.parquet", t);
    l.add("data/BILLING_PERIOD=2025-03/" + id + "/cur-00002.snappy.parquet", t);
    l.add("metadata/BILLING_PERIOD=2025-03/" + id + "/cur-Manifest.json", t,
          manifest({"s3://bucket/exports/cur/data/BILLING_PERIOD=2025-03/" + id + "/cur-00001.snappy.parquet",
                    "s3://bucket/exports/cur/data/BILLING_PERIOD=2025-03/" + id + "/cur-00002.snappy.parquet"}));
  }
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].billing_period, "2025-03");
  EXPECT_EQ(ds[0].layout, "data-exports");
  EXPECT_EQ(ds[0].manifest, "metadata/BILLING_PERIOD=2025-03/20250303/cur-Manifest.json");
  EXPECT_EQ(keys(ds[0]), (std::vector<std::string>{"data/BILLING_PERIOD=2025-03/20250303/cur-00001.snappy.parquet",
                                                   "data/BILLING_PERIOD=2025-03/20250303/cur-00002.snappy.parquet"}));
  EXPECT_TRUE(ds[0].note.empty());
}

TEST(AwsDeliveries, FingerprintChangesWithAnyFileOfTheDelivery) {
  Listing a;
  a.add("data/BILLING_PERIOD=2025-03/cur-00001.csv.gz", "2025-03-02T00:00:00Z");
  Listing b = a;
  b.objects[0].etag = "other";
  EXPECT_NE(a.deliveries()[0].fingerprint, b.deliveries()[0].fingerprint);
  EXPECT_EQ(a.deliveries()[0].fingerprint, a.deliveries()[0].fingerprint);
}

TEST(AwsDeliveries, WithoutManifestOnlyTheNewestDeliveryFolderCounts) {
  Listing l;
  l.add("data/billing_period=2025-04/run-a/cur-00001.csv.gz", "2025-04-02T00:00:00Z");
  l.add("data/billing_period=2025-04/run-b/cur-00001.csv.gz", "2025-04-03T00:00:00Z");
  l.add("data/billing_period=2025-04/run-b/cur-00002.csv.gz", "2025-04-03T00:00:01Z");
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].billing_period, "2025-04");
  EXPECT_EQ(keys(ds[0]), (std::vector<std::string>{"data/billing_period=2025-04/run-b/cur-00001.csv.gz",
                                                   "data/billing_period=2025-04/run-b/cur-00002.csv.gz"}));
  EXPECT_NE(ds[0].note.find("no manifest"), std::string::npos) << ds[0].note;
  EXPECT_TRUE(ds[0].manifest.empty());
}

TEST(AwsDeliveries, OverwriteModeTakesTheWholePartition) {
  Listing l;
  l.add("data/BILLING_PERIOD=2025-01/cur-00001.snappy.parquet", "2025-02-10T00:00:00Z");
  l.add("data/BILLING_PERIOD=2025-01/cur-00002.snappy.parquet", "2025-02-10T00:00:00Z");
  l.add("data/BILLING_PERIOD=2025-02/cur-00001.snappy.parquet", "2025-02-11T00:00:00Z");
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].files.size(), 2u);
  EXPECT_EQ(ds[1].billing_period, "2025-02");
}

TEST(AwsDeliveries, ManifestNamingAMissingFileFallsBackToListingAndSaysSo) {
  Listing l;
  l.add("data/BILLING_PERIOD=2025-03/cur-00001.csv.gz", "2025-03-02T00:00:00Z");
  l.add("metadata/BILLING_PERIOD=2025-03/cur-Manifest.json", "2025-03-02T00:00:00Z",
        manifest({"data/BILLING_PERIOD=2025-03/cur-00009.csv.gz"}));
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(keys(ds[0]), std::vector<std::string>{"data/BILLING_PERIOD=2025-03/cur-00001.csv.gz"});
  EXPECT_NE(ds[0].note.find("cur-00009.csv.gz"), std::string::npos) << ds[0].note;
  EXPECT_NE(ds[0].note.find("listed the data folder"), std::string::npos) << ds[0].note;
}

TEST(AwsDeliveries, MalformedManifestFallsBackToListing) {
  Listing l;
  l.add("data/BILLING_PERIOD=2025-03/cur-00001.csv.gz", "2025-03-02T00:00:00Z");
  l.add("metadata/BILLING_PERIOD=2025-03/cur-Manifest.json", "2025-03-02T00:00:00Z", "{\"dataFiles\": [");
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].files.size(), 1u);
  EXPECT_NE(ds[0].note.find("not valid JSON"), std::string::npos) << ds[0].note;
}

TEST(AwsDeliveries, LegacyCurFollowsTheDateRangeManifestToItsAssembly) {
  Listing l;
  l.add("rep/20231101-20231201/asm-old/rep-1.csv.gz", "2023-11-05T00:00:00Z");
  l.add("rep/20231101-20231201/asm-old/rep-Manifest.json", "2023-11-05T00:00:00Z",
        "{\"reportKeys\": [\"pre/rep/20231101-20231201/asm-old/rep-1.csv.gz\"]}");
  l.add("rep/20231101-20231201/asm-new/rep-1.csv.zip", "2023-11-06T00:00:00Z");
  l.add("rep/20231101-20231201/asm-new/rep-2.csv.zip", "2023-11-06T00:00:00Z");
  l.add("rep/20231101-20231201/rep-Manifest.json", "2023-11-06T00:00:00Z",
        "{\"assemblyId\": \"asm-new\", \"reportKeys\": [\"pre/rep/20231101-20231201/asm-new/rep-1.csv.zip\", "
        "\"pre/rep/20231101-20231201/asm-new/rep-2.csv.zip\"]}");
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].billing_period, "2023-11");
  EXPECT_EQ(ds[0].layout, "legacy-cur");
  EXPECT_EQ(ds[0].manifest, "rep/20231101-20231201/rep-Manifest.json");
  EXPECT_EQ(keys(ds[0]), (std::vector<std::string>{"rep/20231101-20231201/asm-new/rep-1.csv.zip",
                                                   "rep/20231101-20231201/asm-new/rep-2.csv.zip"}));
}

TEST(AwsDeliveries, LegacyOverwriteLayoutUsesYearAndMonthFolders) {
  Listing l;
  l.add("rep/rep/year=2024/month=7/rep-00001.snappy.parquet", "2024-07-03T00:00:00Z");
  auto ds = l.deliveries();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].billing_period, "2024-07");
}

TEST(AwsDeliveries, TwoExportsForOneMonthAreAnError) {
  Listing l;
  l.add("new/data/BILLING_PERIOD=2023-11/cur-00001.csv.gz", "2023-11-02T00:00:00Z");
  l.add("old/20231101-20231201/asm/rep-1.csv.gz", "2023-11-02T00:00:00Z");
  EXPECT_THROW(l.deliveries(), InputError);
}

TEST(AwsDeliveries, ManifestFilesAcceptsSeveralShapes) {
  EXPECT_EQ(manifest_files("{\"dataFiles\": [\"a.parquet\"]}"), std::vector<std::string>{"a.parquet"});
  EXPECT_EQ(manifest_files("{\"dataFiles\": [{\"key\": \"k/a.csv.gz\"}]}"), std::vector<std::string>{"k/a.csv.gz"});
  EXPECT_EQ(manifest_files("{\"other\": {\"files\": [\"x/1.csv.zip\", \"x/2.csv.zip\"]}, \"columns\": [\"a\"]}"),
            (std::vector<std::string>{"x/1.csv.zip", "x/2.csv.zip"}));
  EXPECT_THROW(manifest_files("[1, 2"), InputError);
}

TEST(AwsCurColumns, LegacyHeadersBecomeCur2Names) {
  EXPECT_EQ(cur_column_name("lineItem/UnblendedCost"), "line_item_unblended_cost");
  EXPECT_EQ(cur_column_name("bill/PayerAccountId"), "bill_payer_account_id");
  EXPECT_EQ(cur_column_name("savingsPlan/SavingsPlanARN"), "savings_plan_savings_plan_arn");
  EXPECT_EQ(cur_column_name("reservation/ReservationARN"), "reservation_reservation_arn");
  EXPECT_EQ(cur_column_name("reservation_reservation_a_r_n"), "reservation_reservation_arn");
  EXPECT_EQ(cur_column_name("pricing/publicOnDemandCost"), "pricing_public_on_demand_cost");
  EXPECT_EQ(cur_column_name("product/regionCode"), "product_region_code");
  EXPECT_EQ(cur_column_name("product/servicecode"), "product_servicecode");
  EXPECT_EQ(cur_column_name("Line_Item_Unblended_Cost"), "line_item_unblended_cost");
}

TEST(AwsCurColumns, MissingRequiredColumnNamesFileAndColumn) {
  std::vector<std::pair<std::string, std::string>> cols = {{"line_item_unblended_cost", "VARCHAR"}};
  try {
    cur_input_select(cols, "raw", "/x/cur-00001.csv.gz", "aws");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("/x/cur-00001.csv.gz"), std::string::npos) << m;
    EXPECT_NE(m.find("bill_billing_period_start_date"), std::string::npos) << m;
  }
}

TEST(AwsCurColumns, InputListComesFromTheMappingSql) {
  const auto& cols = cur_input_columns();
  ASSERT_GT(cols.size(), 30u);
  int required = 0;
  for (const auto& c : cols) required += c.required;
  EXPECT_EQ(required, 10);
}

TEST(AwsServiceCategories, EveryPairIsAValidFocusCategoryAndSubcategory) {
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  con.execute(std::string(common::embedded_resource("sources/aws/service_categories.sql")));
  auto rows = con.query("SELECT product_code, category, subcategory FROM aws_service_categories");
  ASSERT_GT(rows.row_count(), 100u);
  for (size_t i = 0; i < rows.row_count(); ++i) {
    const focus::ServiceCategory* found = nullptr;
    for (const auto& c : focus::service_categories()) {
      if (c.name == rows.text(i, 1)) found = &c;
    }
    ASSERT_NE(found, nullptr) << rows.text(i, 0) << ": " << rows.text(i, 1);
    bool sub = rows.text(i, 2) == "Other (" + rows.text(i, 1) + ")";
    for (auto s : found->subcategories) sub = sub || s == rows.text(i, 2);
    EXPECT_TRUE(sub) << rows.text(i, 0) << ": " << rows.text(i, 2) << " is not a subcategory of " << rows.text(i, 1);
  }
}

}  // namespace
}  // namespace billingfoot::sources::aws
