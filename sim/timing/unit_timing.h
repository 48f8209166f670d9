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

// A tile's compute on the engine: its steps one after the other, but no less than the SRAM port
// needs for the steps' operands plus the tile's DMA fills and drains (its loads and its store
// cross the same port): max(sum of step_cycles, ceil((steps' SRAM access bytes, sram_traffic.h, + DMA bytes) /
// bytes_per_cycle)). A tile without steps has no datapath to contend with (0): its DMA bytes
// cross the port while they stream, far below the port's rate.
int64_t tile_compute_cycles(const HwConfig& hw, const Tile& tile);
// The port part of that: ceil((steps' SRAM access bytes + the tile's DMA bytes) / bytes_per_cycle),
// 0 for a tile without steps.
int64_t tile_port_cycles(const HwConfig& hw, const Tile& tile);

// How the engine pipelines a tile's compute with its neighbours'. A tile's steps split into a
// head (every step up to its last MAC-array or depthwise step; all of them if it has none) and a
// tail (the vector steps after it: activation, residual add, requantisation of the output). The
// tail works on the tile's output buffer, which is double-buffered already, so the vector unit
// finishes tile i while the MAC array runs tile i+1's head. A vector step inside the head (an
// activation between a fused block's convolutions) feeds the next step through a single buffer:
// it waits for the previous tile's tail and stays in line with its own tile. The SRAM port is a
// third stage: each tile holds it for `port` cycles (its steps' accesses plus its DMA fills and
// drains), tile after tile, so the steps never move more bytes than the port carries. With
// V = tile i-1's tail end, h0 = when tile i's head starts (loaded, tile i-1's head done, tile i-2
// stored) and P = tile i-1's port end:
//   head_end = head_vector ? max(h0 + pre, V) + rest : h0 + pre
//   tail_end = max(head_end, V) + tail,  port_end = max(P, h0) + port
//   computed = max(tail_end, port_end)
struct TileStages {
  int64_t pre = 0;    // the head's cycles before its first vector step (all of it if none)
  int64_t rest = 0;   // the head's cycles from its first vector step on
  int64_t tail = 0;   // the trailing vector steps' cycles
  int64_t port = 0;   // tile_port_cycles()
  bool head_vector = false;  // the head has a vector step
  bool operator==(const TileStages&) const = default;
};
TileStages tile_stages(const HwConfig& hw, const Tile& tile);
// Index of the tile's first tail step (steps.size() when the tail is empty).
size_t tile_tail_begin(const Tile& tile);

// One DMA transfer alone on one channel of an idle DRAM: setup + dma_stream_cycles().
int64_t dma_transfer_cycles(const HwConfig& hw, int64_t bytes);
int64_t dram_busy_cycles(const HwConfig& hw, int64_t bytes);  // the bandwidth part alone
// A cycle count worked out as a quotient of two decimal settings (rarely exact in binary): the
// whole number within 1e-9 (relative) of it, else its ceiling. Defined for 0 < cycles < 4e18;
// the callers check the range. Integer arithmetic: no libm call (it shows in the planner's profile).
inline int64_t whole_or_ceil(double cycles) {
  const auto floor = static_cast<int64_t>(cycles);  // truncation is the floor for positive values
  const double frac = cycles - static_cast<double>(floor);
  const int64_t nearest = frac >= 0.5 ? floor + 1 : floor;
  const double off = cycles - static_cast<double>(nearest);
  if ((off < 0 ? -off : off) <= 1e-9 * (cycles > 1.0 ? cycles : 1.0)) return nearest;
  return frac > 0 ? floor + 1 : floor;
}
// From the end of a transfer's setup to its last byte, alone on one channel of an idle DRAM. The
// channel keeps at most W = dma.max_outstanding bursts in flight, so it streams no faster than W
// bursts per DRAM latency (Little's law): with n bursts in ceil(n/W) windows,
// latency + max(dram_busy_cycles(n bursts), (windows - 1) * latency + dram_busy_cycles(last window)).
// One window (n <= W) costs latency + dram_busy_cycles, as a transfer always did.
int64_t dma_stream_cycles(const HwConfig& hw, int64_t bytes);
// A transfer of more than one window is split over the channels so that their windows overlap:
// min(dma.channels, windows) pieces (1 for bytes <= W bursts; 0 for no bytes). Piece i of them
// holds whole bursts, the first ones one burst more where they do not divide evenly, and the last
// one the rest of the bytes.
int dma_pieces(const HwConfig& hw, int64_t bytes);
// A transfer split so, alone on an idle DRAM: setup + max(the largest piece's
// dma_stream_cycles(), latency + dram_busy_cycles() of all of it). One piece: dma_transfer_cycles().
int64_t dma_split_transfer_cycles(const HwConfig& hw, int64_t bytes);
int64_t dma_piece_bytes(const HwConfig& hw, int64_t bytes, int pieces, int i);
// The bus cycles piece i reserves: dram_busy_cycles() of the bytes up to its end, less that of
// the bytes before it, so that the pieces add up to the whole transfer's cycles exactly (rounding
// each piece up would make more channels cost bus time).
int64_t dma_piece_busy_cycles(const HwConfig& hw, int64_t bytes, int pieces, int i);

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
