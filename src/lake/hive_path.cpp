#include "lake/hive_path.hpp"

#include <cstring>

namespace billingfoot::lake {

namespace {

bool needs_escape(unsigned char c) {
  return c < 0x20 || c == 0x7F || c == ' ' || std::strchr("\"#%'*/:=?\\{[]^", c) != nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_billing_period(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

std::string hive_escape(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::string(kHiveDefaultPartition);
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : *value) {
    if (needs_escape(c)) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> hive_unescape(std::string_view text) {
  if (text == kHiveDefaultPartition) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string PartitionKey::dir() const {
  return "provider=" + hive_escape(provider) + "/billing_period=" + billing_period;
}

std::optional<PartitionKey> parse_partition_dir(std::string_view dir) {
  auto slash = dir.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view first = dir.substr(0, slash), second = dir.substr(slash + 1);
  if (!first.starts_with("provider=") || !second.starts_with("billing_period="))
    return std::nullopt;
  std::string_view period = second.substr(std::strlen("billing_period="));
  if (!is_billing_period(period)) return std::nullopt;
  return PartitionKey{hive_unescape(first.substr(std::strlen("provider="))), std::string(period)};
}

}  // namespace billingfoot::lake
