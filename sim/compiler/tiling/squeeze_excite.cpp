#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Squeeze-and-excite: pool the whole input, two tiny FCs, then gate every element. The input is
// held whole, or streamed twice in row bands (once to pool, once to gate), whichever the engine
// runs faster.
class SqueezeExciteTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return !g.fused && layer(g.front()).op == Op::SqueezeExcite;
  }
  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    int li = g.front();
    const Layer& l = layer(li);
    const Shape& s = in_shape(li);
    bool res = resident_in.count(l.inputs[0]) > 0;
    int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    Kernel k;
    k.name = l.name;
    k.kind = "se";
    k.layers = {li};
    k.input_from_dram = !res;
    k.output_to_dram = !out_resident;
    // The squeeze: two 1x1 convs on the pooled vector, then the gate activation.
    auto squeeze_steps = [&](Tile& t) {
      ComputeStep fc1;
      fc1.layer = li;
      fc1.out_pixels = 1;
      fc1.in_channels = s.c;
      fc1.out_channels = l.se_channels;
      fc1.sram_in_bytes = s.c * bpe_;
      fc1.sram_weight_bytes = weight_bytes(li, 0) / 2;
      fc1.sram_out_bytes = l.se_channels * bpe_;
      ComputeStep fc2 = fc1;
      fc2.in_channels = l.se_channels;
      fc2.out_channels = s.c;
      fc2.sram_in_bytes = fc1.sram_out_bytes, fc2.sram_out_bytes = fc1.sram_in_bytes;
      ComputeStep gate;
      gate.layer = li;
      gate.unit = Unit::Vector;
      gate.elements = s.c;
      gate.special_fn = l.se_gate == Act::Sigmoid;
      t.steps.insert(t.steps.end(), {fc1, fc2, gate});
    };
    ComputeStep mul;
    mul.layer = li;
    mul.unit = Unit::Vector;
    int64_t whole = s.elements() * bpe_;
    WorkingSet one;
    one.in = res ? 0 : whole;
    one.weights = weight_bytes(li, 0);
    one.out = out_resident ? 0 : whole;
    if (fits(one, reserved)) {
      Tile t;
      t.load_ifmap_bytes = res ? 0 : whole;
      t.load_weight_bytes = weight_bytes(li, 0);
      ComputeStep pool;
      pool.layer = li;
      pool.unit = Unit::Vector;
      pool.elements = s.elements();
      pool.sram_in_bytes = whole;
      t.steps.push_back(pool);
      squeeze_steps(t);
      mul.elements = s.elements();
      mul.sram_in_bytes = whole;
      mul.sram_out_bytes = whole;
      t.steps.push_back(mul);
      if (!out_resident) t.store_bytes = whole;
      k.tiles.push_back(std::move(t));
      k.sram_peak_bytes = one.total() + reserved;
      // Resident operands (inside a block, or beside its neighbours) leave nothing to stream.
      if (res || out_resident) return k;
    }
    // Streamed twice in row bands: twice the input traffic, but loads, compute and stores
    // overlap; every band height that fits is replayed against the single tile.
    std::optional<Kernel> best;
    PlanCost best_cost;
    if (!k.tiles.empty()) {
      best_cost = plan_cost(k);
      best = k;
    }
    Kernel base = k;
    base.tiles.clear();
    for (int64_t n = 2; n <= s.h; ++n) {
      int64_t h = ceil_div(s.h, n);
      if (ceil_div(s.h, h) != n) continue;  // same bands as a smaller count
      Kernel k = base;
      WorkingSet ws;  // the FC phase runs between the passes, when the band buffers are free
      ws.in = res ? 0 : 2 * h * s.w * s.c * bpe_;
      ws.out = out_resident ? 0 : 2 * h * s.w * s.c * bpe_;
      if (!fits(ws, reserved)) continue;
      for (int pass = 0; pass < 2; ++pass) {
        for (int64_t b = 0; b * h < s.h; ++b) {
          int64_t rows = std::min(s.h, (b + 1) * h) - b * h;
          int64_t bytes = rows * s.w * s.c * bpe_;
          Tile t;
          if (!res) t.load_ifmap_bytes = bytes;
          ComputeStep st;
          st.layer = li;
          st.unit = Unit::Vector;
          st.elements = rows * s.w * s.c;
          st.sram_in_bytes = bytes;
          if (pass == 1) st.sram_out_bytes = bytes;
          t.steps.push_back(st);
          if (pass == 1 && !out_resident) t.store_bytes = bytes;
          k.tiles.push_back(std::move(t));
        }
        if (pass == 0) {
          Tile t;
          t.load_weight_bytes = weight_bytes(li, 0);
          squeeze_steps(t);
          k.tiles.push_back(std::move(t));
        }
      }
      k.sram_peak_bytes = ws.total() + reserved;
      if (best && kernel_lower_bound(k) > best_cost.cycles) continue;  // cannot win: not replayed
      PlanCost cost = plan_cost(k);
      if (!best || cost < best_cost) {
        best = std::move(k);
        best_cost = cost;
      }
    }
    return best;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(squeeze_excite, nesim::planner::SqueezeExciteTiler)
