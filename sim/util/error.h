#pragma once
// Errors that reach the user. InputError means "the user gave us something wrong": the CLI prints
// its message once and exits with status 2. Anything else escaping to main is a bug (exit 3).
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace nesim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

// Example: throw input_error("{}: key '{}': expected a positive integer, got '{}'", file, key, v);
template <typename... Args>
InputError input_error(fmt::format_string<Args...> f, Args&&... args) {
  return InputError(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace nesim
