#include "sources/aws/cur_tags.hpp"

#include <string_view>

#include "common/strings.hpp"

namespace billingfoot::sources::aws {

namespace {

// A value that is only spaces counts as empty, as bf_text makes it.
bool kept(const std::optional<std::string_view>& value) {
  return value && !common::trim_unicode_spaces(*value).empty();
}

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
