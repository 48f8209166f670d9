#pragma once
// Closed-form timing of each engine unit for one piece of work. The SystemC modules call these to
// annotate their delays; module tests check the modules against them; the regressor's features
// mirror them. All results are in engine clock cycles.
#include <cstdint>

#include "sim/compiler/program.h"
#include "sim/hw/hw_config.h"

namespace nesim {

// Channel-parallel array: per output pixel and group, ceil(Cin_g/PF) * ceil(Cout_g/PF) * taps
// cycles, plus pipeline fill once per step. Systolic array: SCALE-Sim v2's compute cycles for the
// GEMM M=out_pixels, K=in_channels*taps, N=out_channels, once per group.
int64_t mac_array_cycles(const HwConfig& hw, const ComputeStep& step);
// Depthwise work on the dedicated unit (DepthwiseMode::Dedicated).
int64_t depthwise_unit_cycles(const HwConfig& hw, const ComputeStep& step);
// ceil(elements * ops_per_element / lanes), plus the LUT cost for special functions.
int64_t vector_cycles(const HwConfig& hw, const ComputeStep& step);
// Cycles the SRAM needs to move a step's accesses (sram_traffic.h): ceil(bytes * S / (bytes_per_cycle *
// min(S, banks))) for its S operand streams, so fewer banks than streams serialise them.
int64_t sram_cycles(const HwConfig& hw, const ComputeStep& step);
// What the engine charges for a step: max(unit cycles, SRAM cycles).
int64_t step_cycles(const HwConfig& hw, const ComputeStep& step);

// One DMA transfer alone on an idle DRAM: setup + latency + ceil(burst-rounded bytes / bandwidth).
int64_t dma_transfer_cycles(const HwConfig& hw, int64_t bytes);
int64_t dram_busy_cycles(const HwConfig& hw, int64_t bytes);  // the bandwidth part alone

// SCALE-Sim v2 compute cycles (InterfaceBandwidth: CALC, so no stalls) for one GEMM-shaped
// layer on a rows x cols array with the given dataflow. M: ofmap pixels, N: filters,
// K: filter window size (R*S*C).
int64_t scalesim_compute_cycles(int rows, int cols, Dataflow df, int64_t m, int64_t n, int64_t k);

// The two factors of that formula: SCALE-Sim's cycles are folds * fold_lines - 1.
struct SystolicFolds {
  int64_t folds = 0, fold_lines = 0;
};
SystolicFolds scalesim_folds(int rows, int cols, Dataflow df, int64_t m, int64_t n, int64_t k);

}  // namespace nesim
