// Per-operand SRAM accesses (sim/timing/sram_traffic.h) against counts made by walking each
// unit's loop nest element by element, the bank model, and SRAM energy by capacity.
#include <algorithm>
#include <cstdint>

#include <doctest/doctest.h>

#include "sim/hw/hw_config.h"
#include "sim/timing/sram_traffic.h"
#include "sim/timing/unit_timing.h"
#include "sim/util/error.h"

namespace nesim {
namespace {

HwConfig test_hw() {
  HwConfig hw;
  hw.precision = Precision::Int8;
  hw.mac_array.kind = ArrayKind::ChannelParallel;
  hw.mac_array.pf = 16;
  hw.mac_array.pipeline_fill_cycles = 8;
  hw.sram.bytes_per_cycle = 64;
  hw.sram.banks = 8;
  hw.sram.kib = 512;
  hw.energy.sram_pj_per_byte = 1.0;
  hw.energy.sram_size_exponent = 0.5;
  return hw;
}

ComputeStep conv(int64_t out_pixels, int64_t cin, int64_t cout, int64_t taps) {
  ComputeStep s;
  s.unit = Unit::MacArray;
  s.out_pixels = out_pixels, s.in_channels = cin, s.out_channels = cout, s.taps = taps;
  s.sram_weight_bytes = cin * cout * taps;  // int8, no per-channel parameters
  s.sram_out_bytes = out_pixels * cout;
  return s;
}

// The channel-parallel nest of docs/architecture.md, one element at a time.
SramTraffic walk_channel_parallel(int64_t pf, int64_t pixels, int64_t cin, int64_t cout, int64_t taps) {
  SramTraffic t;
  const int64_t block_pixels = pf;  // accumulator_pixels()
  for (int64_t co0 = 0; co0 < cout; co0 += pf) {
    const int64_t co_n = std::min(pf, cout - co0);
    for (int64_t p0 = 0; p0 < pixels; p0 += block_pixels) {
      const int64_t p_n = std::min(block_pixels, pixels - p0);
      for (int64_t tap = 0; tap < taps; ++tap)
        for (int64_t ci0 = 0; ci0 < cin; ci0 += pf) {
          const int64_t ci_n = std::min(pf, cin - ci0);
          t.weight += ci_n * co_n;                             // the PF x PF slice
          for (int64_t p = 0; p < p_n; ++p) t.input += ci_n;  // PF inputs per cycle
        }
      t.output += p_n * co_n;  // accumulators written once
    }
  }
  return t;
}

// SCALE-Sim v2's per-fold bookkeeping (ifmap_reads, filter_reads, ofmap_writes), fold by fold.
SramTraffic walk_scalesim(int64_t rows, int64_t cols, Dataflow df, int64_t m, int64_t n, int64_t k) {
  int64_t sr = m, sc = n, t = k;
  if (df == Dataflow::WS) sr = k, sc = n, t = m;
  if (df == Dataflow::IS) sr = k, sc = m, t = n;
  SramTraffic out;
  for (int64_t c0 = 0; c0 < sc; c0 += cols)
    for (int64_t r0 = 0; r0 < sr; r0 += rows) {
      const int64_t r_used = std::min(rows, sr - r0), c_used = std::min(cols, sc - c0);
      switch (df) {
        case Dataflow::OS: out += {r_used * t, c_used * t, 0, r_used * c_used}; break;
        case Dataflow::WS: out += {t * r_used, r_used * c_used, 0, t * c_used}; break;
        case Dataflow::IS: out += {r_used * c_used, t * r_used, 0, t * c_used}; break;
      }
    }
  return out;
}

}  // namespace

TEST_SUITE("unit: SRAM traffic per operand") {
  TEST_CASE("a 3x3 conv, 20 -> 20 channels over 20 pixels, by hand") {
    const HwConfig hw = test_hw();
    const SramTraffic t = sram_traffic(hw, conv(20, 20, 20, 9));
    // Inputs: 20 pixels x 9 taps x 20 channels, once per output block (2 blocks of 16 and 4).
    CHECK(t.input == 20 * 9 * 20 * 2);
    // Weights: 3600 bytes, once per block of 16 pixels (2 blocks).
    CHECK(t.weight == 3600 * 2);
    CHECK(t.psum == 0);  // the accumulators hold every sum
    CHECK(t.output == 20 * 20);
    CHECK(t.streams() == 3);
    CHECK(sram_cycles(hw, conv(20, 20, 20, 9)) == (7200 + 7200 + 400 + 63) / 64);
  }

  TEST_CASE("the closed form equals the loop nest walked element by element") {
    const HwConfig hw = test_hw();
    for (int64_t pixels : {1, 15, 16, 17, 56})
      for (int64_t cin : {1, 3, 16, 40})
        for (int64_t cout : {1, 16, 33})
          for (int64_t taps : {1, 9}) {
            CAPTURE(pixels);
            CAPTURE(cin);
            CAPTURE(cout);
            CAPTURE(taps);
            const SramTraffic want = walk_channel_parallel(16, pixels, cin, cout, taps);
            CHECK(sram_traffic(hw, conv(pixels, cin, cout, taps)) == want);
          }
  }

  TEST_CASE("systolic counts are SCALE-Sim's ifmap, filter and ofmap counts summed over folds") {
    HwConfig hw = test_hw();
    hw.mac_array.kind = ArrayKind::Systolic;
    hw.mac_array.rows = 4, hw.mac_array.cols = 8;
    for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS}) {
      hw.mac_array.dataflow = df;
      CAPTURE(to_string(df));
      for (int64_t m : {3, 10, 33})
        for (int64_t n : {5, 8, 17})
          for (int64_t cin : {1, 6})
            for (int64_t taps : {1, 9}) {
              CAPTURE(m);
              CAPTURE(n);
              CAPTURE(cin);
              CAPTURE(taps);
              ComputeStep s = conv(m, cin, n, taps);
              CHECK(sram_traffic(hw, s) == walk_scalesim(4, 8, df, m, n, cin * taps));
            }
    }
    // Slices of a layer's folds add up to the whole layer.
    hw.mac_array.dataflow = Dataflow::WS;
    ComputeStep whole = conv(33, 6, 17, 9);
    SramTraffic sum;
    for (int64_t f = 0; f < 7; ++f) {
      ComputeStep part = whole;
      part.fold_total = 7, part.fold_begin = f, part.fold_end = f + 1;
      sum += sram_traffic(hw, part);
    }
    CHECK(sum == sram_traffic(hw, whole));
  }

  TEST_CASE("a fully connected layer reads PF x PF weight bytes per cycle: SRAM-bound at 64 B") {
    const HwConfig hw = test_hw();
    ComputeStep fc = conv(1, 1024, 256, 1);
    CHECK(sram_traffic(hw, fc).weight == 1024 * 256);
    CHECK(sram_cycles(hw, fc) > mac_array_cycles(hw, fc));
    CHECK(step_cycles(hw, fc) == sram_cycles(hw, fc));
  }

  TEST_CASE("fewer banks than streams serialise them; more banks or width never add cycles") {
    HwConfig hw = test_hw();
    const ComputeStep s = conv(56, 64, 64, 1);  // three streams
    hw.sram.banks = 3;
    const int64_t side_by_side = sram_cycles(hw, s);
    hw.sram.banks = 1;
    CHECK(sram_cycles(hw, s) == 3 * side_by_side);
    int64_t prev = sram_cycles(hw, s);
    for (int banks = 2; banks <= 16; ++banks) {
      hw.sram.banks = banks;
      CHECK(sram_cycles(hw, s) <= prev);
      prev = sram_cycles(hw, s);
    }
    CHECK(prev == side_by_side);
    prev = INT64_MAX;
    for (int width : {8, 16, 64, 256}) {
      hw.sram.bytes_per_cycle = width;
      CHECK(sram_cycles(hw, s) <= prev);
      prev = sram_cycles(hw, s);
    }
  }

  TEST_CASE("conv_split partial sums count as a read and a write stream") {
    const HwConfig hw = test_hw();
    ComputeStep s = conv(16, 16, 16, 1);
    s.sram_out_bytes = 0;
    s.sram_psum_bytes = 2 * 16 * 16 * kPsumBytes;
    const SramTraffic t = sram_traffic(hw, s);
    CHECK(t.psum == 2048);
    CHECK(t.streams() == 4);
  }

  TEST_CASE("SRAM energy per byte grows with capacity, per buffer") {
    HwConfig hw = test_hw();
    CHECK(sram_pj_per_byte(hw, kSramReferenceKib) == doctest::Approx(1.0));
    CHECK(sram_pj_per_byte(hw, 512) == doctest::Approx(4.0));
    double prev = 0;
    for (int64_t kib : {16, 32, 64, 128, 256, 512, 1024, 2048, 4096}) {
      CHECK(sram_pj_per_byte(hw, kib) > prev);
      prev = sram_pj_per_byte(hw, kib);
    }
    hw.energy.sram_size_exponent = 0;
    CHECK(sram_pj_per_byte(hw, 4096) == doctest::Approx(1.0));
    // Split: each operand at its own buffer's energy.
    hw.energy.sram_size_exponent = 0.5;
    hw.sram.layout = SramLayout::Split;
    hw.sram.ifmap_kib = 32, hw.sram.weight_kib = 128, hw.sram.ofmap_kib = 512;
    CHECK(sram_energy_pj(hw, {100, 0, 0, 0}) == doctest::Approx(100.0));
    CHECK(sram_energy_pj(hw, {0, 100, 0, 0}) == doctest::Approx(200.0));
    CHECK(sram_energy_pj(hw, {0, 0, 50, 50}) == doctest::Approx(400.0));
  }

  TEST_CASE("bad sram.banks and energy.sram_size_exponent values are input errors") {
    HwConfig hw;
    for (const char* bad : {"0", "-1", "1025", "2.5", "many"})
      CHECK_THROWS_AS(set_hw_key(hw, "sram.banks", bad, "test"), InputError);
    for (const char* bad : {"-0.1", "3", "nan"})
      CHECK_THROWS_AS(set_hw_key(hw, "energy.sram_size_exponent", bad, "test"), InputError);
    set_hw_key(hw, "sram.banks", "3", "test");
    CHECK(hw.sram.banks == 3);
  }
}

}  // namespace nesim
