// regressor: do features read from the compiler's kernel summaries equal the tile walk that
// computed them before (and that still runs for kernels built by hand), bit for bit?
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nas/regressor/features.h"
#include "nas/regressor/regressor.h"
#include "sim/compiler/compiler.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/timing/pipeline_replay.h"
#include "sim/timing/sram_traffic.h"
#include "sim/timing/unit_timing.h"
#include "tests/support/source_files.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

// The features as nesim computed them before kernel summaries: a plain walk over every tile with
// the closed forms per tile (no reuse of equal tiles), written out independently of the library.
std::vector<float> walked_features(const Kernel& k, const HwConfig& hw, double& pipeline) {
  std::vector<float> f;
  for (std::string_view kind : {"conv", "dwconv", "fc", "pool", "eltwise", "se", "resize", "concat", "activation",
                                "ibn", "fused_ibn", "dwsep"})
    f.push_back(k.kind == kind ? 1.0f : 0.0f);
  int64_t compute = 0, mac = 0, dw = 0, vec = 0, max_tile = 0, macs = 0;
  int64_t load = 0, weights = 0, store = 0, busy = 0, transfers = 0, first_load = 0, last_store = 0;
  int64_t load_end = 0, comp_end = 0, store_end = 0, comp_end2 = 0, store_end2 = 0;
  int64_t overhead = hw.dma.setup_cycles + hw.dram_latency_cycles();
  for (size_t i = 0; i < k.tiles.size(); ++i) {
    const Tile& t = k.tiles[i];
    std::array<int64_t, 3> bytes = {t.load_ifmap_bytes, t.load_weight_bytes, t.store_bytes}, cycles = {0, 0, 0};
    int64_t load_busy = 0, load_pieces = 0;
    for (size_t j = 0; j < 3; ++j)
      if (bytes[j] > 0) {
        cycles[j] = dma_split_transfer_cycles(hw, bytes[j]);
        busy += dram_busy_cycles(hw, bytes[j]);
        if (j < 2) load_busy += dram_busy_cycles(hw, bytes[j]), load_pieces += dma_pieces(hw, bytes[j]);
        ++transfers;
      }
    int64_t tile_compute = 0, port_bytes = t.load_ifmap_bytes + t.load_weight_bytes + t.store_bytes;
    for (const ComputeStep& s : t.steps) {
      int64_t c = step_cycles(hw, s);
      tile_compute += c;
      port_bytes += sram_traffic(hw, s).total();
      (s.unit == Unit::MacArray ? mac : s.unit == Unit::Depthwise ? dw : vec) += c;
      if (s.unit != Unit::Vector) macs += s.macs();
    }
    // DMA fills and drains share the SRAM port with the steps (tile_compute_cycles()).
    if (!t.steps.empty())
      tile_compute = std::max(tile_compute, (port_bytes + hw.sram.bytes_per_cycle - 1) / hw.sram.bytes_per_cycle);
    if (i == 0) first_load = cycles[0] + cycles[1];
    last_store = cycles[2];
    compute += tile_compute;
    max_tile = std::max(max_tile, tile_compute);
    load += t.load_ifmap_bytes;
    weights += t.load_weight_bytes;
    store += t.store_bytes;
    int64_t load_cycles = load_pieces <= hw.dma.channels ? std::max(cycles[0], cycles[1]) : cycles[0] + cycles[1];
    int64_t l = std::max(comp_end2 + load_cycles, load_end + load_busy);
    int64_t ce = std::max({l, comp_end, store_end2}) + tile_compute;
    int64_t se = std::max(ce, store_end) + cycles[2];
    comp_end2 = comp_end, store_end2 = store_end;
    load_end = l, comp_end = ce, store_end = se;
  }
  pipeline = std::max(1.0, static_cast<double>(store_end));
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
                   double(hw.vector_unit.lanes), hw.mac_array.kind == ArrayKind::Systolic ? 1.0 : 0.0,
                   double(hw.dma.max_outstanding),
                   double(hw.dma.channels) * hw.dma.max_outstanding * hw.dma.burst_bytes /
                       double(std::max<int64_t>(1, hw.dram_latency_cycles())),
                   std::log(std::max(1.0, double(replay_kernel_cycles(k, hw))) / pipeline)})
    f.push_back(static_cast<float>(v));
  return f;
}

}  // namespace

TEST_SUITE("regressor: kernel summaries") {
  TEST_CASE("every zoo model on every shipped engine: features and predictions equal the tile walk's") {
    nas::Regressor reg = nas::Regressor::load(std::string(NESIM_SOURCE_DIR) + "/traces/regressor-ne-pf.json");
    size_t kernels = 0;
    for (const fs::path& hf : test::source_files("hwconfigs")) {
      HwConfig hw = load_hw_config(hf.string());
      for (const fs::path& mf : test::source_files("models")) {
        Program p = compile(load_model(mf.string()), hw);
        CAPTURE(p.model);
        CAPTURE(hw.name);
        double walked_total = 0;
        for (const Kernel& k : p.kernels) {
          if (k.tiles.empty()) continue;
          CAPTURE(k.name);
          REQUIRE(k.summary.has_value());  // compile() fills it
          double want_pipeline = 0;
          std::vector<float> want = walked_features(k, hw, want_pipeline);
          nas::KernelFeatures got = nas::kernel_features(k, hw);  // from the summary
          REQUIRE(got.values.size() == want.size());
          for (size_t i = 0; i < want.size(); ++i) {
            CAPTURE(nas::feature_names()[i]);
            CHECK(got.values[i] == want[i]);
          }
          CHECK(got.pipeline_cycles == want_pipeline);
          Kernel by_hand = k;  // no summary: kernel_features() walks the tiles itself
          by_hand.summary.reset();
          CHECK(nas::kernel_features(by_hand, hw).values == want);
          walked_total += reg.kernel_cycles(want, want_pipeline);
          ++kernels;
        }
        CHECK(reg.total_cycles(p) == walked_total);
      }
    }
    CHECK(kernels > 1000);
  }
}
