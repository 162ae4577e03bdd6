#include "app/output.hpp"

#include <gtest/gtest.h>

using billingfoot::app::format_money;

TEST(FormatMoney, RoundsHalfAwayFromZeroAtTheCent) {
  EXPECT_EQ(format_money("1234567.8950000000"), "1,234,567.90");
  EXPECT_EQ(format_money("-0.0050000000"), "-0.01");
  EXPECT_EQ(format_money("0.0049999999"), "0.00");
  EXPECT_EQ(format_money("999.9950"), "1,000.00");
  EXPECT_EQ(format_money("-0.0010"), "0.00");
  EXPECT_EQ(format_money("12"), "12.00");
}
