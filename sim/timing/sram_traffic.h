#pragma once
// How many bytes each unit really moves between SRAM and its datapath for one step, split by
// operand, Timeloop/Accelergy-style: each unit's dataflow is a loop nest with some operands held
// in registers inside the unit, and an operand is read again each time the loop around its
// register changes. docs/architecture.md ("SRAM traffic") writes the loop nests out. The same
// counts give the step's SRAM cycles (unit_timing.h) and its SRAM energy (engine.cpp).
#include <cstdint>

#include "sim/compiler/program.h"
#include "sim/hw/hw_config.h"

namespace nesim {

// Width of a partial sum: int32 accumulators for int8, fp32 for fp16.
inline constexpr int64_t kPsumBytes = 4;
// SRAM energy per byte is hw.energy.sram_pj_per_byte at this capacity (see sram_pj_per_byte()).
inline constexpr int64_t kSramReferenceKib = 32;

// Bytes read or written in SRAM by one step, per operand (reads + writes).
struct SramTraffic {
  int64_t input = 0;   // input activations read
  int64_t weight = 0;  // weights (and per-channel parameters) read
  int64_t psum = 0;    // partial sums read back and written, accumulator width
  int64_t output = 0;  // outputs written
  int64_t total() const { return input + weight + psum + output; }
  // Operand streams that move data: psum counts twice (a read stream and a write stream).
  int streams() const;
  SramTraffic& operator+=(const SramTraffic& o) {
    input += o.input, weight += o.weight, psum += o.psum, output += o.output;
    return *this;
  }
  bool operator==(const SramTraffic&) const = default;
};

// The step's accesses under its unit's loop nest (the mapping for hw's array kind and dataflow).
SramTraffic sram_traffic(const HwConfig& hw, const ComputeStep& step);

// Output pixels whose partial sums the channel-parallel array keeps in its accumulators at once:
// a weight slice loaded into the PF x PF weight registers is used for this many pixels.
int64_t accumulator_pixels(const HwConfig& hw);

// Energy of one byte read or written in an SRAM buffer of `capacity_kib`, CACTI-like:
// sram_pj_per_byte * (capacity_kib / 32)^sram_size_exponent (docs/architecture.md, "SRAM energy").
double sram_pj_per_byte(const HwConfig& hw, int64_t capacity_kib);
// The traffic's SRAM energy: each operand at the energy per byte of the buffer that holds it
// (unified: sram.kib for all; split: ifmap_kib, weight_kib, ofmap_kib for outputs and psums).
double sram_energy_pj(const HwConfig& hw, const SramTraffic& traffic);

}  // namespace nesim
