#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Fallback for layers whose smallest full-depth tile does not fit: the input channels are split
// too, partial sums accumulate in SRAM (int32) and each output tile is stored after its last
// input-channel slice. Loop order: bands, output chunks, input slices.
class ConvSplitTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return !g.fused && (layer(g.front()).op == Op::Conv2d || layer(g.front()).op == Op::FullyConnected) &&
           hw_.mac_array.kind != ArrayKind::Systolic;
  }
  bool fallback() const override { return true; }
  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    int li = g.front();
    const Layer& l = layer(li);
    const Shape& in = in_shape(li);
    bool fc = l.op == Op::FullyConnected;
    if (!fc && l.groups != 1) return std::nullopt;
    bool in_res = resident_in.count(l.inputs[0]) > 0;
    int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    int64_t out_rows = fc ? 1 : l.out.h;
    int64_t cin = fc ? in.elements() : in.c, cout = l.out_channels;
    int64_t taps = fc ? 1 : int64_t{l.kernel_h} * l.kernel_w;
    int64_t pf = hw_.mac_array.pf;
    auto sizes = [&](int64_t total) {
      std::vector<int64_t> v;
      for (int64_t n = 1; n <= total; ++n) {
        int64_t c = std::min(total, ceil_div(ceil_div(total, n), pf) * pf);
        if (v.empty() || v.back() != c) v.push_back(c);
        if (c <= pf) break;
      }
      return v;
    };
    auto rows_in = [&](RowRange out) { return fc ? int64_t{1} : input_rows(li, out).size(); };
    int64_t row_bytes = fc ? 1 : in.w;  // per input channel and input row
    struct Best {
      int64_t traffic = std::numeric_limits<int64_t>::max(), tiles = 0, h = 0, co = 0, ci = 0;
      WorkingSet ws;
    } best;
    for (int64_t n_bands = 1, h = out_rows; n_bands <= out_rows; h = ceil_div(out_rows, ++n_bands)) {
      if (ceil_div(out_rows, h) != n_bands) continue;  // same band height as a smaller count
      int64_t in_total = 0;
      for (int64_t b = 0; b < n_bands; ++b)
        in_total += rows_in({b * h, std::min(out_rows, (b + 1) * h)}) * row_bytes * cin * bpe_;
      if (in_res) in_total = 0;
      for (int64_t co : sizes(cout)) {
        int64_t n_co = ceil_div(cout, co);
        for (int64_t ci : sizes(cin)) {
          WorkingSet ws;
          ws.in = in_res ? 0 : 2 * rows_in({0, h}) * row_bytes * ci * bpe_;
          ws.weights = 2 * (co * ci * taps * bpe_ + co * kChannelParamBytes);
          int64_t out_px = h * (fc ? 1 : l.out.w);
          ws.out = co * out_px * 4 + (out_resident ? 0 : 2 * co * out_px * bpe_);
          if (!fits(ws, reserved)) continue;
          int64_t traffic = n_co * in_total + n_bands * weight_bytes(li, cout) + (out_resident ? 0 : tensor_bytes(li));
          int64_t tiles = n_bands * n_co * ceil_div(cin, ci);
          if (traffic < best.traffic || (traffic == best.traffic && tiles < best.tiles)) best = {traffic, tiles, h, co, ci, ws};
          break;  // larger input slices only cost more SRAM for the same traffic
        }
      }
    }
    if (best.tiles == 0) return std::nullopt;
    Kernel k;
    k.name = l.name;
    k.kind = fc ? "fc" : "conv";
    k.layers = {li};
    k.input_from_dram = !in_res;
    k.output_to_dram = !out_resident;
    k.sram_peak_bytes = best.ws.total() + reserved;
    int64_t n_bands = ceil_div(out_rows, best.h), n_co = ceil_div(cout, best.co), n_ci = ceil_div(cin, best.ci);
    check_tile_count(net_, l, hw_, n_bands, n_co, n_ci);
    for (int64_t b = 0; b < n_bands; ++b) {
      RowRange rows{b * best.h, std::min(out_rows, (b + 1) * best.h)};
      for (int64_t j = 0; j < n_co; ++j) {
        int64_t co = std::min(best.co, cout - j * best.co);
        for (int64_t i = 0; i < n_ci; ++i) {
          int64_t ci = std::min(best.ci, cin - i * best.ci);
          Tile t;
          if (!in_res) t.load_ifmap_bytes = rows_in(rows) * row_bytes * ci * bpe_;
          t.load_weight_bytes = co * ci * taps * bpe_ + (i == 0 ? co * kChannelParamBytes : 0);
          ComputeStep st = conv_step(li, rows.size(), co);
          st.in_channels = ci;
          st.sram_bytes = t.load_ifmap_bytes + t.load_weight_bytes + rows.size() * (fc ? 1 : l.out.w) * co * 4;
          t.steps.push_back(st);
          if (i + 1 == n_ci) {
            if (!out_resident) t.store_bytes = rows.size() * (fc ? 1 : l.out.w) * co * bpe_;
            for (auto& v : vector_steps(li, rows.size())) {
              v.elements = v.elements * co / l.out.c;
              t.steps.push_back(v);
            }
          }
          k.tiles.push_back(std::move(t));
        }
      }
    }
    return k;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(conv_split, nesim::planner::ConvSplitTiler)
