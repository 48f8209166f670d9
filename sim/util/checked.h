#pragma once
// Integer arithmetic that cannot wrap silently. Shapes, counts, bytes and cycles are int64; a
// product of user-given dimensions can exceed it, and a wrapped count is a wrong answer that looks
// right. These return nothing on overflow, so the caller can name the layer or key at fault.
#include <cmath>
#include <cstdint>
#include <optional>

namespace nesim::checked {

// Example: if (auto n = checked::mul(c, h, w)) ... else throw input_error("... overflows");
template <typename... Ts>
std::optional<int64_t> mul(int64_t a, Ts... rest) {
  int64_t product = a;
  for (int64_t b : {static_cast<int64_t>(rest)...})
    if (__builtin_mul_overflow(product, b, &product)) return std::nullopt;
  return product;
}

template <typename... Ts>
std::optional<int64_t> add(int64_t a, Ts... rest) {
  int64_t sum = a;
  for (int64_t b : {static_cast<int64_t>(rest)...})
    if (__builtin_add_overflow(sum, b, &sum)) return std::nullopt;
  return sum;
}

// A double as int64, or nothing when it is not finite or outside int64's range (converting such a
// value is undefined behaviour, not saturation).
inline std::optional<int64_t> to_int64(double v) {
  // 2^63 is exactly representable; every double below it converts.
  if (!std::isfinite(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace nesim::checked
