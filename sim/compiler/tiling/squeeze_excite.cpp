#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Squeeze-and-excite in three phases: pool the input, run the two FCs on the pooled vector (the
// squeeze), then gate every element. Every phase is cut into tiles, so the engine's loader brings
// the FC weights in while the pool still runs and stores gated rows while the next are gated:
//   - held: the input is loaded once, in row bands, and stays in SRAM until the gate has read it;
//   - streamed: the input is loaded twice, in row bands (split by channel where one row does not
//     fit), once to pool and once to gate, and only two bands are in SRAM at a time.
// The FC weights are loaded whole, or in output-channel chunks (1, 2, 4, ... of them),
// double-buffered. Every combination that fits is weighed by the engine's replay (plan_cost()).
// Every plan that fits a smaller SRAM is weighed again with a larger one, so more SRAM never
// picks a slower plan (test_monotonicity).
class SqueezeExciteTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return !g.fused && layer(g.front()).op == Op::SqueezeExcite;
  }

  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    const int li = g.front();
    const Layer& l = layer(li);
    const Shape& s = in_shape(li);
    const bool res = resident_in.count(l.inputs[0]) > 0;
    const int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    const int64_t whole = s.elements() * bpe_;
    // Pooled sums (accumulators), hidden FC1 outputs and gates stay in SRAM from pool to gate.
    const int64_t vectors = s.c * kAccumulatorBytes + l.se_channels * kAccumulatorBytes + s.c * bpe_;
    Kernel base = single_layer_kernel(li, "se", res, out_resident, 0);

    BestPlan best;
    auto weigh = [&](Kernel&& k) {
      if (static_cast<int64_t>(k.tiles.size()) <= kMaxKernelTiles) offer(best, std::move(k));
    };

    const std::vector<int64_t> band_counts = distinct_band_counts(s.h);
    int64_t prev_q1 = -1, prev_q2 = -1;
    for (int64_t m = 1;; m *= 2) {
      // Output channels per weight chunk of FC1 (c -> se) and FC2 (se -> c).
      const int64_t q1 = ceil_div(l.se_channels, std::min(m, l.se_channels));
      const int64_t q2 = ceil_div(s.c, std::min(m, s.c));
      if (q1 == prev_q1 && q2 == prev_q2) break;  // m passed both channel counts: no new chunking
      prev_q1 = q1, prev_q2 = q2;
      const Squeeze sq = squeeze(li, m == 1 ? 0 : q1, m == 1 ? 0 : q2);

      // Held: the whole input in SRAM from its load to the gate; bands only cut the work.
      for (int64_t n : band_counts) {
        if (n > 1 && res && out_resident) break;  // nothing to overlap: bands only add tiles
        const int64_t h = ceil_div(s.h, n);
        WorkingSet ws;
        ws.in = res ? 0 : whole;
        ws.weights = sq.weight_slots;
        ws.out = out_resident ? 0 : std::min(whole, 2 * h * s.w * s.c * bpe_);
        ws.scratch = vectors;
        if (!fits(ws, reserved)) continue;
        weigh(build(base, li, sq, h, s.c, /*held=*/true, ws.total() + reserved));
      }
      // Streamed: two passes over the input (a resident input is always held).
      if (res) continue;
      for (int64_t n : band_counts) {
        const int64_t h = ceil_div(s.h, n);
        // Split by channel only where one row does not fit whole: the fewest chunks that do.
        // (One band of all rows and channels is the held plan.)
        for (int64_t splits = n == 1 ? 2 : 1;; splits *= 2) {
          const int64_t cc = ceil_div(s.c, splits);
          const int64_t band = h * s.w * cc * bpe_;
          WorkingSet ws;
          ws.in = std::min(whole, 2 * band);
          ws.weights = sq.weight_slots;
          ws.out = out_resident ? 0 : std::min(whole, 2 * band);
          ws.scratch = vectors;
          if (fits(ws, reserved)) {
            weigh(build(base, li, sq, h, cc, /*held=*/false, ws.total() + reserved));
            break;
          }
          if (h > 1 || cc == 1) break;
        }
      }
    }
    return std::move(best.kernel);
  }

 private:
  // Bytes of one pooled sum or hidden value, as the accumulators hold them.
  static constexpr int64_t kAccumulatorBytes = 4;

  // The squeeze's tiles and the SRAM its weights take.
  struct Squeeze {
    std::vector<Tile> tiles;
    int64_t weight_slots = 0;  // all weights, or two of the largest chunk (double-buffered)
  };

  // The squeeze with all weights in one tile (q1 == q2 == 0), or each FC in output-channel chunks
  // of q1 (FC1) and q2 (FC2) channels, one tile each, the gate applied per FC2 chunk.
  Squeeze squeeze(int li, int64_t q1, int64_t q2) const {
    const int64_t c = in_shape(li).c, se = layer(li).se_channels;
    Squeeze sq;
    if (q1 == 0) {
      Tile t;
      t.load_weight_bytes = weight_bytes(li, 0);
      t.steps = {se_fc_step(li, c, se), se_fc_step(li, se, c), se_gate_step(li, c)};
      sq.weight_slots = t.load_weight_bytes;
      sq.tiles.push_back(std::move(t));
      return sq;
    }
    int64_t largest = 0;
    for (const auto& [in, out, q, gated] : {std::tuple{c, se, q1, false}, std::tuple{se, c, q2, true}})
      for (int64_t o = 0; o < out; o += q) {
        const int64_t part = std::min(q, out - o);
        Tile t;
        t.load_weight_bytes = in * part * bpe_ + part * kChannelParamBytes;
        t.steps.push_back(se_fc_step(li, in, part));
        if (gated) t.steps.push_back(se_gate_step(li, part));
        largest = std::max(largest, t.load_weight_bytes);
        sq.tiles.push_back(std::move(t));
      }
    sq.weight_slots = 2 * largest;
    return sq;
  }

  // The kernel: the pool over row bands of h rows and cc channels, the squeeze, then the gate
  // over the same bands. A held input is loaded by the pool only; a streamed one by both passes.
  Kernel build(const Kernel& base, int li, const Squeeze& sq, int64_t h, int64_t cc, bool held,
               int64_t sram_peak_bytes) const {
    const Shape& s = in_shape(li);
    Kernel k = base;
    k.sram_peak_bytes = sram_peak_bytes;
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t r0 = 0; r0 < s.h; r0 += h)
        for (int64_t c0 = 0; c0 < s.c; c0 += cc) {
          const int64_t bytes = (std::min(s.h, r0 + h) - r0) * s.w * std::min(cc, s.c - c0) * bpe_;
          Tile t;
          if (k.input_from_dram && (pass == 0 || !held)) t.load_ifmap_bytes = bytes;
          t.steps.push_back(se_pass_step(li, bytes / bpe_, /*scale=*/pass == 1));
          if (pass == 1 && k.output_to_dram) t.store_bytes = bytes;
          k.tiles.push_back(std::move(t));
        }
      if (pass == 0) k.tiles.insert(k.tiles.end(), sq.tiles.begin(), sq.tiles.end());
    }
    return k;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(squeeze_excite, nesim::planner::SqueezeExciteTiler)
