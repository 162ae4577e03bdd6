#pragma once
// Exact decimal numbers for the demo's prices, quantities and costs. Everything is an integer
// count of 1e-10 (the scale of DECIMAL(38,10) in focus_costs), so ListCost = ListUnitPrice ×
// PricingQuantity holds to the last digit in the files and in the warehouse: prices carry at
// most 6 decimals, quantities at most 4, so their product never needs rounding.
#include <cstdint>
#include <string>

namespace billingfoot::app::demo {

class Fixed {
 public:
  static constexpr int kScale = 10;
  constexpr Fixed() = default;
  static Fixed units(int64_t e10) { return Fixed(e10); }
  // x rounded half away from zero to `decimals` places (0..10).
  static Fixed round(double x, int decimals);
  static Fixed price(double x) { return round(x, 6); }
  static Fixed quantity(double x) { return round(x, 4); }
  static Fixed cents(double x) { return round(x, 2); }

  int64_t e10() const { return v_; }
  double to_double() const { return static_cast<double>(v_) / 1e10; }
  bool is_zero() const { return v_ == 0; }
  // This amount rounded to `decimals` places (half away from zero).
  Fixed rounded(int decimals) const;

  Fixed operator+(Fixed o) const { return Fixed(v_ + o.v_); }
  Fixed operator-(Fixed o) const { return Fixed(v_ - o.v_); }
  Fixed operator-() const { return Fixed(-v_); }
  Fixed& operator+=(Fixed o) {
    v_ += o.v_;
    return *this;
  }
  Fixed& operator-=(Fixed o) {
    v_ -= o.v_;
    return *this;
  }
  // Exact product; throws std::logic_error if the digits do not fit the scale.
  Fixed operator*(Fixed o) const;
  auto operator<=>(const Fixed&) const = default;

  // Shortest plain decimal text: "0", "12.5", "-0.0001" (FOCUS number format, no exponent).
  std::string text() const;

 private:
  explicit constexpr Fixed(int64_t v) : v_(v) {}
  int64_t v_ = 0;
};

}  // namespace billingfoot::app::demo
