#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// A block's layers as one kernel: row bands of the block output, each computed from the rows of
// the block input it needs (halo rows recomputed); intermediates live in SRAM only.
class BlockChainTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return g.fused;
  }
  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    std::vector<int> ls;
    for (int li : g.layers()) ls.push_back(li);
    int x = layer(ls.front()).inputs[0];  // the block input
    int last = ls.back();
    bool res = resident_in.count(x) > 0;
    bool has_se = false;
    int64_t weights = 0;
    for (int li : ls) {
      has_se |= layer(li).op == Op::SqueezeExcite;
      weights += weight_bytes(li, layer(li).op == Op::Conv2d
                                      ? (layer(li).groups == 1 ? layer(li).out_channels : layer(li).groups)
                                      : 0);
    }
    int64_t reserved = (res ? tensor_bytes(x) : 0) + (out_resident ? tensor_bytes(last) : 0);
    const Shape& xs = layer(x).out;
    int64_t out_rows = layer(last).out.h;

    // Rows of each chain layer's output needed for output rows `out` of the last layer.
    auto band_rows = [&](RowRange out) {
      std::vector<RowRange> rows(ls.size());
      RowRange need = out;
      for (size_t i = ls.size(); i-- > 0;) {
        rows[i] = need;
        const Layer& l = layer(ls[i]);
        if (l.op == Op::Add) continue;  // row for row; its other operand is the block input
        need = input_rows(ls[i], need);
        if (l.op == Op::SqueezeExcite) need = {0, in_shape(ls[i]).h};
      }
      RowRange xr = need;
      for (size_t i = 0; i < ls.size(); ++i)
        if (layer(ls[i]).op == Op::Add) xr = {std::min(xr.lo, rows[i].lo), std::max(xr.hi, rows[i].hi)};
      return std::make_pair(rows, xr);
    };

    std::optional<Kernel> best;
    int64_t best_cycles = std::numeric_limits<int64_t>::max();
    for (int64_t n : distinct_band_counts(out_rows)) {
      const int64_t h = ceil_div(out_rows, n);
      if (has_se && n > 1) break;  // SE pools the whole tensor: the block must fit in one band
      auto [rows, xr] = band_rows({0, h});
      WorkingSet ws;
      ws.in = res ? 0 : (n > 1 ? 2 : 1) * xr.size() * xs.w * xs.c * bpe_;
      ws.weights = weights;
      for (size_t i = 0; i + 1 < ls.size(); ++i) {
        const Shape& o = layer(ls[i]).out;
        ws.scratch += rows[i].size() * o.w * o.c * bpe_;
      }
      const Shape& os = layer(last).out;
      ws.out = out_resident ? 0 : (n > 1 ? 2 : 1) * h * os.w * os.c * bpe_;
      if (!fits(ws, reserved)) continue;

      Kernel k;
      k.name = layer(ls.front()).block;
      k.kind = layer(ls.front()).block_type;
      k.layers = ls;
      k.layer_read_bytes.assign(ls.size(), 0);
      k.layer_write_bytes.assign(ls.size(), 0);
      k.input_from_dram = !res;
      k.output_to_dram = !out_resident;
      k.sram_peak_bytes = ws.total() + reserved;
      std::vector<RowRange> prev_rows;
      for (int64_t b = 0; b * h < out_rows; ++b) {
        auto [r, xrb] = band_rows({b * h, std::min(out_rows, (b + 1) * h)});
        Tile t;
        if (!res) t.load_ifmap_bytes = xrb.size() * xs.w * xs.c * bpe_;
        if (b == 0) t.load_weight_bytes = weights;
        // A band's steps depend only on its rows per layer: inner bands repeat the one before.
        const bool same_rows = b > 0 && std::equal(r.begin(), r.end(), prev_rows.begin(), prev_rows.end(),
                                                   [](RowRange x, RowRange y) { return x.size() == y.size(); });
        if (same_rows) t.steps = k.tiles.back().steps;
        prev_rows = r;
        for (size_t i = 0; i < ls.size() && !same_rows; ++i) {
          const Layer& l = layer(ls[i]);
          if (l.op == Op::Conv2d) {
            t.steps.push_back(conv_step(ls[i], r[i].size(), l.groups == 1 ? l.out_channels : l.groups));
            for (auto& v : vector_steps(ls[i], r[i].size())) t.steps.push_back(v);
          } else if (l.op == Op::SqueezeExcite) {
            // The whole layer at once: the block holds its input, output and every weight.
            const int64_t c = in_shape(ls[i]).c, se = l.se_channels, all = in_shape(ls[i]).elements();
            t.steps.insert(t.steps.end(), {se_pass_step(ls[i], all, false), se_fc_step(ls[i], c, se),
                                           se_fc_step(ls[i], se, c), se_gate_step(ls[i], c),
                                           se_pass_step(ls[i], all, true)});
          } else {
            for (auto& v : vector_steps(ls[i], r[i].size())) t.steps.push_back(v);
          }
        }
        if (!out_resident) t.store_bytes = r.back().size() * os.w * os.c * bpe_;
        k.layer_read_bytes[0] += t.load_ifmap_bytes;
        k.layer_write_bytes.back() += t.store_bytes;
        k.tiles.push_back(std::move(t));
      }
      for (size_t i = 0; i < ls.size(); ++i) {
        const Layer& l = layer(ls[i]);
        if (l.op == Op::Conv2d) k.layer_read_bytes[i] += weight_bytes(ls[i], l.groups == 1 ? l.out_channels : l.groups);
        if (l.op == Op::SqueezeExcite) k.layer_read_bytes[i] += weight_bytes(ls[i], 0);
      }
      if (best && kernel_lower_bound(k) >= best_cycles) continue;  // cannot win: not replayed
      int64_t cycles = plan_cost(k).cycles;
      if (cycles < best_cycles) {
        best_cycles = cycles;
        best = std::move(k);
      }
    }
    return best;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(block_chain, nesim::planner::BlockChainTiler)
