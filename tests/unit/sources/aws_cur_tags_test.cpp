// The C++ functions behind a CUR row's Tags and Name tag (sources/aws/cur_tags.cpp), checked
// against what they must write and against the same rules spelled out in DuckDB SQL here
// (list functions and to_json), row by row over maps built to hit every rule.
#include <gtest/gtest.h>

#include "sources/aws/cur_tags.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::sources::aws {
namespace {

using Entries = warehouse::Connection::MapEntries;

std::string json(const Entries& e) {
  std::string out;
  return cur_tags_json(e, out) ? out : "<null>";
}

std::string name(const Entries& e) {
  std::string out;
  return cur_name_tag(e, out) ? out : "<null>";
}

TEST(AwsCurTags, PrefixesAreRewrittenAndEmptyValuesDropped) {
  Entries e = {{"user:team", "web"},   {"user_env", "prod"},         {"aws_createdBy", "IAMUser:alice"},
               {"cost-center", "42"},  {"user_empty", ""},           {"user_blank", "  "},
               {"user_null", std::nullopt}, {"aws:cloudformation:stack-name", "api"}};
  EXPECT_EQ(json(e), R"({"team":"web","env":"prod","aws:createdBy":"IAMUser:alice","cost-center":"42",)"
                     R"("aws:cloudformation:stack-name":"api"})");
  EXPECT_EQ(json({{"user_empty", ""}, {"user_null", std::nullopt}}), "<null>");
  EXPECT_EQ(json({}), "<null>");
}

TEST(AwsCurTags, StringsAreEscapedAsJson) {
  EXPECT_EQ(json({{"user:quote\"d", "back\\slash"}, {"k", "line\nbreak\ttab\x01"}}),
            R"({"quote\"d":"back\\slash","k":"line\nbreak\ttab\u0001"})");
  EXPECT_EQ(json({{"user:naïve", "żółw 🐢"}}), R"({"naïve":"żółw 🐢"})");
}

TEST(AwsCurTags, NameTagIsTheFirstNameKeptAfterThePrefix) {
  EXPECT_EQ(name({{"user_team", "web"}, {"user_Name", "web-1"}, {"Name", "other"}}), "web-1");
  EXPECT_EQ(name({{"user:Name", " "}, {"Name", "plain"}}), "plain");  // a blank Name is no Name
  EXPECT_EQ(name({{"aws_Name", "x"}, {"name", "lower"}}), "<null>");
  EXPECT_EQ(name({{"user:Name", " padded "}}), " padded ");  // kept as delivered
}

// The rules in SQL: the entries kept and renamed by list functions, written by to_json.
constexpr const char* kReference = R"SQL(
WITH e AS (
  SELECT id, m, list_transform(
    list_filter(map_entries(m), x -> nullif(trim(x.value), '') IS NOT NULL),
    x -> {'key': CASE WHEN x.key LIKE 'user:%' THEN substr(x.key, 6)
                      WHEN x.key LIKE 'user\_%' ESCAPE '\' THEN substr(x.key, 6)
                      WHEN x.key LIKE 'aws\_%' ESCAPE '\' THEN 'aws:' || substr(x.key, 5)
                      ELSE x.key END,
          'value': x.value}) AS kept
  FROM maps
)
SELECT id,
  CASE WHEN len(kept) > 0 THEN '{' || array_to_string(list_transform(kept,
    x -> CAST(to_json(x.key) AS VARCHAR) || ':' || CAST(to_json(x.value) AS VARCHAR)), ',') || '}' END AS want_json,
  list_extract(list_filter(kept, x -> x.key = 'Name'), 1).value AS want_name,
  CAST(bf_cur_tags_json(m) AS VARCHAR) AS got_json,
  bf_cur_name_tag(m) AS got_name,
  typeof(bf_cur_tags_json(m)) AS json_type
FROM e ORDER BY id
)SQL";

TEST(AwsCurTags, SqlFunctionsAgreeWithTheRulesWrittenInSql) {
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  define_cur_tag_functions(con);
  define_cur_tag_functions(con);  // a second definition is harmless
  con.execute("CREATE TABLE maps (id INTEGER, m MAP(VARCHAR, VARCHAR))");
  // Every ASCII character and the Unicode spaces trim() removes (and some it keeps), as a value
  // alone and inside text, under each kind of key.
  con.execute(R"SQL(
    INSERT INTO maps
    SELECT i, MAP {'user:k' || i: chr(c), 'user_Name': 'n' || chr(c) || 'n', 'aws_k': chr(c) || chr(c),
                   'Name': chr(c)}
    FROM (SELECT row_number() OVER () AS i, c FROM (
      SELECT CAST(range AS INTEGER) AS c FROM range(1, 128)
      UNION ALL SELECT * FROM (VALUES (160), (5760), (8192), (8202), (8203), (8239), (8287), (12288), (65279),
                                      (233), (8364), (128034))))
  )SQL");
  con.execute(R"SQL(
    INSERT INTO maps VALUES
      (1001, NULL), (1002, MAP {}), (1003, MAP {'user:a': NULL, 'user_b': '', 'c': ' '}),
      (1004, MAP {'user:Name': chr(160) || chr(12288), 'Name': 'second'}),
      (1005, MAP {'user:x': 'a"b\c', 'user_x': 'dup', 'aws_': 'empty key rest', 'user:': 'empty key'}),
      (1006, MAP {'Name': chr(9) || ' tab-led ' || chr(10)})
  )SQL");
  auto r = con.query(kReference);
  ASSERT_GT(r.row_count(), 130u);
  for (size_t i = 0; i < r.row_count(); ++i) {
    SCOPED_TRACE("map " + r.text(i, 0));
    EXPECT_EQ(r.cell(i, 3), r.cell(i, 1));
    EXPECT_EQ(r.cell(i, 4), r.cell(i, 2));
    EXPECT_EQ(r.text(i, 5), "JSON");
  }
  // Rows past one vector (2048) and NULL maps between them: each row gets its own answer.
  auto big = con.query(
      "SELECT count(*) FILTER (WHERE CAST(bf_cur_tags_json(m) AS VARCHAR) = '{\"k\":\"' || i || '\"}'), "
      "count(*) FILTER (WHERE m IS NULL AND bf_cur_tags_json(m) IS NULL) "
      "FROM (SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE MAP {'user:k': CAST(i AS VARCHAR)} END AS m "
      "FROM range(10000) t(i))");
  EXPECT_EQ(big.int64(0, 0), 10000 - 1429);
  EXPECT_EQ(big.int64(0, 1), 1429);
}

}  // namespace
}  // namespace billingfoot::sources::aws
