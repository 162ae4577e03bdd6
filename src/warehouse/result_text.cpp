#include "warehouse/result_text.hpp"

#include <nlohmann/json.hpp>

namespace billingfoot::warehouse {

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void write_csv(std::ostream& out, const Result& result) {
  size_t cols = result.column_count();
  for (size_t c = 0; c < cols; ++c) out << (c ? "," : "") << csv_field(result.column_name(c));
  out << "\n";
  for (size_t r = 0; r < result.row_count(); ++r) {
    for (size_t c = 0; c < cols; ++c) out << (c ? "," : "") << csv_field(result.text(r, c));
    out << "\n";
  }
}

std::string json_cell(const Result& result, size_t row, size_t col) {
  const auto& cell = result.cell(row, col);
  if (!cell) return "null";
  switch (result.column_kind(col)) {
    case ColumnKind::Integer:
    case ColumnKind::Decimal:
    case ColumnKind::Float: {
      const std::string& v = *cell;
      if (v == "nan" || v == "inf" || v == "-inf") return nlohmann::json(v).dump();
      return v;
    }
    case ColumnKind::Boolean:
      return *cell == "true" ? "true" : "false";
    case ColumnKind::Json: {
      auto parsed = nlohmann::json::parse(*cell, nullptr, false);
      return parsed.is_discarded() ? nlohmann::json(*cell).dump() : parsed.dump();
    }
    default:
      return nlohmann::json(*cell).dump();
  }
}

void write_json_objects(std::ostream& out, const Result& result) {
  size_t cols = result.column_count();
  out << "[";
  for (size_t r = 0; r < result.row_count(); ++r) {
    out << (r ? ",\n " : "\n ") << "{";
    for (size_t c = 0; c < cols; ++c) {
      out << (c ? ", " : "") << nlohmann::json(result.column_name(c)).dump() << ": "
          << json_cell(result, r, c);
    }
    out << "}";
  }
  out << (result.row_count() ? "\n]\n" : "]\n");
}

}  // namespace billingfoot::warehouse
