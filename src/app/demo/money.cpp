#include "app/demo/money.hpp"

#include <cmath>
#include <stdexcept>

namespace billingfoot::app::demo {

namespace {
constexpr int64_t kOne = 10'000'000'000;
int64_t pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}
}  // namespace

Fixed Fixed::round(double x, int decimals) {
  return Fixed(std::llround(x * static_cast<double>(pow10(decimals))) * pow10(kScale - decimals));
}

Fixed Fixed::rounded(int decimals) const {
  int64_t step = pow10(kScale - decimals);
  int64_t half = step / 2;
  int64_t q = v_ >= 0 ? (v_ + half) / step : -((-v_ + half) / step);
  return Fixed(q * step);
}

Fixed Fixed::operator*(Fixed o) const {
  __int128 product = static_cast<__int128>(v_) * o.v_;
  if (product % kOne != 0)
    throw std::logic_error("demo: product of " + text() + " and " + o.text() + " is not exact");
  return Fixed(static_cast<int64_t>(product / kOne));
}

std::string Fixed::text() const {
  uint64_t magnitude = v_ < 0 ? -static_cast<uint64_t>(v_) : static_cast<uint64_t>(v_);
  std::string out = (v_ < 0 ? "-" : "") + std::to_string(magnitude / kOne);
  std::string fraction = std::to_string(magnitude % kOne);
  fraction.insert(0, kScale - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

}  // namespace billingfoot::app::demo
