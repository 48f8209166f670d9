#include "nas/regressor/features.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "sim/timing/unit_timing.h"

namespace nesim::nas {

namespace {

constexpr std::array<const char*, 12> kKinds = {"conv",    "dwconv",   "fc",     "pool",
                                                "eltwise", "se",       "resize", "concat",
                                                "activation", "ibn",   "fused_ibn", "dwsep"};

// The double-buffered load -> compute -> store pipeline, ignoring DRAM contention: the engine's
// timing without the shared bus. The regressor learns what the bus and the kernel barrier add.
double pipeline_estimate(const Kernel& k, const HwConfig& hw) {
  auto transfer = [&](int64_t bytes) { return dma_transfer_cycles(hw, bytes); };
  size_t n = k.tiles.size();
  std::vector<int64_t> load_end(n), comp_end(n), store_end(n);
  for (size_t i = 0; i < n; ++i) {
    const Tile& t = k.tiles[i];
    int64_t load = hw.dma.channels > 1 ? std::max(transfer(t.load_ifmap_bytes), transfer(t.load_weight_bytes))
                                       : transfer(t.load_ifmap_bytes) + transfer(t.load_weight_bytes);
    int64_t compute = 0;
    for (const ComputeStep& s : t.steps) compute += step_cycles(hw, s);
    load_end[i] = std::max(i ? load_end[i - 1] : 0, i >= 2 ? comp_end[i - 2] : 0) + load;
    comp_end[i] = std::max({load_end[i], i ? comp_end[i - 1] : 0, i >= 2 ? store_end[i - 2] : 0}) + compute;
    store_end[i] = std::max(comp_end[i], i ? store_end[i - 1] : 0) + transfer(t.store_bytes);
  }
  return n ? static_cast<double>(store_end[n - 1]) : 0.0;
}

}  // namespace

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const char* k : kKinds) v.push_back(std::string("kind_") + k);
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

KernelFeatures kernel_features(const Kernel& k, const HwConfig& hw) {
  KernelFeatures out;
  std::vector<float>& f = out.values;
  f.reserve(feature_names().size());
  for (const char* kind : kKinds) f.push_back(k.kind == kind ? 1.0f : 0.0f);

  int64_t compute = 0, mac = 0, dw = 0, vec = 0, max_tile = 0, macs = 0;
  int64_t load = 0, weights = 0, store = 0, busy = 0, transfers = 0;
  for (const Tile& t : k.tiles) {
    int64_t tile_compute = 0;
    for (const ComputeStep& s : t.steps) {
      int64_t c = step_cycles(hw, s);
      tile_compute += c;
      (s.unit == Unit::MacArray ? mac : s.unit == Unit::Depthwise ? dw : vec) += c;
      if (s.unit != Unit::Vector) macs += s.macs();
    }
    compute += tile_compute;
    max_tile = std::max(max_tile, tile_compute);
    load += t.load_ifmap_bytes;
    weights += t.load_weight_bytes;
    store += t.store_bytes;
    for (int64_t b : {t.load_ifmap_bytes, t.load_weight_bytes, t.store_bytes}) {
      busy += dram_busy_cycles(hw, b);
      transfers += b > 0;
    }
  }
  int64_t overhead = hw.dma.setup_cycles + hw.dram_latency_cycles();
  out.pipeline_cycles = std::max(1.0, pipeline_estimate(k, hw));
  auto peak = static_cast<double>(hw.macs_per_cycle());
  int64_t first_load = k.tiles.empty() ? 0
                       : dma_transfer_cycles(hw, k.tiles[0].load_ifmap_bytes) +
                             dma_transfer_cycles(hw, k.tiles[0].load_weight_bytes);
  int64_t last_store = k.tiles.empty() ? 0 : dma_transfer_cycles(hw, k.tiles.back().store_bytes);
  auto tiles = static_cast<double>(k.tiles.size());
  for (double v : {static_cast<double>(k.layers.size()), tiles, std::log2(1.0 + tiles), double(compute), double(mac),
                   double(dw), double(vec), double(max_tile), macs / peak,
                   mac > 0 ? macs / (mac * peak) : 0.0, double(load), double(weights), double(store), double(busy),
                   double(transfers), double(transfers * overhead), double(first_load), double(last_store),
                   k.input_from_dram ? 1.0 : 0.0, k.output_to_dram ? 1.0 : 0.0, std::log(out.pipeline_cycles),
                   compute / out.pipeline_cycles, busy / out.pipeline_cycles, double(hw.mac_array.pf), peak,
                   double(hw.sram_bytes()) / 1024.0, hw.dram_bytes_per_cycle(), double(hw.dma.channels),
                   double(hw.dma.setup_cycles), double(hw.dram_latency_cycles()), hw.clock_mhz,
                   double(hw.vector_unit.lanes), hw.mac_array.kind == ArrayKind::Systolic ? 1.0 : 0.0})
    f.push_back(static_cast<float>(v));
  return out;
}

}  // namespace nesim::nas
