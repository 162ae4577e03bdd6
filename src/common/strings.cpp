#include "common/strings.hpp"

#include <ctime>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace billingfoot::common {

std::string iso_utc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

namespace {

// The length of the space separator starting at s[i], or 0 when there is none.
size_t space_separator_at(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  uint32_t c = byte(i);
  if (c == 0x20) return 1;
  if (c == 0xC2 && i + 1 < s.size() && byte(i + 1) == 0xA0) return 2;
  if (c >= 0xE1 && c <= 0xE3 && i + 2 < s.size()) {
    uint32_t cp = ((c & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000) return 3;
  }
  return 0;
}

}  // namespace

std::string_view trim_unicode_spaces(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e) {
    size_t n = space_separator_at(s, b);
    if (n == 0) break;
    b += n;
  }
  while (e > b) {
    size_t k = e - 1;  // the start of the last character
    while (k > b && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    size_t n = space_separator_at(s, k);
    if (n == 0 || k + n != e) break;
    e = k;
  }
  return s.substr(b, e - b);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

static std::string quote_with(std::string_view s, char q) {
  std::string out(1, q);
  for (char c : s) {
    if (c == q) out += q;
    out += c;
  }
  out += q;
  return out;
}

std::string quote_ident(std::string_view name) { return quote_with(name, '"'); }
std::string quote_literal(std::string_view value) { return quote_with(value, '\''); }

std::string render_template(std::string_view text,
                            const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    std::string key = trim(text.substr(open + 2, close - open - 2));
    auto it = std::find_if(values.begin(), values.end(),
                           [&](const auto& kv) { return kv.first == key; });
    if (it == values.end()) throw std::invalid_argument("template has unknown placeholder {{" + key + "}}");
    out += it->second;
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace billingfoot::common
