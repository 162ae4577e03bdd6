#include "support/file_query.hpp"

#include "warehouse/duckdb.hpp"

namespace billingfoot::testing {

std::vector<std::vector<std::string>> file_query(const std::string& sql) {
  auto db = warehouse::Database::open(":memory:");
  auto con = db.connect();
  auto result = con.query(sql);
  std::vector<std::vector<std::string>> rows(result.row_count());
  for (size_t r = 0; r < result.row_count(); ++r) {
    for (size_t c = 0; c < result.column_count(); ++c) rows[r].push_back(result.text(r, c));
  }
  return rows;
}

std::string sql_path(const std::string& path) {
  std::string out = "'";
  for (char c : path) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace billingfoot::testing
