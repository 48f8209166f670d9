// libFuzzer target: one input = one file of this format; what it does is fuzz/targets.h's space().
// Its messages may name the base model instead of the space file, both under the source tree.
#include "fuzz/fuzz_common.h"
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nesim::fuzz::run_one(data, size, nesim::fuzz::space, NESIM_SOURCE_DIR);  // the space or its base model
}
