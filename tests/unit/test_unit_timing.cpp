// Hand-worked cases for the closed-form unit timing (sim/timing/unit_timing.h).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <doctest/doctest.h>

#include "sim/timing/unit_timing.h"

namespace nesim {
namespace {

// Every number the cases below depend on is set here, so a change of defaults cannot move them.
HwConfig test_hw() {
  HwConfig hw;
  hw.clock_mhz = 800;
  hw.mac_array.kind = ArrayKind::ChannelParallel;
  hw.mac_array.pf = 16;
  hw.mac_array.pipeline_fill_cycles = 8;
  hw.depthwise.lanes = 16;
  hw.depthwise.macs_per_lane = 9;
  hw.vector_unit.lanes = 16;
  hw.vector_unit.special_fn_cycles = 4;
  hw.sram.bytes_per_cycle = 64;
  hw.dma.setup_cycles = 32;
  hw.dma.burst_bytes = 64;
  hw.dram.bandwidth_gbps = 8.0;  // 8e9 B/s at 800 MHz: 10 bytes per cycle
  hw.dram.latency_ns = 100;      // 80 cycles at 800 MHz
  return hw;
}

ComputeStep conv(int64_t out_pixels, int64_t cin, int64_t cout, int64_t taps,
                 int64_t groups = 1) {
  ComputeStep s;
  s.unit = Unit::MacArray;
  s.out_pixels = out_pixels;
  s.in_channels = cin;
  s.out_channels = cout;
  s.taps = taps;
  s.groups = groups;
  return s;
}

ComputeStep depthwise(int64_t out_pixels, int64_t channels, int64_t taps, Unit unit) {
  ComputeStep s = conv(out_pixels, 1, 1, taps, channels);
  s.unit = unit;
  return s;
}

ComputeStep vector_step(int64_t elements, int64_t ops_per_element, bool special_fn) {
  ComputeStep s;
  s.unit = Unit::Vector;
  s.elements = elements;
  s.ops_per_element = ops_per_element;
  s.special_fn = special_fn;
  return s;
}

}  // namespace

TEST_SUITE("unit: closed-form unit timing") {
  TEST_CASE("channel-parallel conv wastes lanes when channels are not multiples of pf") {
    const HwConfig hw = test_hw();
    // 10 px * ceil(17/16)=2 * ceil(16/16)=1 * 9 taps + 8 fill = 188
    CHECK(mac_array_cycles(hw, conv(10, 17, 16, 9)) == 188);
    // Cin=32 fills both input passes and costs exactly the same as Cin=17.
    CHECK(mac_array_cycles(hw, conv(10, 32, 16, 9)) == 188);
    CHECK(mac_array_cycles(hw, conv(10, 16, 16, 9)) == 10 * 1 * 1 * 9 + 8);
    // Output side: ceil(33/16)=3 passes: 10 * 1 * 3 * 9 + 8 = 278
    CHECK(mac_array_cycles(hw, conv(10, 16, 33, 9)) == 278);
  }

  TEST_CASE("grouped conv repeats per group, fill is paid once per step") {
    const HwConfig hw = test_hw();
    // 4 groups * 10 px * ceil(8/16)=1 * ceil(8/16)=1 * 9 taps + 8 = 368
    CHECK(mac_array_cycles(hw, conv(10, 8, 8, 9, 4)) == 368);
  }

  TEST_CASE("depthwise on the MAC array runs at 1/pf utilisation") {
    const HwConfig hw = test_hw();
    // 100 px * ceil(32/16)=2 * 9 taps + 8 = 1808
    const ComputeStep dw = depthwise(100, 32, 9, Unit::MacArray);
    const int64_t cycles = mac_array_cycles(hw, dw);
    CHECK(cycles == 1808);
    // 28800 MACs over 1800 busy cycles = 16 MACs/cycle out of pf*pf = 256: one lane row of pf.
    CHECK(dw.macs() == 28800);
    CHECK(dw.macs() / (cycles - 8) == hw.mac_array.pf);
    // 33 channels need a third pass: 100 * 3 * 9 + 8 = 2708
    CHECK(mac_array_cycles(hw, depthwise(100, 33, 9, Unit::MacArray)) == 2708);
  }

  TEST_CASE("dedicated depthwise unit: channels over lanes, taps over MACs per lane") {
    const HwConfig hw = test_hw();
    // 3x3: 100 px * ceil(32/16)=2 * ceil(9/9)=1 + 8 = 208
    const ComputeStep dw3 = depthwise(100, 32, 9, Unit::Depthwise);
    CHECK(depthwise_unit_cycles(hw, dw3) == 208);
    CHECK(step_cycles(hw, dw3) == 208);
    // 5x5: ceil(25/9)=3 passes per pixel: 100 * 2 * 3 + 8 = 608
    CHECK(depthwise_unit_cycles(hw, depthwise(100, 32, 25, Unit::Depthwise)) == 608);
    // Much faster than the same 3x3 work on the MAC array (1808 above).
    CHECK(depthwise_unit_cycles(hw, dw3) < mac_array_cycles(hw, depthwise(100, 32, 9,
                                                                          Unit::MacArray)));
  }

  TEST_CASE("vector unit: ops over lanes plus the LUT cost of special functions") {
    const HwConfig hw = test_hw();
    // ceil(100 * 2 / 16) = 13
    CHECK(vector_cycles(hw, vector_step(100, 2, false)) == 13);
    // 13 + ceil(100/16)=7 element-vectors * 4 LUT cycles = 41
    CHECK(vector_cycles(hw, vector_step(100, 2, true)) == 41);
    CHECK(step_cycles(hw, vector_step(100, 2, true)) == 41);
    CHECK(vector_cycles(hw, vector_step(0, 2, true)) == 0);
  }

  TEST_CASE("a step is charged the slower of its unit and the SRAM") {
    const HwConfig hw = test_hw();
    ComputeStep v = vector_step(100, 1, false);  // ceil(100/16) = 7 cycles on the unit
    v.sram_in_bytes = 10000;                     // ceil(10000/64) = 157 cycles in SRAM
    CHECK(vector_cycles(hw, v) == 7);
    CHECK(sram_cycles(hw, v) == 157);
    CHECK(step_cycles(hw, v) == 157);

    ComputeStep c = conv(10, 17, 16, 9);  // 188 cycles on the array (above)
    c.sram_weight_bytes = 17 * 16 * 9;    // 1530 input + 2448 weight bytes: 63 cycles in SRAM
    CHECK(sram_cycles(hw, c) == 63);
    CHECK(step_cycles(hw, c) == 188);
  }

  TEST_CASE("empty steps cost nothing, not a pipeline fill") {
    const HwConfig hw = test_hw();
    CHECK(mac_array_cycles(hw, conv(0, 16, 16, 9)) == 0);
    CHECK(depthwise_unit_cycles(hw, depthwise(0, 32, 9, Unit::Depthwise)) == 0);
    CHECK(step_cycles(hw, ComputeStep{}) == 0);
  }

  TEST_CASE("DMA: setup + latency + burst-rounded bytes over bandwidth") {
    const HwConfig hw = test_hw();
    // 100 B -> 2 bursts = 128 B -> ceil(12.8) = 13; 32 + 80 + 13 = 125
    CHECK(dram_busy_cycles(hw, 100) == 13);
    CHECK(dma_transfer_cycles(hw, 100) == 125);
    // 1 B still moves a whole 64 B burst: ceil(6.4) = 7
    CHECK(dram_busy_cycles(hw, 1) == 7);
    CHECK(dma_transfer_cycles(hw, 1) == 32 + 80 + 7);
    // 640 B = 10 bursts, exactly 64 cycles, in three windows of the default 4 outstanding
    // bursts: the latency thrice, then the last window's 2 bursts (128 B: ceil(12.8) = 13)
    CHECK(dma_transfer_cycles(hw, 640) == 32 + 3 * 80 + 13);
    HwConfig deep = hw;
    deep.dma.max_outstanding = 10;  // one window: the latency once, then the bus
    CHECK(dma_transfer_cycles(deep, 640) == 32 + 80 + 64);
    CHECK(dma_transfer_cycles(hw, 0) == 0);
    CHECK(dram_busy_cycles(hw, 0) == 0);
  }

  TEST_CASE("DRAM bandwidth a rounding error below a whole number costs no extra cycle") {
    HwConfig hw = test_hw();
    hw.clock_mhz = 1000;
    hw.dram.bandwidth_gbps = std::nextafter(3.0, 0.0);  // 3 bytes/cycle, less one ulp
    // 192 B = 3 bursts; 192 / 3 = 64 cycles, though the double quotient is a hair above 64.
    CHECK(dram_busy_cycles(hw, 192) == 64);
    CHECK(dram_busy_cycles(hw, 193) == 86);  // 4 bursts = 256 B: ceil(85.33) = 86
  }

  TEST_CASE("a zero divisor reaching the timing is reported by its key, not divided by") {
    HwConfig hw = test_hw();
    hw.mac_array.pf = 0;
    CHECK_THROWS_WITH_AS(mac_array_cycles(hw, conv(10, 16, 16, 9)),
                         doctest::Contains("mac_array.pf"), std::invalid_argument);
    hw = test_hw();
    hw.sram.bytes_per_cycle = 0;
    ComputeStep v = vector_step(10, 1, false);
    v.sram_in_bytes = 10;
    CHECK_THROWS_WITH_AS(step_cycles(hw, v), doctest::Contains("sram.bytes_per_cycle"),
                         std::invalid_argument);
    hw = test_hw();
    hw.dram.bandwidth_gbps = 0;
    CHECK_THROWS_AS(dma_transfer_cycles(hw, 64), std::invalid_argument);
  }

  TEST_CASE("systolic mac_array_cycles is SCALE-Sim's GEMM once per group") {
    HwConfig hw = test_hw();
    hw.mac_array.kind = ArrayKind::Systolic;
    hw.mac_array.rows = 32;
    hw.mac_array.cols = 32;
    hw.mac_array.dataflow = Dataflow::OS;
    // M=49 px, K=1024*1 tap, N=1024: ceil(49/32)=2 * ceil(1024/32)=32 = 64 folds of
    // 1024+32+32-2 = 1086 lines: 64*1086 - 1 = 69503 (no pipeline_fill added)
    CHECK(mac_array_cycles(hw, conv(49, 1024, 1024, 1)) == 69503);
    CHECK(mac_array_cycles(hw, conv(49, 1024, 1024, 1)) ==
          scalesim_compute_cycles(32, 32, Dataflow::OS, 49, 1024, 1024));
    // Two groups of half the channels: each 2*16 = 32 folds of 512+62 = 574: 2*(32*574-1)
    CHECK(mac_array_cycles(hw, conv(49, 512, 512, 1, 2)) == 2 * (32 * 574 - 1));
  }

  TEST_CASE("whole_or_ceil() is libm's round-or-ceil rule without libm") {
    auto libm = [](double c) {
      const double nearest = std::round(c);
      return static_cast<int64_t>(std::abs(c - nearest) <= 1e-9 * std::max(1.0, c) ? nearest : std::ceil(c));
    };
    // Quotients of the kind the DMA timing divides: bytes over bandwidth per cycle, whole or not.
    for (double bytes_per_cycle : {0.1, 1.0 / 3.0, 2.5, 10.0, 8e3 / 800, 12e3 / 900, 6.4, 1e-6})
      for (int64_t bytes : {int64_t{1}, int64_t{63}, int64_t{64}, int64_t{4096}, int64_t{1} << 20, int64_t{123456789},
                            int64_t{1} << 40}) {
        const double c = static_cast<double>(bytes) / bytes_per_cycle;
        CAPTURE(c);
        CHECK(whole_or_ceil(c) == libm(c));
      }
    CHECK(whole_or_ceil(2.5) == 3);
    CHECK(whole_or_ceil(3.0000000000001) == 3);  // within rounding error of a whole number
    CHECK(whole_or_ceil(0.25) == 1);
    CHECK(whole_or_ceil(1e15 + 0.5) == libm(1e15 + 0.5));
  }
}

}  // namespace nesim
