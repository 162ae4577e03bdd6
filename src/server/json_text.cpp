#include "server/json_text.hpp"

#include <sstream>

#include "warehouse/result_text.hpp"

namespace billingfoot::server {

JsonObject& JsonObject::add(const std::string& key, const nlohmann::json& value) {
  fields_.emplace_back(key, value.dump());
  return *this;
}

JsonObject& JsonObject::raw(const std::string& key, std::string json_text) {
  fields_.emplace_back(key, std::move(json_text));
  return *this;
}

std::string JsonObject::str() const {
  std::string out = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    out += (i ? ",\n " : "") + nlohmann::json(fields_[i].first).dump() + ": " + fields_[i].second;
  }
  return out + "}";
}

std::string rows_json(const warehouse::Result& result) {
  std::ostringstream out;
  warehouse::write_json_objects(out, result);
  return out.str();
}

std::string columns_json(const warehouse::Result& result) {
  nlohmann::json cols = nlohmann::json::array();
  for (size_t c = 0; c < result.column_count(); ++c) {
    const char* type = "text";
    switch (result.column_kind(c)) {
      case warehouse::ColumnKind::Boolean:
        type = "boolean";
        break;
      case warehouse::ColumnKind::Integer:
        type = "integer";
        break;
      case warehouse::ColumnKind::Decimal:
        type = "decimal";
        break;
      case warehouse::ColumnKind::Float:
        type = "float";
        break;
      case warehouse::ColumnKind::Timestamp:
        type = "timestamp";
        break;
      case warehouse::ColumnKind::Date:
        type = "date";
        break;
      case warehouse::ColumnKind::Json:
        type = "json";
        break;
      default:
        break;
    }
    cols.push_back({{"name", result.column_name(c)}, {"type", type}});
  }
  return cols.dump();
}

std::string row_json(const warehouse::Result& result, size_t row) {
  if (row >= result.row_count()) return "{}";
  std::string out = "{";
  for (size_t c = 0; c < result.column_count(); ++c) {
    out += (c ? ", " : "") + nlohmann::json(result.column_name(c)).dump() + ": " +
           warehouse::json_cell(result, row, c);
  }
  return out + "}";
}

}  // namespace billingfoot::server
