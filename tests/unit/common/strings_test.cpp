#include "common/strings.hpp"

#include <gtest/gtest.h>

using namespace billingfoot::common;

TEST(Strings, QuoteIdentDoublesEmbeddedQuotes) { EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\""); }

TEST(Strings, QuoteLiteralDoublesEmbeddedQuotes) { EXPECT_EQ(quote_literal("it's"), "'it''s'"); }

TEST(Strings, RenderTemplateReplacesPlaceholdersAndRejectsUnknownOnes) {
  EXPECT_EQ(render_template("SELECT {{ a }} FROM {{b}}", {{"a", "x"}, {"b", "t"}}), "SELECT x FROM t");
  EXPECT_THROW(render_template("{{c}}", {{"a", "x"}}), std::invalid_argument);
}

TEST(Strings, SplitKeepsEmptyParts) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
}
