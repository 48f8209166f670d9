#include "sim/compiler/kernel_summary.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "sim/timing/pipeline_replay.h"
#include "sim/timing/unit_timing.h"
#include "sim/util/checked.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

// What one tile costs on its own: DMA transfers alone on an idle DRAM, compute per unit.
struct TileCost {
  int64_t load_ifmap = 0, load_weights = 0, store = 0;  // dma_split_transfer_cycles
  int64_t busy = 0, load_busy = 0, transfers = 0;       // DRAM bus cycles (all, loads), transfers
  int64_t load_pieces = 0;                              // dma_pieces() of both loads
  int64_t compute = 0, mac = 0, dw = 0, vec = 0, macs = 0;
};

// Bytewise over the two runs of int64 fields, which is what makes the per-tile check cheap.
// A new ComputeStep field must be added here: the size check below stops the build until it is.
static_assert(sizeof(ComputeStep) == 136, "ComputeStep changed: update same_step()");
bool same_step(const ComputeStep& a, const ComputeStep& b) {
  constexpr size_t kRun1 = offsetof(ComputeStep, out_pixels), kLen1 = offsetof(ComputeStep, special_fn) - kRun1;
  constexpr size_t kRun2 = offsetof(ComputeStep, sram_in_bytes), kLen2 = offsetof(ComputeStep, closes_layer) - kRun2;
  auto bytes = [](const ComputeStep& s) { return reinterpret_cast<const char*>(&s); };
  return a.unit == b.unit && a.special_fn == b.special_fn && a.closes_layer == b.closes_layer &&
         std::memcmp(bytes(a) + kRun1, bytes(b) + kRun1, kLen1) == 0 &&
         std::memcmp(bytes(a) + kRun2, bytes(b) + kRun2, kLen2) == 0;
}

// Tiles of a kernel are mostly repeats of one or two shapes (edge bands and the last channel
// chunk differ), so a tile equal to a recent one reuses its cost: the closed forms run a few
// times per kernel, not per tile.
bool same_work(const Tile& a, const Tile& b) {
  if (a.load_ifmap_bytes != b.load_ifmap_bytes || a.load_weight_bytes != b.load_weight_bytes ||
      a.store_bytes != b.store_bytes || a.steps.size() != b.steps.size())
    return false;
  for (size_t i = 0; i < a.steps.size(); ++i)
    if (!same_step(a.steps[i], b.steps[i])) return false;
  return true;
}

TileCost tile_cost(const Tile& t, const HwConfig& hw) {
  TileCost c;
  int64_t* transfer[] = {&c.load_ifmap, &c.load_weights, &c.store};
  int64_t bytes[] = {t.load_ifmap_bytes, t.load_weight_bytes, t.store_bytes};
  for (int i = 0; i < 3; ++i) {
    if (bytes[i] <= 0) continue;
    int64_t busy = dram_busy_cycles(hw, bytes[i]);
    *transfer[i] = dma_split_transfer_cycles(hw, bytes[i]);
    c.busy += busy;
    if (i < 2) c.load_busy += busy, c.load_pieces += dma_pieces(hw, bytes[i]);
    c.transfers += 1;
  }
  for (const ComputeStep& s : t.steps) {
    int64_t cycles = step_cycles(hw, s);
    c.compute += cycles;
    (s.unit == Unit::MacArray ? c.mac : s.unit == Unit::Depthwise ? c.dw : c.vec) += cycles;
    if (s.unit != Unit::Vector) c.macs += s.macs();
  }
  c.compute = tile_compute_cycles(hw, t);  // the SRAM port may bind once DMA bytes count too
  return c;
}

// The costs of the last two distinct tile shapes: kernels alternate between two shapes when the
// weights loop is outside (a full and a last channel chunk per band).
class TileCostCache {
 public:
  explicit TileCostCache(const HwConfig& hw) : hw_(hw) {}
  const TileCost& cost(const Tile& t) {
    if (tile_[0] && same_work(t, *tile_[0])) return cost_[0];
    std::swap(tile_[0], tile_[1]);
    std::swap(cost_[0], cost_[1]);
    if (!tile_[0] || !same_work(t, *tile_[0])) {
      tile_[0] = &t;
      cost_[0] = tile_cost(t, hw_);
    }
    return cost_[0];
  }

 private:
  const HwConfig& hw_;
  const Tile* tile_[2] = {nullptr, nullptr};
  TileCost cost_[2];
};

}  // namespace

KernelSummary summarize_kernel(const Kernel& k, const HwConfig& hw) {
  KernelSummary s;
  // Tile i loads once tile i-2 has computed (its loads overlap tile i-1's, but cannot end before
  // them plus their own bus time), computes once tile i-2 is stored (double buffers).
  int64_t load_end = 0, comp_end = 0, store_end = 0, comp_end2 = 0, store_end2 = 0;
  TileCostCache cache(hw);
  // A count past int64 comes from a huge layer on a slow engine; it is named, not wrapped.
  auto sum = [&](int64_t a, int64_t b) {
    const std::optional<int64_t> v = checked::add(a, b);
    if (!v)
      throw input_error("kernel '{}': its cycle or byte count overflows int64 ({} tiles on {} GB/s DRAM at {} MHz)",
                        k.name, k.tiles.size(), hw.dram.bandwidth_gbps, hw.clock_mhz);
    return *v;
  };
  for (size_t i = 0; i < k.tiles.size(); ++i) {
    const Tile& t = k.tiles[i];
    const TileCost& c = cache.cost(t);
    if (i == 0) {
      s.first_load_cycles = c.load_ifmap + c.load_weights;
      s.first_load_bytes = t.load_ifmap_bytes + t.load_weight_bytes;
    }
    s.last_store_cycles = c.store;
    s.compute_cycles = sum(s.compute_cycles, c.compute);
    s.mac_cycles = sum(s.mac_cycles, c.mac);
    s.depthwise_cycles = sum(s.depthwise_cycles, c.dw);
    s.vector_cycles = sum(s.vector_cycles, c.vec);
    s.macs = sum(s.macs, c.macs);
    s.max_tile_compute_cycles = std::max(s.max_tile_compute_cycles, c.compute);
    s.load_ifmap_bytes = sum(s.load_ifmap_bytes, t.load_ifmap_bytes);
    s.load_weight_bytes = sum(s.load_weight_bytes, t.load_weight_bytes);
    s.store_bytes = sum(s.store_bytes, t.store_bytes);
    s.dram_busy_cycles = sum(s.dram_busy_cycles, c.busy);
    s.transfers += c.transfers;
    // The two loads run side by side only where their pieces find a channel each.
    int64_t load_cycles = c.load_pieces <= hw.dma.channels ? std::max(c.load_ifmap, c.load_weights)
                                                           : c.load_ifmap + c.load_weights;
    int64_t l = std::max(sum(comp_end2, load_cycles), sum(load_end, c.load_busy));
    int64_t ce = sum(std::max({l, comp_end, store_end2}), c.compute);
    int64_t se = sum(std::max(ce, store_end), c.store);
    comp_end2 = comp_end, store_end2 = store_end;
    load_end = l, comp_end = ce, store_end = se;
  }
  s.pipeline_cycles = store_end;
  s.engine_cycles = replay_kernel_cycles(k, hw);
  return s;
}

}  // namespace nesim
