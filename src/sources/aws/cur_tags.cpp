#include "sources/aws/cur_tags.hpp"

#include <cstdint>
#include <string_view>

namespace billingfoot::sources::aws {

namespace {

// Whether `s` is only Unicode space separators (category Zs), the characters DuckDB's trim()
// removes: such a tag value counts as empty.
bool only_spaces(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
    uint32_t c = byte(i);
    uint32_t cp = 0;
    size_t len = 0;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (byte(i + 1) & 0x3F), len = 2;
    } else if ((c & 0xF0) == 0xE0 && i + 2 < s.size()) {
      cp = ((c & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F), len = 3;
    } else {
      return false;  // four-byte characters hold no space separator
    }
    bool space = cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
                 cp == 0x205F || cp == 0x3000;
    if (!space) return false;
    i += len;
  }
  return true;
}

bool kept(const std::optional<std::string_view>& value) { return value && !only_spaces(*value); }

// `user:team` and `user_team` → `team`; other keys as delivered (`aws_` ones are rewritten by
// append_key).
std::string_view without_user_prefix(std::string_view key) {
  if (key.starts_with("user:") || key.starts_with("user_")) key.remove_prefix(5);
  return key;
}

// A JSON string as DuckDB's to_json writes it: quote, backslash and control characters escaped
// (\b \f \n \r \t, others as \u00XX), everything else as it is.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_key(std::string& out, std::string_view key) {
  if (key.starts_with("aws_")) {
    std::string aws = "aws:";
    aws.append(key.substr(4));
    append_json_string(out, aws);
  } else {
    append_json_string(out, without_user_prefix(key));
  }
}

}  // namespace

bool cur_tags_json(const warehouse::Connection::MapEntries& entries, std::string& out) {
  for (const auto& [key, value] : entries) {
    if (!kept(value)) continue;
    out += out.empty() ? '{' : ',';
    append_key(out, key);
    out += ':';
    append_json_string(out, *value);
  }
  if (out.empty()) return false;
  out += '}';
  return true;
}

bool cur_name_tag(const warehouse::Connection::MapEntries& entries, std::string& out) {
  for (const auto& [key, value] : entries) {
    if (kept(value) && without_user_prefix(key) == "Name") {
      out.assign(*value);
      return true;
    }
  }
  return false;
}

void define_cur_tag_functions(warehouse::Connection& con) {
  con.define_map_function("bf_cur_tags_json", true, cur_tags_json);
  con.define_map_function("bf_cur_name_tag", false, cur_name_tag);
}

}  // namespace billingfoot::sources::aws
