// libFuzzer target: one input = one file of this format; what it does is fuzz/targets.h's onnx().
// Seed it with tests/onnx/fixtures/*.onnx.
#include "fuzz/fuzz_common.h"
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nesim::fuzz::run_one(data, size, nesim::fuzz::onnx);
}
