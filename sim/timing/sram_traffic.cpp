// Per-operand SRAM accesses of each unit's loop nest. docs/architecture.md ("SRAM traffic")
// writes the nests out; the systolic counts follow SCALE-Sim v2's ifmap/filter reads and ofmap
// writes per fold (systolic_compute_{os,ws,is}.py), summed in closed form.
#include "sim/timing/sram_traffic.h"

#include <algorithm>
#include <cmath>

namespace nesim {
namespace {

int64_t ceil_div(int64_t num, int64_t den) { return num <= 0 || den <= 0 ? 0 : (num + den - 1) / den; }

bool has_conv_work(const ComputeStep& s) {
  return s.out_pixels > 0 && s.in_channels > 0 && s.out_channels > 0 && s.groups > 0 && s.taps > 0;
}

// The footprint fields as they are: units that read each operand once per step.
SramTraffic footprint(const ComputeStep& s) {
  return {s.sram_in_bytes, s.sram_weight_bytes, s.sram_psum_bytes, s.sram_out_bytes};
}

// SCALE-Sim's counts for the GEMM M x K by K x N per group, in elements. The stationary operand
// is read once; a streamed operand once per fold of the other spatial dimension; WS and IS write
// each output once per fold of the reduction (their partial sums leave the array per fold).
SramTraffic systolic_traffic(const HwConfig& hw, const ComputeStep& s) {
  const int64_t m = s.out_pixels, n = s.out_channels, k = s.in_channels * s.taps;
  const int64_t rows = hw.mac_array.rows, cols = hw.mac_array.cols;
  SramTraffic t;
  switch (hw.mac_array.dataflow) {
    case Dataflow::OS: t = {m * k * ceil_div(n, cols), n * k * ceil_div(m, rows), 0, m * n}; break;
    case Dataflow::WS: t = {m * k * ceil_div(n, cols), k * n, 0, m * n * ceil_div(k, rows)}; break;
    case Dataflow::IS: t = {k * m, n * k * ceil_div(m, cols), 0, m * n * ceil_div(k, rows)}; break;
  }
  const int64_t bytes = s.groups * hw.bytes_per_element();
  int64_t* parts[] = {&t.input, &t.weight, &t.output};
  for (int64_t* p : parts) {
    const int64_t all = *p * bytes;
    if (s.fold_total <= 0) {
      *p = all;
      continue;
    }
    // Folds [begin, end) of fold_total: shares that add up to the whole over a layer's steps.
    auto upto = [&](int64_t f) { return static_cast<int64_t>(static_cast<__int128>(all) * f / s.fold_total); };
    *p = upto(s.fold_end) - upto(s.fold_begin);
  }
  return t;
}

// The PF x PF array (PF input lanes x PF output lanes), loop nest outermost first:
//   for g, for co_block (PF output channels), for p_block (accumulator_pixels() pixels),
//   for tap, for ci_block (PF input channels): load the PF x PF weight slice into registers,
//     for p in p_block: read PF inputs (broadcast over the output lanes), accumulate PF psums
//   write each pixel's PF outputs once the block's taps and ci_blocks are done.
// Inputs are read once per co_block, weights once per p_block; partial sums stay in the
// accumulators unless the compiler split the input channels over steps (sram_psum_bytes).
// Depthwise on the array is the same nest with one channel per group: each input is read once
// per tap and PF channels ride on the output lanes.
SramTraffic channel_parallel_traffic(const HwConfig& hw, const ComputeStep& s) {
  SramTraffic t = footprint(s);
  const int64_t co_blocks = ceil_div(s.out_channels, hw.mac_array.pf);
  t.input = s.groups * s.out_pixels * s.taps * s.in_channels * co_blocks * hw.bytes_per_element();
  t.weight = s.sram_weight_bytes * ceil_div(s.out_pixels, accumulator_pixels(hw));
  return t;
}

}  // namespace

int SramTraffic::streams() const {
  return (input > 0) + (weight > 0) + (output > 0) + (psum > 0 ? 2 : 0);
}

int64_t accumulator_pixels(const HwConfig& hw) { return hw.mac_array.pf; }

SramTraffic sram_traffic(const HwConfig& hw, const ComputeStep& step) {
  switch (step.unit) {
    case Unit::MacArray:
      if (!has_conv_work(step)) return {};
      return hw.mac_array.kind == ArrayKind::Systolic ? systolic_traffic(hw, step)
                                                      : channel_parallel_traffic(hw, step);
    // The dedicated unit slides a window register per lane over line buffers, so each input,
    // weight and output crosses the SRAM port once per step.
    case Unit::Depthwise: return has_conv_work(step) ? footprint(step) : SramTraffic{};
    // Elementwise: each input element read once, each result written once.
    case Unit::Vector: return step.elements > 0 ? footprint(step) : SramTraffic{};
  }
  return {};
}

double sram_pj_per_byte(const HwConfig& hw, int64_t capacity_kib) {
  const double ratio = static_cast<double>(std::max<int64_t>(capacity_kib, 1)) / kSramReferenceKib;
  return hw.energy.sram_pj_per_byte * std::pow(ratio, hw.energy.sram_size_exponent);
}

double sram_energy_pj(const HwConfig& hw, const SramTraffic& t) {
  if (hw.sram.layout == SramLayout::Unified) return static_cast<double>(t.total()) * sram_pj_per_byte(hw, hw.sram.kib);
  return static_cast<double>(t.input) * sram_pj_per_byte(hw, hw.sram.ifmap_kib) +
         static_cast<double>(t.weight) * sram_pj_per_byte(hw, hw.sram.weight_kib) +
         static_cast<double>(t.psum + t.output) * sram_pj_per_byte(hw, hw.sram.ofmap_kib);
}

}  // namespace nesim
