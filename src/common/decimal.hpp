#pragma once
// Exact decimal arithmetic on integer units of 1e-10 (the scale of the warehouse's
// DECIMAL(38,10)), for the few places C++ computes with money: config weights, unit costs.
#include <optional>
#include <string>

namespace billingfoot::common {

// One unit is 1e-10; kDecimalOne is 1.
inline constexpr __int128 kDecimalOne = 10000000000;

// Plain decimal text ("12", "-0.5", " 3.25 ") → units; nullopt for anything else (exponents,
// more than 10 fraction digits, more than 27 integer digits).
std::optional<__int128> parse_decimal(const std::string& text);
// Units → "-12.3400000000" (always 10 fraction digits, as DuckDB prints DECIMAL(38,10)).
std::string format_decimal(__int128 units);
// numerator / denominator × per, all in units, rounded half away from zero to one unit;
// nullopt when the denominator is 0.
std::optional<__int128> ratio(__int128 numerator, __int128 denominator, __int128 per = kDecimalOne);

}  // namespace billingfoot::common
