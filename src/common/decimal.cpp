#include "common/decimal.hpp"

#include <regex>

namespace billingfoot::common {

std::optional<__int128> parse_decimal(const std::string& text) {
  static const std::regex plain(R"(\s*([+-]?)(\d{1,27})(?:\.(\d{0,10}))?\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, plain)) return std::nullopt;
  std::string fraction = m[3].str();
  fraction.resize(10, '0');
  __int128 value = 0;
  for (char c : m[2].str() + fraction) value = value * 10 + (c - '0');
  return m[1] == "-" ? -value : value;
}

std::string format_decimal(__int128 units) {
  bool negative = units < 0;
  unsigned __int128 v = negative ? static_cast<unsigned __int128>(-(units + 1)) + 1
                                 : static_cast<unsigned __int128>(units);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v);
  if (digits.size() < 11) digits.insert(0, 11 - digits.size(), '0');
  digits.insert(digits.size() - 10, ".");
  return (negative ? "-" : "") + digits;
}

std::optional<__int128> ratio(__int128 numerator, __int128 denominator, __int128 per) {
  if (denominator == 0) return std::nullopt;
  __int128 n = numerator * per;
  bool negative = (n < 0) != (denominator < 0);
  __int128 an = n < 0 ? -n : n, ad = denominator < 0 ? -denominator : denominator;
  __int128 q = (2 * an + ad) / (2 * ad);
  return negative ? -q : q;
}

}  // namespace billingfoot::common
