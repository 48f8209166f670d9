#pragma once
// A compiled network: what the engine executes. The compiler turns each group of layers it can
// run together (a kernel: a conv with its BN and activation, or a whole IBN block kept in SRAM)
// into a stream of tiles; each tile loads bytes from DRAM, runs compute steps on engine units and
// stores bytes back. The engine derives all timing from this description and the HwConfig.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/network.h"
#include "sim/hw/hw_config.h"

namespace nesim {

enum class Unit { MacArray, Depthwise, Vector };
const char* unit_name(Unit u);  // "mac_array", "depthwise", "vector"

// One unit of compute work on one tile. The engine's units turn it into cycles (unit_timing.h).
struct ComputeStep {
  int layer = -1;               // index into Network::layers this work belongs to
  Unit unit = Unit::MacArray;
  // MacArray / Depthwise: a (grouped) convolution or GEMM slice.
  int64_t out_pixels = 0;       // output positions in this tile (H_tile * W_tile)
  int64_t in_channels = 0;      // reduction channels per group
  int64_t out_channels = 0;     // output channels per group
  int64_t groups = 1;
  int64_t taps = 1;             // kernel_h * kernel_w
  // Vector: elementwise work.
  int64_t elements = 0;
  int64_t ops_per_element = 1;
  bool special_fn = false;      // sigmoid / swish / bilinear weights: uses the LUT path
  // What the step's tile holds in SRAM, per operand (distinct bytes, halo included). The unit's
  // loop nest turns these and the geometry above into SRAM accesses (sim/timing/sram_traffic.h).
  int64_t sram_in_bytes = 0;      // input activations (all inputs of an elementwise step)
  int64_t sram_weight_bytes = 0;  // weights and per-channel parameters
  int64_t sram_out_bytes = 0;     // final outputs, written once (0 when the step leaves psums)
  // Partial sums read back from and spilled to SRAM at accumulator width (reads + writes), when
  // a layer's input channels are split over tiles (conv_split); 0 otherwise.
  int64_t sram_psum_bytes = 0;
  // Systolic arrays: the step runs folds [fold_begin, fold_end) of the fold_total folds of its
  // layer's GEMM (M=out_pixels, N=out_channels, K=in_channels*taps, repeated per group), in
  // SCALE-Sim's order; closes_layer marks the step with the layer's last fold. fold_total == 0:
  // the step is the whole GEMM.
  int64_t fold_begin = 0, fold_end = 0, fold_total = 0;
  bool closes_layer = false;
  int64_t macs() const {
    int64_t all = out_pixels * in_channels * out_channels * groups * taps;
    return fold_total > 0 ? all * (fold_end - fold_begin) / fold_total : all;
  }
  bool operator==(const ComputeStep&) const = default;
};

struct Tile {
  int64_t load_ifmap_bytes = 0;   // DRAM -> SRAM before compute (activations, halo included)
  int64_t load_weight_bytes = 0;  // DRAM -> SRAM before compute (weights, biases)
  int64_t store_bytes = 0;        // SRAM -> DRAM after compute
  std::vector<ComputeStep> steps; // run in order on one tile
  bool operator==(const Tile&) const = default;
};

// What a kernel's tiles add up to on an idle engine (each unit's closed form, each transfer alone
// on the DRAM bus), worked out once when the compiler plans the kernel so that the regressor's
// features need not walk the tiles per query. summarize_kernel() (kernel_summary.h) computes it.
struct KernelSummary {
  int64_t compute_cycles = 0;             // tile_compute_cycles() over every tile
  int64_t mac_cycles = 0, depthwise_cycles = 0, vector_cycles = 0;  // the same, per unit
  int64_t max_tile_compute_cycles = 0;
  int64_t macs = 0;                       // MAC-array and depthwise steps
  int64_t load_ifmap_bytes = 0, load_weight_bytes = 0, store_bytes = 0;
  int64_t dram_busy_cycles = 0;           // bandwidth part of every transfer
  int64_t transfers = 0;                  // non-empty DMA transfers
  int64_t first_load_cycles = 0;          // the first tile's loads, one after the other
  int64_t first_load_bytes = 0;
  int64_t last_store_cycles = 0;
  // The double-buffered load -> compute -> store pipeline without DRAM contention.
  int64_t pipeline_cycles = 0;
  // The engine's cycles for the kernel on an idle engine: replay_kernel_cycles()
  // (sim/timing/pipeline_replay.h), what the compiler ranks plans by.
  int64_t engine_cycles = 0;
  bool operator==(const KernelSummary&) const = default;
};

struct Kernel {
  std::string name;               // e.g. "s2b1" (fused block) or the layer name
  std::string kind;               // "conv", "dwconv", "fused_ibn", "ibn", "fc", "pool", "eltwise", "se", ...
  std::vector<int> layers;        // original layers covered, in execution order
  // DRAM bytes each covered layer causes (parallel to `layers`): its weights, the kernel input
  // for the layers that read it, the kernel output for the layer that produces it.
  std::vector<int64_t> layer_read_bytes, layer_write_bytes;
  std::vector<Tile> tiles;
  int64_t sram_peak_bytes = 0;    // working set with double buffering
  bool input_from_dram = true;    // false when the producer left its output resident in SRAM
  bool output_to_dram = true;     // false when the output stays resident for the next kernel
  // compile() fills it for the Program's HwConfig; empty on kernels built by hand. Code that
  // edits `tiles` afterwards must reset it (or call summarize_kernel() again).
  std::optional<KernelSummary> summary;
  bool operator==(const Kernel&) const = default;
};

// What the records need to know of each network layer (indexed like Network::layers).
struct LayerInfo {
  std::string name, op, unit;     // op as layer_op_name(); unit that runs it ("" for inputs)
  int64_t macs = 0, params = 0;
  bool operator==(const LayerInfo&) const = default;
};

struct Program {
  std::string model;
  HwConfig hw;
  std::vector<LayerInfo> layer_info;
  std::vector<Kernel> kernels;    // execution order
  int64_t batch = 1;              // images run (batch.h); layer_info's MACs count all of them
  bool operator==(const Program&) const = default;
};

}  // namespace nesim
