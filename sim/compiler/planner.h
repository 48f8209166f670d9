#pragma once
// What the compiler's passes share (internal to sim/compiler): the groups of layers they plan,
// the SRAM bookkeeping, and LayerWork, the shapes, bytes, compute steps and cost estimate of a
// network's layers on one engine, which every tiling strategy and pass reads.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/compiler/compiler.h"
#include "sim/compiler/program.h"

namespace nesim::planner {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Bytes per output channel for bias and requantisation scale (int32 each).
constexpr int64_t kChannelParamBytes = 8;

// Tiles stay in memory until the engine has run them (at least sizeof(Tile) + sizeof(ComputeStep),
// 160 bytes, each), and a big layer on a small SRAM multiplies bands by channel chunks: refused
// before they are made, rather than growing the process by gigabytes. Throws InputError.
constexpr int64_t kMaxKernelTiles = int64_t{1} << 22;
void check_tile_count(const Network& net, const Layer& l, const HwConfig& hw, int64_t bands, int64_t chunks,
                      int64_t more_chunks = 1);

struct RowRange {
  int64_t lo = 0, hi = 0;  // [lo, hi)
  int64_t size() const { return hi - lo; }
};

// SRAM bytes a plan needs at once. Streamed operands are counted twice (double buffering).
struct WorkingSet {
  int64_t in = 0, weights = 0, out = 0, scratch = 0;
  int64_t total() const { return in + weights + out + scratch; }
};

// The tensor a kernel finds resident in SRAM: at most one, the output of the kernel before it.
// (Set-like, so the planners read it as they would a set of layers.)
struct Resident {
  int layer = -1;
  size_t count(int li) const { return li >= 0 && li == layer ? 1 : 0; }
  bool empty() const { return layer < 0; }
  void clear() { layer = -1; }
  void insert(int li) { layer = li; }
};

// Layers [first, first + count), run as one kernel: groups are always contiguous.
struct Group {
  int first = 0, count = 1;
  bool fused = false;
  int front() const { return first; }
  int back() const { return first + count - 1; }
  bool contains(int li) const { return li >= first && li < first + count; }
  // first .. first + count - 1. Not std::views::iota: clang 14 (the fuzz build's compiler)
  // cannot compile it against libstdc++ 12.
  struct LayerRange {
    struct It {
      int li;
      int operator*() const { return li; }
      It& operator++() { ++li; return *this; }
      bool operator!=(const It& o) const { return li != o.li; }
    };
    int lo, hi;
    It begin() const { return {lo}; }
    It end() const { return {hi}; }
  };
  LayerRange layers() const { return {first, first + count}; }
};

// What a plan costs, in the order plans are ranked: engine cycles, then DRAM bytes, then tiles.
struct PlanCost {
  int64_t cycles = 0, dram_bytes = 0, tiles = 0;
};
bool operator<(const PlanCost& a, const PlanCost& b);

// The best of the plans a strategy builds one by one (LayerWork::offer()).
struct BestPlan {
  std::optional<Kernel> kernel;
  PlanCost cost;
};

// Every distinct number of equal bands `extent` rows (or channels) split into: 1, 2, 3, ...,
// leaving out a count whose bands are as high as a smaller count's (ceil(extent / n) the same).
inline std::vector<int64_t> distinct_band_counts(int64_t extent) {
  std::vector<int64_t> counts;
  for (int64_t n = 1; n <= extent; ++n)
    if (ceil_div(extent, ceil_div(extent, n)) == n) counts.push_back(n);
  return counts;
}

// A tiling a strategy may build, with its closed-form cost (pipeline_estimate()) and whatever
// the strategy needs to build it (its own indices into `shape`).
struct Candidate {
  int64_t cycles = 0, dram_bytes = 0, tiles = 0;
  int64_t shape[4] = {0, 0, 0, 0};
};

// How many of a strategy's candidates, best closed form first, are built and replayed: three
// where the closed form was within 1/32 of each replay, else up to twelve. Once loads overlap
// (issue 12) the closed form misranks DRAM-bound tilings by a few percent, and with three
// replayed, more SRAM could pick a slower plan (test_monotonicity).
constexpr int kReplayedCandidates = 12, kTrustedReplayedCandidates = 3;

// Shapes, bytes and compute steps of a network's layers on one engine (layer_work.cpp), and the
// cost estimate that ranks plans (estimate.cpp). Stateless past construction: copies are cheap
// (two references and an int) and every member is const.
class LayerWork {
 public:
  LayerWork(const Network& net, const HwConfig& hw)
      : net_(net), hw_(hw), bpe_(hw.bytes_per_element()), dram_bytes_per_cycle_(hw.dram_bytes_per_cycle()) {}

  const Network& net() const { return net_; }
  const HwConfig& hw() const { return hw_; }
  const Layer& layer(int i) const { return net_.layers[i]; }
  const Shape& in_shape(int i, int k = 0) const { return net_.in_shape(net_.layers[i], k); }
  int64_t tensor_bytes(int i) const { return net_.layers[i].out.elements() * bpe_; }
  // SRAM already taken while layer `li` runs: its inputs that stay resident, and its output if it will.
  int64_t reserved_bytes(int li, const Resident& resident_in, bool out_resident) const {
    int64_t bytes = out_resident ? tensor_bytes(li) : 0;
    for (int in : layer(li).inputs)
      if (resident_in.count(in)) bytes += tensor_bytes(in);
    return bytes;
  }
  // Whether a working set fits the SRAM beside `reserved` bytes (per buffer when SRAM is split).
  bool fits(const WorkingSet& ws, int64_t reserved) const;
  // Weight and per-channel parameter bytes of `chunk_channels` output channels (groups when g > 1).
  int64_t weight_bytes(int li, int64_t chunk_channels) const;
  // Input rows that output rows `out_rows` of layer `li` read (halo included, clipped to the input).
  RowRange input_rows(int li, RowRange out_rows) const;
  // The compute step of a conv / FC layer producing `rows_out` output rows of `chunk` channels
  // (g == 1) or `chunk` whole groups (g > 1).
  ComputeStep conv_step(int li, int64_t rows_out, int64_t chunk) const;
  // Vector-unit work of layer `li` over `rows_out` output rows (the whole layer for pools to 1x1).
  std::vector<ComputeStep> vector_steps(int li, int64_t rows_out) const;
  // A squeeze-and-excite layer's work, step by step (its tiler and fused blocks build from these):
  // one vector pass over `elements` of its input, pooling them (scale false) or scaling them by
  // the gates (scale true); an FC on the pooled vector from `in` to `out` channels; the gate
  // activation over `channels`.
  ComputeStep se_pass_step(int li, int64_t elements, bool scale) const;
  ComputeStep se_fc_step(int li, int64_t in, int64_t out) const;
  ComputeStep se_gate_step(int li, int64_t channels) const;

  // Cycles a kernel of `tiles` tiles should take on the engine's pipeline, in closed form, from
  // its totals: bytes, compute cycles and non-empty load transfers, and the first tile's
  // (estimate.cpp). Ranks candidates before any is built.
  int64_t pipeline_estimate(int64_t tiles, int64_t first_load_bytes, int64_t load_bytes, int64_t store_bytes,
                            int64_t compute_cycles, int64_t load_transfers, int64_t first_load_transfers) const;
  // The engine's cycles for a planned kernel on an idle engine: replay_kernel_cycles().
  int64_t kernel_estimate(const Kernel& k) const;
  // A bound the replay can never beat, from one pass over the tiles: the first loads, every head
  // one after the other (one computer), the last tail and the last store; or every transfer's bus
  // time; or the vector unit's or the SRAM port's total; or every transfer piece's channel time
  // (setup and dma_stream_cycles()) spread over the channels. best_of() skips replaying a built
  // candidate whose bound is already above the best replay (it could not win or tie).
  int64_t kernel_lower_bound(const Kernel& k) const;
  // The kernel's cost; fills k.summary (summarize_kernel(), which replays it) when unset.
  PlanCost plan_cost(Kernel& k) const;
  // Keeps `k` in `best` when it costs less (plan_cost()); not replayed when its lower bound
  // already exceeds the best's cycles (it could not win or tie).
  void offer(BestPlan& best, Kernel&& k) const;
  // The best plan among the candidates: the kReplayedCandidates best by closed form are built
  // and ranked by plan_cost(). Candidates over kMaxKernelTiles tiles are skipped unless nothing
  // else fits (then building it throws the InputError of check_tile_count()). nullopt if empty.
  std::optional<Kernel> best_of(std::vector<Candidate>& candidates,
                                const std::function<Kernel(const Candidate&)>& build) const;

 protected:
  // dram_busy_cycles(hw_, bytes), with the division worked out once: pipeline_estimate() asks it
  // for thousands of candidate tilings per layer.
  int64_t busy_cycles(int64_t bytes) const;

  const Network& net_;
  const HwConfig& hw_;
  int bpe_;
  double dram_bytes_per_cycle_;
};


}  // namespace nesim::planner
