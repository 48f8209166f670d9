// module: does the DMA keep several bursts in flight, split long transfers over the channels and
// share the SRAM port, as the closed forms in unit_timing.h say (issue 12)? Hand-built programs
// isolate each effect; each expectation is written out in cycles.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/timing/pipeline_replay.h"
#include "sim/timing/sram_traffic.h"
#include "sim/timing/unit_timing.h"
#include "tests/support/hand_programs.h"

using namespace nesim;

namespace {

using test::one_kernel;

// 16 bytes/cycle, 50 cycles of latency, 10 of setup; four 64-byte bursts per window.
HwConfig window_hw(int channels) {
  HwConfig hw;
  hw.name = "windows";
  hw.clock_mhz = 1000;
  hw.dma.channels = channels;
  hw.dma.setup_cycles = 10;
  hw.dma.burst_bytes = 64;
  hw.dma.max_outstanding = 4;
  hw.dram.bandwidth_gbps = 16;
  hw.dram.latency_ns = 50;
  hw.sram.bytes_per_cycle = 1 << 20;  // the port never binds here, unless a test says so
  return hw;
}

ComputeStep mac_step(int64_t pixels) {
  ComputeStep s;
  s.layer = 1;
  s.out_pixels = pixels;
  s.in_channels = s.out_channels = 16;
  return s;
}

int64_t load_cycles(const HwConfig& hw, int64_t bytes) {
  Tile t;
  t.load_ifmap_bytes = bytes;
  Program p = one_kernel(hw, {t});
  int64_t engine = Engine::instance().run(p).total_cycles;
  CHECK(engine == replay_kernel_cycles(p.kernels[0], hw));
  return engine;
}

}  // namespace

TEST_SUITE("module: DMA windows of outstanding bursts") {
  TEST_CASE("a transfer of several windows pays the DRAM latency once per window on one channel") {
    HwConfig hw = window_hw(1);
    // 1024 bytes: 16 bursts in 4 windows of 4. The bus would need 64 cycles; the channel waits
    // 50 cycles for each window, and the last window's 4 bursts take 16 cycles on the bus.
    CHECK(load_cycles(hw, 1024) == 10 + 4 * 50 + 16);
    CHECK(dma_transfer_cycles(hw, 1024) == 10 + 4 * 50 + 16);
    // One window (256 bytes) pays the latency once, as every transfer did before windows.
    CHECK(load_cycles(hw, 256) == 10 + 50 + 16);
    // Enough bursts in flight to cover the latency: the bus binds, latency is paid once.
    hw.dma.max_outstanding = 16;
    CHECK(load_cycles(hw, 1024) == 10 + 50 + 64);
    hw.dma.max_outstanding = 13;  // 13 * 64 bytes = 52 cycles of bus per window, more than 50
    CHECK(dma_stream_cycles(hw, 4096) == 50 + 256);
  }

  TEST_CASE("more channels split a long transfer and help until DRAM bandwidth binds") {
    // 16 KiB = 256 bursts = 64 windows of 4; alone on one channel: 64 latencies.
    std::vector<int64_t> cycles;
    for (int ch : {1, 2, 4, 8, 16}) cycles.push_back(load_cycles(window_hw(ch), 16 * 1024));
    CHECK(cycles[0] == 10 + 64 * 50 + 16);
    CHECK(cycles[1] < cycles[0]);
    CHECK(cycles[2] < cycles[1]);
    // Four channels stream 4 x 4 x 64 bytes per 50 cycles, more than the bus's 16 bytes a cycle:
    // from there on the bus binds, at setup + latency + 16 KiB / 16 bytes a cycle.
    CHECK(cycles[2] == 10 + 50 + 1024);
    CHECK(cycles[3] == cycles[2]);
    CHECK(cycles[4] == cycles[2]);
    CHECK(dma_pieces(window_hw(4), 16 * 1024) == 4);
    CHECK(dma_pieces(window_hw(4), 256) == 1);  // one window: never split
  }

  TEST_CASE("pieces hold whole bursts and add up to the transfer") {
    HwConfig hw = window_hw(3);
    const int64_t bytes = 10 * 256 + 5;  // 41 bursts, the last one short
    const int pieces = dma_pieces(hw, bytes);
    REQUIRE(pieces == 3);
    int64_t sum = 0;
    for (int i = 0; i < pieces; ++i) {
      int64_t b = dma_piece_bytes(hw, bytes, pieces, i);
      if (i + 1 < pieces) CHECK(b % 64 == 0);
      CHECK(b > 0);
      sum += b;
    }
    CHECK(sum == bytes);
    CHECK(dma_piece_bytes(hw, bytes, pieces, 0) == 14 * 64);
    CHECK(dma_piece_bytes(hw, bytes, pieces, 2) == 12 * 64 + 5);
  }

  TEST_CASE("the loader issues the next tile's loads without waiting for this tile's") {
    HwConfig hw = window_hw(2);
    std::vector<Tile> tiles(2);
    for (Tile& t : tiles) {
      t.load_ifmap_bytes = 64;  // 10 + 50 + 4 cycles, latency-bound
      t.steps = {mac_step(4)};
    }
    Program p = one_kernel(hw, tiles);
    const int64_t load = dma_transfer_cycles(hw, 64), compute = tile_compute_cycles(hw, tiles[0]);
    const int64_t cycles = Engine::instance().run(p).total_cycles;
    // Both loads are in flight at once, one per channel (channel 0, tile 0's, reaches the bus
    // first; tile 1's arrives 4 bus cycles later), so the second tile is ready by the time the
    // first has computed: no second latency.
    CHECK(cycles == load + 2 * compute);
    CHECK(cycles < 2 * load + compute);
    CHECK(cycles == replay_kernel_cycles(p.kernels[0], hw));
  }

  TEST_CASE("DMA fills and drains take SRAM port bandwidth from the tile's compute") {
    HwConfig hw = window_hw(2);
    hw.dma.max_outstanding = 1024;
    Tile t;
    t.load_ifmap_bytes = 4096;
    t.store_bytes = 1024;
    t.steps = {mac_step(10)};
    t.steps[0].sram_in_bytes = 1000;
    hw.sram.bytes_per_cycle = 4;
    // The step's own accesses (its loop nest, sram_traffic.h) plus the tile's 4096 + 1024 DMA bytes.
    const int64_t access = sram_traffic(hw, t.steps[0]).total();
    const int64_t port = (4096 + 1024 + access + 3) / 4;
    const int64_t steps = step_cycles(hw, t.steps[0]);
    REQUIRE(steps < port);
    CHECK(tile_compute_cycles(hw, t) == port);
    Program p = one_kernel(hw, {t});
    SimResult r = Engine::instance().run(p);
    CHECK(r.total_cycles == dma_transfer_cycles(hw, 4096) + port + dma_transfer_cycles(hw, 1024));
    CHECK(r.total_cycles == replay_kernel_cycles(p.kernels[0], hw));
    // The port's extra time is a stall of the layer, not compute.
    CHECK(r.layers.at(0).compute_cycles == step_cycles(hw, t.steps[0]));
    hw.sram.bytes_per_cycle = 1 << 20;  // a wide port: the unit's own cycles
    CHECK(tile_compute_cycles(hw, t) == step_cycles(hw, t.steps[0]));
  }

  TEST_CASE("MobileNetV2 on ne-pf16: 1, 2, 4, 8 channels never slower, and more channels help") {
    const std::string src = NESIM_SOURCE_DIR;
    const HwConfig base = load_hw_config(src + "/hwconfigs/ne-pf16.yaml");
    const Network net = load_model(src + "/models/mobilenet_v2.yaml");
    std::vector<int64_t> cycles;
    for (const char* ch : {"1", "2", "4", "8"}) {
      HwConfig hw = base;
      set_hw_key(hw, "dma.channels", ch, "test");
      cycles.push_back(simulate(net, hw).total_cycles);
    }
    MESSAGE("MobileNetV2 cycles at 1, 2, 4, 8 channels: " << cycles[0] << ", " << cycles[1] << ", " << cycles[2]
                                                          << ", " << cycles[3]);
    for (size_t i = 1; i < cycles.size(); ++i) CHECK(cycles[i] <= cycles[i - 1]);
    // Latency, not bandwidth, limits one or two channels at 4 outstanding bursts each.
    CHECK(cycles[1] < cycles[0]);
    CHECK(cycles[2] < cycles[1]);
  }
}
