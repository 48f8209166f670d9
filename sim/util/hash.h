#pragma once
// FNV-1a 64 of a byte string: a stable name for content (a candidate's file, an input's hash in a
// search's run.json). Not cryptographic.
#include <cstdint>
#include <string_view>

namespace nesim {

inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace nesim
