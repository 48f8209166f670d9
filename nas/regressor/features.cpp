#include "nas/regressor/features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "sim/compiler/kernel_summary.h"

namespace nesim::nas {

namespace {

constexpr std::array<std::string_view, 12> kKinds = {"conv",    "dwconv",   "fc",     "pool",
                                                     "eltwise", "se",       "resize", "concat",
                                                     "activation", "ibn",   "fused_ibn", "dwsep"};

// What all channels stream at most when latency, not the bus, binds: channels x outstanding
// bursts per DRAM latency (dma_stream_cycles()).
double window_bytes_per_cycle(const HwConfig& hw) {
  return static_cast<double>(hw.dma.channels) * hw.dma.max_outstanding * hw.dma.burst_bytes /
         static_cast<double>(std::max<int64_t>(1, hw.dram_latency_cycles()));
}

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
                          "hw_dram_latency_cycles", "hw_clock_mhz", "hw_vector_lanes", "hw_systolic",
                          "hw_dma_max_outstanding", "hw_dma_window_bytes_per_cycle", "log_replay_over_pipeline"})
      v.push_back(f);
    return v;
  }();
  return names;
}

double kernel_features(const Kernel& k, const HwConfig& hw, float* f) {
  for (std::string_view kind : kKinds) *f++ = k.kind == kind ? 1.0f : 0.0f;

  // The tile totals and the contention-free pipeline (the engine's timing without the shared
  // bus) come from the compiler; the regressor learns what the bus and the kernel barrier add.
  // Since overlapping loads, split transfers and latency windows (issue 12) the closed-form
  // pipeline misses the DMA's queueing by up to a few percent, so the compiler's replay of the
  // kernel on an idle engine (KernelSummary::engine_cycles, already worked out to rank plans) is
  // a feature too: what it leaves to learn is what a kernel meets from its neighbours.
  KernelSummary walked;
  if (!k.summary) walked = summarize_kernel(k, hw);
  const KernelSummary& s = k.summary ? *k.summary : walked;
  int64_t overhead = hw.dma.setup_cycles + hw.dram_latency_cycles();
  double pipeline = std::max(1.0, static_cast<double>(s.pipeline_cycles));
  auto peak = static_cast<double>(hw.macs_per_cycle());
  auto tiles = static_cast<double>(k.tiles.size());
  auto macs = static_cast<double>(s.macs), mac = static_cast<double>(s.mac_cycles);
  auto compute = static_cast<double>(s.compute_cycles), busy = static_cast<double>(s.dram_busy_cycles);
  for (double v : {static_cast<double>(k.layers.size()), tiles, std::log2(1.0 + tiles), compute, mac,
                   double(s.depthwise_cycles), double(s.vector_cycles), double(s.max_tile_compute_cycles), macs / peak,
                   s.mac_cycles > 0 ? macs / (mac * peak) : 0.0, double(s.load_ifmap_bytes),
                   double(s.load_weight_bytes), double(s.store_bytes), busy, double(s.transfers),
                   double(s.transfers * overhead), double(s.first_load_cycles), double(s.last_store_cycles),
                   k.input_from_dram ? 1.0 : 0.0, k.output_to_dram ? 1.0 : 0.0, std::log(pipeline),
                   compute / pipeline, busy / pipeline, double(hw.mac_array.pf), peak,
                   double(hw.sram_bytes()) / 1024.0, hw.dram_bytes_per_cycle(), double(hw.dma.channels),
                   double(hw.dma.setup_cycles), double(hw.dram_latency_cycles()), hw.clock_mhz,
                   double(hw.vector_unit.lanes), hw.mac_array.kind == ArrayKind::Systolic ? 1.0 : 0.0,
                   double(hw.dma.max_outstanding), window_bytes_per_cycle(hw),
                   std::log(std::max(1.0, static_cast<double>(s.engine_cycles)) / pipeline)})
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
