#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Systolic arrays run a layer as SCALE-Sim does: a sequence of folds of the GEMM
// (M = output pixels, N = filters, K = window), group after group. A tile is a run of
// consecutive folds; its DMA bytes are its share of the layer's operands, each read once.
class SystolicTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return single_mac_layer(g) && hw_.mac_array.kind == ArrayKind::Systolic;
  }
  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    int li = g.front();
    const Layer& l = layer(li);
    const Shape& in = in_shape(li);
    bool fc = l.op == Op::FullyConnected;
    bool in_res = resident_in.count(l.inputs[0]) > 0;
    int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    ComputeStep whole = conv_step(li, fc ? 1 : l.out.h, fc || l.groups == 1 ? l.out_channels : l.groups);
    int64_t groups = whole.groups;
    SystolicFolds f = scalesim_folds(hw_.mac_array.rows, hw_.mac_array.cols, hw_.mac_array.dataflow,
                                     whole.out_pixels, whole.out_channels, whole.in_channels * whole.taps);
    int64_t folds = f.folds * groups;
    int64_t in_bytes = in_res ? 0 : in.elements() * bpe_;
    int64_t w_bytes = weight_bytes(li, fc || l.groups == 1 ? l.out_channels : l.groups);
    int64_t out_bytes = out_resident ? 0 : tensor_bytes(li);
    auto share = [](int64_t bytes, int64_t i, int64_t n) { return bytes * (i + 1) / n - bytes * i / n; };
    // A tile may hold less than one fold's operands (big FC layers): then several tiles feed one
    // fold, and the fold computes on the last of them.
    int64_t max_tiles = folds * std::max<int64_t>(1, ceil_div(w_bytes + in_bytes + out_bytes, folds * 1024));
    for (int64_t n = 1; n <= max_tiles; n = n < 64 ? n + 1 : n + n / 8) {
      WorkingSet ws;
      int64_t buffers = n > 1 ? 2 : 1;
      ws.in = buffers * ceil_div(in_bytes, n);
      ws.weights = buffers * ceil_div(w_bytes, n);
      ws.out = buffers * ceil_div(out_bytes, n);
      if (!fits(ws, reserved)) continue;
      Kernel k = single_layer_kernel(li, fc ? "fc" : "conv", in_res, out_resident, ws.total() + reserved);
      for (int64_t i = 0; i < n; ++i) {
        Tile t;
        t.load_ifmap_bytes = share(in_bytes, i, n);
        t.load_weight_bytes = share(w_bytes, i, n);
        t.store_bytes = share(out_bytes, i, n);
        ComputeStep s = whole;
        s.fold_begin = folds * i / n;
        s.fold_end = folds * (i + 1) / n;
        s.fold_total = folds;
        s.closes_layer = i + 1 == n;
        t.steps.push_back(s);
        for (auto& v : vector_steps(li, l.out.h)) {
          v.elements = share(v.elements, i, n);
          v.sram_in_bytes = share(v.sram_in_bytes, i, n);
          v.sram_out_bytes = share(v.sram_out_bytes, i, n);
          t.steps.push_back(v);
        }
        k.tiles.push_back(std::move(t));
      }
      return k;
    }
    return std::nullopt;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(systolic, nesim::planner::SystolicTiler)
