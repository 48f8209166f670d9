#include "nas/regressor/features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "sim/timing/unit_timing.h"

namespace nesim::nas {

namespace {

constexpr std::array<std::string_view, 12> kKinds = {"conv",    "dwconv",   "fc",     "pool",
                                                     "eltwise", "se",       "resize", "concat",
                                                     "activation", "ibn",   "fused_ibn", "dwsep"};

// What one tile costs on its own: DMA transfers alone on an idle DRAM, compute per unit.
struct TileCost {
  int64_t load_ifmap = 0, load_weights = 0, store = 0;  // dma_transfer_cycles
  int64_t busy = 0, transfers = 0;                      // DRAM bus cycles, non-empty transfers
  int64_t compute = 0, mac = 0, dw = 0, vec = 0, macs = 0;
};

// Bytewise over the two runs of int64 fields, which is what makes the per-tile check cheap.
// A new ComputeStep field must be added here: the size check below stops the build until it is.
static_assert(sizeof(ComputeStep) == 112, "ComputeStep changed: update same_step()");
bool same_step(const ComputeStep& a, const ComputeStep& b) {
  constexpr size_t kRun1 = offsetof(ComputeStep, out_pixels), kLen1 = offsetof(ComputeStep, special_fn) - kRun1;
  constexpr size_t kRun2 = offsetof(ComputeStep, sram_bytes), kLen2 = offsetof(ComputeStep, closes_layer) - kRun2;
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

// `overhead`: DMA setup + DRAM latency, so a transfer costs overhead + its bus cycles, as in
// dma_transfer_cycles(), with the bus cycles worked out once.
TileCost tile_cost(const Tile& t, const HwConfig& hw, int64_t overhead) {
  TileCost c;
  int64_t* transfer[] = {&c.load_ifmap, &c.load_weights, &c.store};
  int64_t bytes[] = {t.load_ifmap_bytes, t.load_weight_bytes, t.store_bytes};
  for (int i = 0; i < 3; ++i) {
    if (bytes[i] <= 0) continue;
    int64_t busy = dram_busy_cycles(hw, bytes[i]);
    *transfer[i] = overhead + busy;
    c.busy += busy;
    c.transfers += 1;
  }
  for (const ComputeStep& s : t.steps) {
    int64_t cycles = step_cycles(hw, s);
    c.compute += cycles;
    (s.unit == Unit::MacArray ? c.mac : s.unit == Unit::Depthwise ? c.dw : c.vec) += cycles;
    if (s.unit != Unit::Vector) c.macs += s.macs();
  }
  return c;
}

// The costs of the last two distinct tile shapes: kernels alternate between two shapes when the
// weights loop is outside (a full and a last channel chunk per band).
class TileCostCache {
 public:
  TileCostCache(const HwConfig& hw, int64_t overhead) : hw_(hw), overhead_(overhead) {}
  const TileCost& cost(const Tile& t) {
    if (tile_[0] && same_work(t, *tile_[0])) return cost_[0];
    std::swap(tile_[0], tile_[1]);
    std::swap(cost_[0], cost_[1]);
    if (!tile_[0] || !same_work(t, *tile_[0])) {
      tile_[0] = &t;
      cost_[0] = tile_cost(t, hw_, overhead_);
    }
    return cost_[0];
  }

 private:
  const HwConfig& hw_;
  int64_t overhead_;
  const Tile* tile_[2] = {nullptr, nullptr};
  TileCost cost_[2];
};

}  // namespace

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (std::string_view k : kKinds) v.push_back("kind_" + std::string(k));
    for (const char* f : {"layers", "tiles", "log_tiles", "compute_cycles", "mac_cycles", "depthwise_cycles",
                          "vector_cycles", "max_tile_compute", "macs_over_peak", "lane_efficiency",
                          "load_bytes", "weight_bytes", "store_bytes", "dram_busy_cycles", "transfers",
                          "transfer_overhead_cycles", "first_load_cycles", "last_store_cycles",
                          "input_from_dram", "output_to_dram", "log_pipeline_cycles",
                          "compute_over_pipeline", "dram_over_pipeline", "hw_pf", "hw_macs_per_cycle",
                          "hw_sram_kib", "hw_dram_bytes_per_cycle", "hw_dma_channels", "hw_dma_setup_cycles",
                          "hw_dram_latency_cycles", "hw_clock_mhz", "hw_vector_lanes", "hw_systolic"})
      v.push_back(f);
    return v;
  }();
  return names;
}

double kernel_features(const Kernel& k, const HwConfig& hw, float* f) {
  for (std::string_view kind : kKinds) *f++ = k.kind == kind ? 1.0f : 0.0f;

  int64_t compute = 0, mac = 0, dw = 0, vec = 0, max_tile = 0, macs = 0;
  int64_t load = 0, weights = 0, store = 0, busy = 0, transfers = 0;
  // The double-buffered load -> compute -> store pipeline, ignoring DRAM contention: the
  // engine's timing without the shared bus. The regressor learns what the bus and the kernel
  // barrier add. Tile i loads once tile i-2 has computed, computes once tile i-2 is stored.
  int64_t load_end = 0, comp_end = 0, store_end = 0, comp_end2 = 0, store_end2 = 0;
  int64_t first_load = 0, last_store = 0;
  int64_t overhead = hw.dma.setup_cycles + hw.dram_latency_cycles();
  TileCostCache cache(hw, overhead);
  for (size_t i = 0; i < k.tiles.size(); ++i) {
    const Tile& t = k.tiles[i];
    const TileCost& c = cache.cost(t);
    if (i == 0) first_load = c.load_ifmap + c.load_weights;
    last_store = c.store;
    compute += c.compute;
    mac += c.mac;
    dw += c.dw;
    vec += c.vec;
    macs += c.macs;
    max_tile = std::max(max_tile, c.compute);
    load += t.load_ifmap_bytes;
    weights += t.load_weight_bytes;
    store += t.store_bytes;
    busy += c.busy;
    transfers += c.transfers;
    int64_t load_cycles = hw.dma.channels > 1 ? std::max(c.load_ifmap, c.load_weights) : c.load_ifmap + c.load_weights;
    int64_t l = std::max(load_end, comp_end2) + load_cycles;
    int64_t ce = std::max({l, comp_end, store_end2}) + c.compute;
    int64_t se = std::max(ce, store_end) + c.store;
    comp_end2 = comp_end, store_end2 = store_end;
    load_end = l, comp_end = ce, store_end = se;
  }
  double pipeline = std::max(1.0, static_cast<double>(store_end));
  auto peak = static_cast<double>(hw.macs_per_cycle());
  auto tiles = static_cast<double>(k.tiles.size());
  for (double v : {static_cast<double>(k.layers.size()), tiles, std::log2(1.0 + tiles), double(compute), double(mac),
                   double(dw), double(vec), double(max_tile), macs / peak,
                   mac > 0 ? macs / (mac * peak) : 0.0, double(load), double(weights), double(store), double(busy),
                   double(transfers), double(transfers * overhead), double(first_load), double(last_store),
                   k.input_from_dram ? 1.0 : 0.0, k.output_to_dram ? 1.0 : 0.0, std::log(pipeline),
                   compute / pipeline, busy / pipeline, double(hw.mac_array.pf), peak,
                   double(hw.sram_bytes()) / 1024.0, hw.dram_bytes_per_cycle(), double(hw.dma.channels),
                   double(hw.dma.setup_cycles), double(hw.dram_latency_cycles()), hw.clock_mhz,
                   double(hw.vector_unit.lanes), hw.mac_array.kind == ArrayKind::Systolic ? 1.0 : 0.0})
    *f++ = static_cast<float>(v);
  return pipeline;
}

KernelFeatures kernel_features(const Kernel& k, const HwConfig& hw) {
  KernelFeatures out;
  out.values.resize(feature_names().size());
  out.pipeline_cycles = kernel_features(k, hw, out.values.data());
  return out;
}

}  // namespace nesim::nas
