#include "lake/hive_path.hpp"

#include <gtest/gtest.h>

namespace billingfoot::lake {

TEST(HivePath, EscapesWhatHiveEscapesPlusSpaceAndKeepsUtf8) {
  EXPECT_EQ(hive_escape(std::string("AWS")), "AWS");
  EXPECT_EQ(hive_escape(std::string("Acme Cloud/EU=1")), "Acme%20Cloud%2FEU%3D1");
  EXPECT_EQ(hive_escape(std::string("100%:#?*")), "100%25%3A%23%3F%2A");
  EXPECT_EQ(hive_escape(std::string("a\nb")), "a%0Ab");
  EXPECT_EQ(hive_escape(std::string("Zürich-Cloud_1.0")), "Zürich-Cloud_1.0");
}

TEST(HivePath, NullAndEmptyAreTheDefaultPartition) {
  EXPECT_EQ(hive_escape(std::nullopt), "__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(hive_escape(std::string()), "__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(hive_unescape("__HIVE_DEFAULT_PARTITION__"), std::nullopt);
}

TEST(HivePath, PartitionFolderRoundTrips) {
  PartitionKey key{std::string("Acme Cloud/EU=1 100%"), "2024-10"};
  EXPECT_EQ(key.dir(), "provider=Acme%20Cloud%2FEU%3D1%20100%25/billing_period=2024-10");
  auto back = parse_partition_dir(key.dir());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->provider, key.provider);
  EXPECT_EQ(back->billing_period, "2024-10");
  EXPECT_FALSE(parse_partition_dir("provider=AWS/billing_period=2024-9"));
  EXPECT_FALSE(parse_partition_dir("provider=AWS"));
  EXPECT_FALSE(parse_partition_dir("team=x/billing_period=2024-09"));
}

}  // namespace billingfoot::lake
