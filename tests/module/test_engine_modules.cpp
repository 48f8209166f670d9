// module: does each SystemC module match its closed-form timing?
// Programs are built by hand here, so each test isolates one module's behaviour.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "sim/engine/engine.h"
#include "sim/util/error.h"
#include "sim/timing/unit_timing.h"
#include "tests/support/hand_programs.h"

using namespace nesim;

namespace {

using test::one_kernel;

HwConfig test_hw() {
  HwConfig hw;
  hw.name = "test";
  hw.clock_mhz = 1000;
  hw.mac_array.pf = 16;
  hw.dma.channels = 2;
  hw.dma.setup_cycles = 10;
  hw.dma.burst_bytes = 64;
  hw.dram.bandwidth_gbps = 16;  // 16 bytes/cycle at 1 GHz
  hw.dram.latency_ns = 50;
  hw.dma.max_outstanding = 1024;  // one window per transfer, unless a test says otherwise
  return hw;
}

ComputeStep mac_step(int64_t pixels, int64_t cin, int64_t cout) {
  ComputeStep s;
  s.layer = 1;
  s.unit = Unit::MacArray;
  s.out_pixels = pixels;
  s.in_channels = cin;
  s.out_channels = cout;
  return s;
}

}  // namespace

TEST_SUITE("module: engine units against closed form") {
  TEST_CASE("a lone DMA load costs setup + latency + bytes over bandwidth") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 1000;  // rounds up to 1024 bytes of bursts: 64 cycles at 16 B/cycle
    SimResult r = Engine::instance().run(one_kernel(hw, {t}));
    CHECK(r.total_cycles == dma_transfer_cycles(hw, 1000));
    CHECK(r.total_cycles == 10 + 50 + 64);
  }

  TEST_CASE("two concurrent transfers overlap setup and latency but share DRAM bandwidth") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 1024;
    t.load_weight_bytes = 2048;
    SimResult r = Engine::instance().run(one_kernel(hw, {t}));
    CHECK(r.total_cycles == 10 + 50 + 64 + 128);
    hw.dma.channels = 1;  // one channel: the second transfer waits for the first entirely
    SimResult serial = Engine::instance().run(one_kernel(hw, {t}));
    CHECK(serial.total_cycles == 2 * (10 + 50) + 64 + 128);
  }

  TEST_CASE("a MAC-array step costs its closed-form cycles, wasted lanes included") {
    HwConfig hw = test_hw();
    Tile t;
    t.steps = {mac_step(100, 17, 16)};  // 17 input channels need two passes of 16 lanes
    SimResult r = Engine::instance().run(one_kernel(hw, {t}));
    CHECK(r.total_cycles == step_cycles(hw, t.steps[0]));
    CHECK(r.layers.at(0).compute_cycles == step_cycles(hw, t.steps[0]));
    Tile aligned;
    aligned.steps = {mac_step(100, 32, 16)};
    CHECK(Engine::instance().run(one_kernel(hw, {aligned})).total_cycles == r.total_cycles);
  }

  TEST_CASE("the vector unit and the depthwise unit follow their closed forms") {
    HwConfig hw = test_hw();
    hw.depthwise.mode = DepthwiseMode::Dedicated;
    ComputeStep v;
    v.layer = 1;
    v.unit = Unit::Vector;
    v.elements = 4096;
    v.special_fn = true;
    ComputeStep d = mac_step(196, 1, 1);
    d.unit = Unit::Depthwise;
    d.groups = 96;
    d.taps = 9;
    Tile t;
    t.steps = {v, d};
    SimResult r = Engine::instance().run(one_kernel(hw, {t}));
    CHECK(r.total_cycles == vector_cycles(hw, v) + depthwise_unit_cycles(hw, d));
  }

  TEST_CASE("double buffering: compute-bound tiles hide their loads") {
    HwConfig hw = test_hw();
    std::vector<Tile> tiles(8);
    for (auto& t : tiles) {
      t.load_ifmap_bytes = 64;  // 10 + 50 + 4 = 64 cycles
      t.steps = {mac_step(1000, 16, 16)};
    }
    int64_t load = dma_transfer_cycles(hw, 64), compute = step_cycles(hw, tiles[0].steps[0]);
    REQUIRE(compute > 2 * load);
    SimResult r = Engine::instance().run(one_kernel(hw, tiles));
    CHECK(r.total_cycles == load + 8 * compute);
  }

  TEST_CASE("the vector unit finishes a tile while the MAC array runs the next") {
    HwConfig hw = test_hw();
    ComputeStep act;
    act.layer = 1;
    act.unit = Unit::Vector;
    for (int64_t elements : {4000, 40000}) {  // the tail shorter, then longer, than the conv
      act.elements = elements;
      std::vector<Tile> tiles(8);
      for (auto& t : tiles) {
        t.load_ifmap_bytes = 64;
        t.steps = {mac_step(1000, 16, 16), act};
      }
      int64_t load = dma_transfer_cycles(hw, 64), conv = step_cycles(hw, tiles[0].steps[0]);
      int64_t tail = step_cycles(hw, act);
      REQUIRE(conv > 2 * load);
      REQUIRE(tile_stages(hw, tiles[0]).tail == tail);
      SimResult r = Engine::instance().run(one_kernel(hw, tiles));
      // Steady state: one tile per period of the slower unit; the faster one's work on the first
      // (conv) or last (activation) tile is all that shows.
      CHECK(r.total_cycles == load + 8 * std::max(conv, tail) + std::min(conv, tail));
      CHECK(r.total_cycles < load + 8 * (conv + tail));
    }
  }

  TEST_CASE("a vector step between two convolutions stays in line with its tile") {
    HwConfig hw = test_hw();
    ComputeStep act;
    act.layer = 1;
    act.unit = Unit::Vector;
    act.elements = 4000;
    std::vector<Tile> tiles(4);
    for (auto& t : tiles) {
      t.load_ifmap_bytes = 64;
      t.steps = {mac_step(1000, 16, 16), act, mac_step(1000, 16, 16)};  // no tail: all head
    }
    REQUIRE(tile_tail_begin(tiles[0]) == 3);
    int64_t load = dma_transfer_cycles(hw, 64);
    SimResult r = Engine::instance().run(one_kernel(hw, tiles));
    CHECK(r.total_cycles == load + 4 * tile_compute_cycles(hw, tiles[0]));
  }

  TEST_CASE("load-bound tiles are limited by the DMA, compute overlaps") {
    HwConfig hw = test_hw();
    hw.dma.channels = 1;
    std::vector<Tile> tiles(6);
    for (auto& t : tiles) {
      t.load_ifmap_bytes = 16 * 1024;  // 10 + 50 + 1024 cycles
      t.steps = {mac_step(10, 16, 16)};
    }
    int64_t load = dma_transfer_cycles(hw, 16 * 1024), compute = tile_compute_cycles(hw, tiles[0]);
    REQUIRE(load > compute);
    SimResult r = Engine::instance().run(one_kernel(hw, tiles));
    CHECK(r.total_cycles == 6 * load + compute);
  }

  TEST_CASE("a kernel starts loading only after the previous kernel is stored") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 64;
    t.steps = {mac_step(100, 16, 16)};
    t.store_bytes = 64;
    Program p = one_kernel(hw, {t});
    p.layer_info.push_back({"l2", "conv2d", "mac_array", 0, 0});
    Kernel k2 = p.kernels[0];
    k2.name = "k2";
    k2.layers = {2};
    p.kernels.push_back(k2);
    SimResult one = Engine::instance().run(one_kernel(hw, {t}));
    SimResult two = Engine::instance().run(p);
    CHECK(two.total_cycles == 2 * one.total_cycles);
    CHECK(two.layers.at(1).start_cycle == two.layers.at(0).end_cycle);
  }

  TEST_CASE("runs are independent: the same program gives the same result after any other") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 5000;
    t.load_weight_bytes = 300;
    t.store_bytes = 777;
    t.steps = {mac_step(321, 40, 24)};
    Program a = one_kernel(hw, {t, t, t});
    SimResult first = Engine::instance().run(a);
    Engine::instance().run(one_kernel(hw, {t}));
    SimResult again = Engine::instance().run(a);
    CHECK(first.total_cycles == again.total_cycles);
    CHECK(first.layers.at(0).end_cycle == again.layers.at(0).end_cycle);
    CHECK(first.energy_uj == again.energy_uj);
  }

  TEST_CASE("tracing records one event per transfer and per compute step") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 64;
    t.load_weight_bytes = 64;
    t.store_bytes = 64;
    t.steps = {mac_step(10, 16, 16)};
    SimResult r = Engine::instance().run(one_kernel(hw, {t, t}), RunOptions{true});
    int dma = 0, mac = 0;
    for (const auto& e : r.trace) {
      if (e.track.rfind("dma", 0) == 0) ++dma;
      if (e.track == "mac_array") ++mac;
      CHECK(e.start_cycle + e.dur_cycles <= r.total_cycles);
    }
    CHECK(dma == 6);
    CHECK(mac == 2);
  }

  // Under AddressSanitizer (make test runs this suite so), an exception unwound after the
  // SystemC kernel switched coroutines used to abort with a false stack-buffer-overflow
  // (google/sanitizers#189). Thrown and caught here many times, at depth, between runs.
  TEST_CASE("exceptions after simulation unwind cleanly, and the engine runs on") {
    HwConfig hw = test_hw();
    Tile t;
    t.load_ifmap_bytes = 640;
    t.steps = {mac_step(100, 16, 16)};
    const SimResult before = Engine::instance().run(one_kernel(hw, {t, t}));
    HwConfig too_many = hw;
    too_many.dma.channels = Engine::kMaxDmaChannels + 1;
    for (int i = 0; i < 20; ++i) {
      CHECK_THROWS_AS(Engine::instance().run(one_kernel(too_many, {t})), InputError);
      const SimResult again = Engine::instance().run(one_kernel(hw, {t, t}));
      CHECK(again.total_cycles == before.total_cycles);
      try {
        [&] {
          char frame[4096];
          snprintf(frame, sizeof frame, "deep %d", i);
          throw std::runtime_error(frame);
        }();
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "deep " + std::to_string(i));
      }
    }
  }
}
