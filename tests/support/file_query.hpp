#pragma once
// Test support: SQL over local files (Parquet, CSV) in a throwaway in-memory DuckDB, every cell
// as text ("" for NULL). Tests read generated Parquet with it and compute their expectations
// themselves (money as exact decimals with parse_decimal_e10), not through billingfoot's mapping.
#include <string>
#include <vector>

namespace billingfoot::testing {

std::vector<std::vector<std::string>> file_query(const std::string& sql);

// 'path' as a SQL string literal.
std::string sql_path(const std::string& path);

}  // namespace billingfoot::testing
