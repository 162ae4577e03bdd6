#pragma once
// Building JSON responses whose money values stay exact: the envelope is assembled from
// fields, some given as values (nlohmann) and some as ready JSON text (query results rendered
// with warehouse::json_cell, where DECIMAL(38,10) amounts are written digit for digit).
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::server {

class JsonObject {
 public:
  JsonObject& add(const std::string& key, const nlohmann::json& value);
  JsonObject& raw(const std::string& key, std::string json_text);
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// [{"column": value, …}, …]
std::string rows_json(const warehouse::Result& result);
// [{"name": "cost", "type": "decimal"}, …]
std::string columns_json(const warehouse::Result& result);
// The first row as one object ({} when there is none).
std::string row_json(const warehouse::Result& result, size_t row);

}  // namespace billingfoot::server
