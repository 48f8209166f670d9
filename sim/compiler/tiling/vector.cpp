#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Pooling, elementwise, resize, activation: row bands through the vector unit.
class VectorTiler : public Tiler {
 public:
  using Tiler::Tiler;
  bool applies(const Group& g) const override {
    return !g.fused && layer(g.front()).op != Op::Conv2d && layer(g.front()).op != Op::FullyConnected &&
           layer(g.front()).op != Op::SqueezeExcite;
  }
  std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const override {
    int li = g.front();
    const Layer& l = layer(li);
    Kernel k;
    k.name = l.name;
    k.layers = {li};
    switch (l.op) {
      case Op::MaxPool:
      case Op::AvgPool:
      case Op::GlobalAvgPool: k.kind = "pool"; break;
      case Op::Resize: k.kind = "resize"; break;
      case Op::Activation: k.kind = "activation"; break;
      default: k.kind = "eltwise"; break;
    }
    if (l.op == Op::Concat) {  // producers write straight into the concatenated buffer
      k.kind = "concat";
      k.output_to_dram = true;
      return k;
    }
    int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    int64_t out_rows = l.op == Op::GlobalAvgPool ? 1 : l.out.h;
    auto in_bytes = [&](RowRange out) {
      int64_t bytes = 0;
      for (size_t j = 0; j < l.inputs.size(); ++j) {
        int in = l.inputs[j];
        if (resident_in.count(in)) continue;
        const Shape& s = layer(in).out;
        RowRange r = l.op == Op::GlobalAvgPool ? RowRange{0, s.h} : input_rows(li, out);
        if (s.h == 1) r = {0, 1};  // broadcast operand (SE gate)
        const int64_t channels = l.op == Op::ChannelSlice ? l.out.c : s.c;  // a slice reads only its channels
        bytes += r.size() * s.w * channels * bpe_;
      }
      return bytes;
    };
    // Every band height that fits is built and replayed (vector layers have few rows and cheap
    // tiles): one band saves transfers, more bands overlap loads, compute and stores.
    BestPlan best;
    auto consider = [&](Kernel&& candidate) { offer(best, std::move(candidate)); };
    // Where not even one row of every channel fits (pools on a small SRAM): the widest channel
    // chunk for which plan_chunk() finds a band that fits.
    auto widest_chunk = [&](int64_t channels, const auto& plan_chunk) {
      for (int64_t n : distinct_band_counts(channels))
        if (n >= 2 && !best.kernel) plan_chunk(ceil_div(channels, n));
    };
    // Global pooling needs every input row but produces one: stream input bands instead, of
    // `chunk` channels at a time (chunks outer) where a band of every channel does not fit.
    if (l.op == Op::GlobalAvgPool) {
      const Shape& s = in_shape(li);
      const bool res = resident_in.count(l.inputs[0]) > 0;
      auto plan_pool = [&](int64_t chunk) {
        const int64_t n_chunks = ceil_div(s.c, chunk);
        for (int64_t n : distinct_band_counts(s.h)) {
          const int64_t h = ceil_div(s.h, n);
          WorkingSet ws;
          ws.in = res ? 0 : (n * n_chunks > 1 ? 2 : 1) * h * s.w * chunk * bpe_;
          ws.out = tensor_bytes(li);
          if (!fits(ws, reserved)) continue;
          Kernel c = k;
          for (int64_t j = 0; j < n_chunks; ++j) {
            const int64_t cc = std::min(chunk, s.c - j * chunk);
            for (int64_t b = 0; b * h < s.h; ++b) {
              Tile t;
              int64_t rows = std::min(s.h, (b + 1) * h) - b * h;
              if (!res) t.load_ifmap_bytes = rows * s.w * cc * bpe_;
              ComputeStep st;
              st.layer = li;
              st.unit = Unit::Vector;
              st.elements = rows * s.w * cc;
              st.sram_in_bytes = st.elements * bpe_;  // the sums stay in the unit until the last band
              t.steps.push_back(st);
              c.tiles.push_back(std::move(t));
            }
          }
          if (!out_resident) c.tiles.back().store_bytes = tensor_bytes(li);
          c.input_from_dram = !res;
          c.output_to_dram = !out_resident;
          c.sram_peak_bytes = ws.total() + reserved;
          consider(std::move(c));
        }
      };
      plan_pool(s.c);
      widest_chunk(s.c, plan_pool);  // each channel's mean needs only its own channel
      return std::move(best.kernel);
    }
    // Row bands of `chunk` channels at a time (chunks outer): every operand of these layers is
    // per channel, so a chunk reads and writes only its channels.
    const int64_t channels = l.out.c;
    auto plan_bands = [&](int64_t chunk) {
      auto share = [&](int64_t bytes, int64_t c) { return bytes / channels * c; };
      for (int64_t n : distinct_band_counts(out_rows)) {
        const int64_t h = ceil_div(out_rows, n);
        int64_t n_chunks = ceil_div(channels, chunk);
        int64_t buffers = n * n_chunks > 1 ? 2 : 1;
        WorkingSet ws;
        ws.in = buffers * share(in_bytes({0, h}), chunk);
        ws.out = out_resident ? 0 : buffers * h * l.out.w * chunk * bpe_;
        if (!fits(ws, reserved)) continue;
        Kernel c = k;
        for (int64_t j = 0; j < n_chunks; ++j) {
          int64_t cc = std::min(chunk, channels - j * chunk);
          for (int64_t b = 0; b * h < out_rows; ++b) {
            RowRange rows{b * h, std::min(out_rows, (b + 1) * h)};
            Tile t;
            t.load_ifmap_bytes = share(in_bytes(rows), cc);
            if (!out_resident) t.store_bytes = rows.size() * l.out.w * cc * bpe_;
            t.steps = vector_steps(li, rows.size());
            // A shuffle or slice re-lays channels in its DMA transfers; with its input and its
            // output both resident in SRAM no transfer touches the data, so the vector unit copies
            // it (one read and one write per element).
            if ((l.op == Op::ChannelShuffle || l.op == Op::ChannelSlice) && t.load_ifmap_bytes == 0 && t.store_bytes == 0) {
              ComputeStep copy;
              copy.layer = li;
              copy.unit = Unit::Vector;
              copy.elements = rows.size() * l.out.w * channels;
              copy.sram_in_bytes = copy.sram_out_bytes = copy.elements * bpe_;
              t.steps.push_back(copy);
            }
            for (ComputeStep& s : t.steps) {
              s.elements = s.elements / channels * cc;
              s.sram_in_bytes = s.sram_in_bytes / channels * cc;
              s.sram_out_bytes = s.sram_out_bytes / channels * cc;
            }
            c.tiles.push_back(std::move(t));
          }
        }
        c.input_from_dram = in_bytes({0, out_rows}) > 0;
        c.output_to_dram = !out_resident;
        c.sram_peak_bytes = ws.total() + reserved;
        consider(std::move(c));
      }
    };
    plan_bands(channels);
    // LayerNorm normalises across channels, a shuffle or slice moves them: not per channel.
    bool per_channel = channels > 1 && l.op != Op::Concat && l.op != Op::LayerNorm && l.op != Op::ChannelShuffle &&
                       l.op != Op::ChannelSlice;
    for (size_t j = 0; j < l.inputs.size(); ++j) per_channel &= layer(l.inputs[j]).out.c == channels;
    if (per_channel) widest_chunk(channels, plan_bands);
    return std::move(best.kernel);
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(vector, nesim::planner::VectorTiler)
