// bf_clean_text, the C++ function behind bf_text that cleans every delivered text value: it
// must give exactly what nullif(trim(text), '') gives in DuckDB, for every character.
#include <gtest/gtest.h>

#include "common/strings.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {
namespace {

TEST(CleanText, AgreesWithDuckDbTrimForEveryCharacterAtEitherEndAndAlone) {
  auto db = Database::open(":memory:");
  auto con = db.connect();
  // Every code point of the Basic Multilingual Plane but the surrogates, and a few beyond it:
  // alone, doubled, around text, and inside text.
  con.execute(R"SQL(
    CREATE TABLE t AS
    SELECT c, s FROM (
      SELECT CAST(range AS INTEGER) AS c FROM range(1, 65536) WHERE range < 55296 OR range > 57343
      UNION ALL SELECT * FROM (VALUES (65279), (128512), (917536))
    ), LATERAL (SELECT unnest([chr(c), chr(c) || chr(c), chr(c) || 'x' || chr(c), 'a' || chr(c) || 'b',
                                ' ' || chr(c) || ' ', chr(c) || ' x ' || chr(12288) || chr(c)]) AS s)
  )SQL");
  auto r = con.query(
      "SELECT count(*), count(*) FILTER (WHERE bf_clean_text(s) IS DISTINCT FROM nullif(trim(s), '')), "
      "string_agg(DISTINCT CAST(c AS VARCHAR), ',') FILTER (WHERE bf_clean_text(s) IS DISTINCT FROM "
      "nullif(trim(s), '')) FROM t");
  EXPECT_GT(r.int64(0, 0), 6 * 63000);
  EXPECT_EQ(r.int64(0, 1), 0) << "code points that differ: " << r.text(0, 2);
  auto n = con.query("SELECT bf_clean_text(NULL) IS NULL, bf_clean_text('') IS NULL, bf_clean_text(' \u3000 ') IS NULL, "
                     "bf_clean_text('\tkeeps tabs\t')");
  EXPECT_EQ(n.text(0, 0), "true");
  EXPECT_EQ(n.text(0, 1), "true");
  EXPECT_EQ(n.text(0, 2), "true");
  EXPECT_EQ(n.text(0, 3), "\tkeeps tabs\t");
}

TEST(CleanText, TrimUnicodeSpacesKeepsWhatIsInside) {
  EXPECT_EQ(common::trim_unicode_spaces("  a b  "), "a b");
  EXPECT_EQ(common::trim_unicode_spaces("\xC2\xA0x\xE3\x80\x80"), "x");  // no-break and ideographic space
  EXPECT_EQ(common::trim_unicode_spaces("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");  // zero-width space is no space
  EXPECT_EQ(common::trim_unicode_spaces("\xE2\x80\x80"), "");
  EXPECT_EQ(common::trim_unicode_spaces("\ty\n"), "\ty\n");
}

}  // namespace
}  // namespace billingfoot::warehouse
