#pragma once
// Deterministic randomness for the demo company. Every value is a pure function of
// (seed, key, n): no hidden state, so adding a resource or a provider never shifts the numbers
// of another, and the same seed always gives byte-identical files on any machine.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace billingfoot::app::demo {

class Rng {
 public:
  Rng(uint64_t seed, std::string_view key) : base_(mix(seed ^ fnv1a(key))) {}

  // Uniform in [0, 1) for draw number n.
  double unit(int64_t n = 0) const {
    return static_cast<double>(mix(base_ + static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ULL) >>
                               11) *
           0x1.0p-53;
  }
  // Standard normal (Box-Muller, our own so results do not depend on the standard library).
  double normal(int64_t n = 0) const {
    double u1 = 1.0 - unit(2 * n), u2 = unit(2 * n + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  bool chance(double p, int64_t n = 0) const { return unit(n) < p; }
  // Integer in [0, bound).
  uint64_t below(uint64_t bound, int64_t n = 0) const {
    return static_cast<uint64_t>(unit(n) * static_cast<double>(bound));
  }
  Rng derive(std::string_view key) const { return Rng(base_, key); }
  // `length` characters drawn from `alphabet` (for ids such as SKU codes).
  std::string token(std::string_view alphabet, int length) const {
    std::string out;
    for (int i = 0; i < length; ++i) out += alphabet[below(alphabet.size(), 1000 + i)];
    return out;
  }

 private:
  static uint64_t fnv1a(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    return h;
  }
  static uint64_t mix(uint64_t z) {  // SplitMix64 finalizer
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t base_;
};

}  // namespace billingfoot::app::demo
