// invariants: does the engine refuse what it cannot model, instead of simulating it wrongly?
// (Kept out of the module suite: that suite runs under ASan, which misreads exceptions thrown
// after SystemC's coroutine stack switches; see tests/README.md.)
#include <doctest/doctest.h>

#include "sim/engine/engine.h"
#include "sim/util/error.h"

using namespace nesim;

TEST_SUITE("invariants: engine limits") {
  TEST_CASE("more DMA channels than the engine has is a clear error") {
    Program p;
    p.model = "hand";
    p.hw.name = "too-many-channels";
    p.hw.dma.channels = Engine::kMaxDmaChannels + 1;
    p.layer_info = {{"in", "input", ""}, {"l1", "conv2d", "mac_array", 0, 0}};
    try {
      Engine::instance().run(p);
      FAIL("expected an InputError");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find("dma.channels") != std::string::npos);
    }
  }
}
