#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/sram_traffic.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Input channels split as well as output channels: partial sums accumulate in SRAM (int32) and
// each output tile is stored after its last input-channel slice. Loop order: bands, output
// chunks, input slices. Maps layers whose smallest full-depth tile does not fit, and can beat
// the full-depth tiling where a bigger output tile saves more weight reloads than the partial
// sums cost (sram.kib=32 vs 40 in issue 12).
class ConvSplitTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return single_mac_layer(g) && hw_.mac_array.kind != ArrayKind::Systolic;
  }
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
    // shape: band height, output chunk, input slice, working-set bytes.
    std::vector<Candidate> candidates;
    const std::vector<int64_t> co_sizes = sizes(cout), ci_sizes = sizes(cin);  // largest first
    for (int64_t n_bands = 1, h = out_rows; n_bands <= out_rows; h = ceil_div(out_rows, ++n_bands)) {
      if (ceil_div(out_rows, h) != n_bands) continue;  // same band height as a smaller count
      int64_t in_total = 0;
      for (int64_t b = 0; b < n_bands; ++b)
        in_total += rows_in({b * h, std::min(out_rows, (b + 1) * h)}) * row_bytes * cin * bpe_;
      if (in_res) in_total = 0;
      int64_t first_rows = rows_in({0, h});
      bool full_depth_fits = false;  // at this band height and a larger output chunk
      bool widest_fits_whole = false;
      for (int64_t co : co_sizes) {
        int64_t n_co = ceil_div(cout, co);
        for (int64_t ci : ci_sizes) {
          WorkingSet ws;
          int64_t in_slice = in_res ? 0 : first_rows * row_bytes * ci * bpe_;
          int64_t w_slice = co * ci * taps * bpe_ + co * kChannelParamBytes;
          ws.in = 2 * in_slice;
          ws.weights = 2 * w_slice;
          int64_t out_px = h * (fc ? 1 : l.out.w);
          ws.out = co * out_px * kPsumBytes + (out_resident ? 0 : 2 * co * out_px * bpe_);
          if (!fits(ws, reserved)) continue;
          // The largest slice that fits is the one to take (smaller ones cost more SRAM for the
          // same traffic); all input channels at once is the conv strategy's tiling.
          if (ci >= cin) {
            full_depth_fits = true;
            break;
          }
          int64_t store = out_resident ? 0 : tensor_bytes(li);
          int64_t traffic = n_co * in_total + n_bands * weight_bytes(li, cout) + store;
          int64_t tiles = n_bands * n_co * ceil_div(cin, ci);
          ComputeStep st = conv_step(li, std::min(h, out_rows), co);
          st.in_channels = ci;
          // A middle slice: its partial sums read back and written again, no final output.
          st.sram_in_bytes = first_rows * row_bytes * ci * bpe_;
          st.sram_weight_bytes = w_slice;
          st.sram_out_bytes = 0;
          st.sram_psum_bytes = 2 * out_px * co * kPsumBytes;
          int64_t per_tile_loads = in_res ? 1 : 2;
          int64_t cycles = pipeline_estimate(tiles, in_slice + w_slice, traffic - store, store,
                                             tiles * step_cycles(hw_, st), tiles * per_tile_loads, per_tile_loads);
          candidates.push_back({cycles, traffic, tiles, {h, co, ci, ws.total()}});
          break;  // larger input slices only cost more SRAM for the same traffic
        }
        // Whole input depth fits here, so it fits with any smaller chunk: no tiling left at this
        // band height for which a split is needed. With the widest chunk, none at lower bands.
        if (full_depth_fits) {
          widest_fits_whole = co == co_sizes.front();
          break;
        }
      }
      if (widest_fits_whole) break;
    }
    return best_of(candidates, [&](const Candidate& c) {
      return build(li, resident_in, out_resident, c.shape[0], c.shape[1], c.shape[2], c.shape[3]);
    });
  }

 private:
  Kernel build(int li, const Resident& resident_in, bool out_resident, int64_t h, int64_t co_size, int64_t ci_size,
               int64_t ws_bytes) const {
    const Layer& l = layer(li);
    const Shape& in = in_shape(li);
    bool fc = l.op == Op::FullyConnected;
    bool in_res = resident_in.count(l.inputs[0]) > 0;
    int64_t out_rows = fc ? 1 : l.out.h;
    int64_t cin = fc ? in.elements() : in.c, cout = l.out_channels;
    int64_t taps = fc ? 1 : int64_t{l.kernel_h} * l.kernel_w;
    auto rows_in = [&](RowRange out) { return fc ? int64_t{1} : input_rows(li, out).size(); };
    int64_t row_bytes = fc ? 1 : in.w;
    struct {
      int64_t h, co, ci;
    } best{h, co_size, ci_size};
    Kernel k = single_layer_kernel(li, fc ? "fc" : "conv", in_res, out_resident,
                                   ws_bytes + reserved_bytes(li, resident_in, out_resident));
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
          st.sram_in_bytes = rows_in(rows) * row_bytes * ci * bpe_;
          st.sram_weight_bytes = t.load_weight_bytes;
          // Partial sums: read back after the first slice, spilled before the last, which
          // writes the output instead.
          const int64_t psum_bytes = rows.size() * (fc ? 1 : l.out.w) * co * kPsumBytes;
          st.sram_psum_bytes = (i > 0 ? psum_bytes : 0) + (i + 1 < n_ci ? psum_bytes : 0);
          if (i + 1 < n_ci) st.sram_out_bytes = 0;
          t.steps.push_back(st);
          if (i + 1 == n_ci) {
            if (!out_resident) t.store_bytes = rows.size() * (fc ? 1 : l.out.w) * co * bpe_;
            for (auto& v : vector_steps(li, rows.size())) {
              v.elements = v.elements * co / l.out.c;
              v.sram_in_bytes = v.sram_in_bytes * co / l.out.c;
              v.sram_out_bytes = v.sram_out_bytes * co / l.out.c;
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
