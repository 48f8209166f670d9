#pragma once
// What the unit suites check of a loader's error: the message of the InputError that `f` throws,
// or a marker that makes the CHECK fail visibly ("no error", or another exception's type).
#include <exception>
#include <functional>
#include <string>

#include "sim/util/error.h"

namespace nesim::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no error";
}

}  // namespace nesim::test
