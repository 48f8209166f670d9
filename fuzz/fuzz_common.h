#pragma once
// The contract every fuzz target checks. Bad input must end in nesim::InputError whose message
// names the input (the CLI prints it as one line and exits 2). Anything else escaping —
// std::exception, YAML::Exception, nlohmann::json::exception, std::bad_alloc — is a bug, because
// a user would see "internal error" and exit 3: it escapes, and libFuzzer reports a crash, as it
// does for any ASan or UBSan report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/util/error.h"

namespace nesim::fuzz {

inline constexpr const char* kWhere = "fuzz-input";

// `named`: what the message must contain (the input's name, or a folder for inputs that name others).
template <typename Target>
int run_one(const uint8_t* data, size_t size, Target&& target, const char* named = kWhere) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    target(text, kWhere);
  } catch (const InputError& e) {
    if (std::string(e.what()).find(named) == std::string::npos) __builtin_trap();  // names no file
  }
  return 0;
}

}  // namespace nesim::fuzz
