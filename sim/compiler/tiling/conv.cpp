#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "sim/compiler/tiler.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

namespace {

// Single conv / FC layer, every tile holding all input channels: searches tile shapes (output
// rows x output channels, or groups) and loop orders (bands or weight chunks outer).
class ConvTiler : public Tiler {
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
    bool in_res = resident_in.count(l.inputs[0]) > 0;
    int64_t reserved = reserved_bytes(li, resident_in, out_resident);
    int64_t out_rows = fc ? 1 : l.out.h;
    int64_t total_chunks_of = fc || l.groups == 1 ? l.out_channels : l.groups;
    int64_t align = hw_.mac_array.kind == ArrayKind::Systolic ? hw_.mac_array.cols : hw_.mac_array.pf;
    // Candidate chunk sizes: ceil(total / n) rounded up to the array width, all distinct values.
    std::vector<int64_t> chunks;
    for (int64_t n = 1; n <= total_chunks_of; ++n) {
      int64_t c = std::min(total_chunks_of, ceil_div(ceil_div(total_chunks_of, n), align) * align);
      if (chunks.empty() || chunks.back() != c) chunks.push_back(c);
      if (c <= align) break;
    }
    std::vector<int64_t> bands;  // rows per band
    for (int64_t n = 1; n <= out_rows; ++n) {
      int64_t h = ceil_div(out_rows, n);
      if (bands.empty() || bands.back() != h) bands.push_back(h);
    }
    // Input bytes of `rows` input rows for a chunk (what in_bytes_for() multiplies out).
    auto in_bytes_of_rows = [&](int64_t rows, int64_t chunk) {
      if (in_res) return int64_t{0};
      if (fc) return in.elements() * bpe_;
      int64_t ch = l.groups == 1 ? in.c : chunk * (in.c / l.groups);
      return rows * in.w * ch * bpe_;
    };
    // Per band height: input rows of the first band, and of all bands with their halos. They do
    // not depend on the chunk, so the chunk loop below reuses them.
    std::vector<int64_t> first_band_rows(bands.size()), all_band_rows(bands.size());
    if (!fc && !in_res)
      for (size_t i = 0; i < bands.size(); ++i) {
        int64_t h = bands[i];
        first_band_rows[i] = input_rows(li, {0, std::min(h, out_rows)}).size();
        for (int64_t b = 0; b * h < out_rows; ++b)
          all_band_rows[i] += input_rows(li, {b * h, std::min(out_rows, (b + 1) * h)}).size();
      }
    auto out_bytes_for = [&](int64_t rows, int64_t chunk) {
      int64_t ch = l.groups == 1 || fc ? chunk : chunk * (l.out_channels / l.groups);
      return rows * l.out.w * ch * bpe_;
    };

    // shape: band height, chunk size, bands outer (1) or chunks outer (0), working-set bytes.
    std::vector<Candidate> candidates;
    auto consider_chunks = [&](const std::vector<int64_t>& chunk_sizes) {
      for (int64_t c : chunk_sizes) {
        int64_t n_chunks = ceil_div(total_chunks_of, c);
        int64_t w_all = weight_bytes(li, total_chunks_of), w_chunk = weight_bytes(li, c);
        for (size_t hi = 0; hi < bands.size(); ++hi) {
          int64_t h = bands[hi];
          int64_t n_bands = ceil_div(out_rows, h);
          int64_t in_band = in_bytes_of_rows(first_band_rows[hi], c);
          // Band-by-band ifmap total, with halo rows re-read (fc: one band of the whole input).
          int64_t in_total = in_bytes_of_rows(all_band_rows[hi], l.groups == 1 || fc ? c : total_chunks_of);
          int64_t tile_compute = -1;  // worked out once the tile shape fits
          for (bool bands_outer : {true, false}) {
            WorkingSet ws;
            int64_t traffic, in_loads, w_loads;  // bytes; transfers of each operand
            if (l.groups > 1 && !fc) {
              // Groups are independent: each (band, chunk) reads only its own channels once.
              // Bands outer: all weights loaded first and kept (depthwise: C*k*k, small). Chunks
              // outer: each chunk's weights loaded once, before its first band (where all of them
              // do not fit, or a smaller first load pays).
              if (!bands_outer && n_chunks == 1) continue;
              traffic = in_total + w_all;
              ws.in = (n_bands * n_chunks > 1 ? 2 : 1) * in_band;
              ws.weights = bands_outer ? w_all : 2 * w_chunk;
              in_loads = n_bands * n_chunks, w_loads = bands_outer ? 1 : n_chunks;
            } else if (bands_outer) {
              traffic = in_total + (n_chunks == 1 ? w_all : n_bands * w_all);
              ws.in = (n_bands > 1 ? 2 : 1) * in_band;
              ws.weights = (n_chunks > 1 ? 2 : 1) * w_chunk;
              in_loads = n_bands, w_loads = n_chunks == 1 ? 1 : n_bands * n_chunks;
            } else {
              traffic = (n_bands == 1 ? in_total : n_chunks * in_total) + w_all;
              ws.in = (n_bands > 1 ? 2 : 1) * in_band;
              ws.weights = (n_chunks > 1 ? 2 : 1) * w_chunk;
              in_loads = n_bands == 1 ? 1 : n_bands * n_chunks, w_loads = n_chunks;
            }
            if (in_res) in_loads = 0;
            if (!out_resident) {
              traffic += tensor_bytes(li);
              ws.out = (n_bands * n_chunks > 1 ? 2 : 1) * out_bytes_for(std::min(h, out_rows), c);
            }
            if (!fits(ws, reserved)) continue;
            int64_t tiles = n_bands * n_chunks;
            if (tile_compute < 0) tile_compute = step_cycles(hw_, conv_step(li, std::min(h, out_rows), c));
            int64_t compute = tiles * tile_compute;
            int64_t store = out_resident ? 0 : tensor_bytes(li);
            int64_t first = in_band + (l.groups > 1 && !fc && bands_outer ? w_all : w_chunk);
            int64_t cycles = pipeline_estimate(tiles, first, traffic - store, store, compute, in_loads + w_loads,
                                               (in_res ? 0 : 1) + 1);
            candidates.push_back({cycles, traffic, tiles, {h, c, bands_outer ? 1 : 0, ws.total()}});
          }
        }
      }
    };
    consider_chunks(chunks);
    if (candidates.empty() && chunks.back() > 1) {
      // Nothing fits at the array's width (a wide array on a small SRAM): chunks narrower than
      // it, lanes idle, before giving up.
      std::vector<int64_t> narrow;
      for (int64_t c = chunks.back() / 2; c >= 1; c /= 2) narrow.push_back(c);
      consider_chunks(narrow);
    }
    return best_of(candidates, [&](const Candidate& cand) { return build(li, resident_in, out_resident, cand); });
  }

 private:
  // The kernel of one candidate of plan().
  Kernel build(int li, const Resident& resident_in, bool out_resident, const Candidate& cand) const {
    const Layer& l = layer(li);
    const Shape& in = in_shape(li);
    bool fc = l.op == Op::FullyConnected;
    bool in_res = resident_in.count(l.inputs[0]) > 0;
    int64_t out_rows = fc ? 1 : l.out.h;
    int64_t total_chunks_of = fc || l.groups == 1 ? l.out_channels : l.groups;
    auto in_bytes_for = [&](RowRange out, int64_t chunk) -> int64_t {
      if (in_res) return 0;
      if (fc) return in.elements() * bpe_;
      int64_t ch = l.groups == 1 ? in.c : chunk * (in.c / l.groups);
      return input_rows(li, out).size() * in.w * ch * bpe_;
    };
    auto out_bytes_for = [&](int64_t rows, int64_t chunk) {
      int64_t ch = l.groups == 1 || fc ? chunk : chunk * (l.out_channels / l.groups);
      return rows * l.out.w * ch * bpe_;
    };
    struct {
      int64_t h, c;
      bool bands_outer;
    } best{cand.shape[0], cand.shape[1], cand.shape[2] == 1};

    Kernel k = single_layer_kernel(li, fc ? "fc" : (l.is_depthwise(in) ? "dwconv" : "conv"), in_res, out_resident,
                                   cand.shape[3] + reserved_bytes(li, resident_in, out_resident));
    int64_t n_bands = ceil_div(out_rows, best.h), n_chunks = ceil_div(total_chunks_of, best.c);
    check_tile_count(net_, l, hw_, n_bands, n_chunks);
    k.tiles.reserve(static_cast<size_t>(n_bands * n_chunks));
    bool weights_once = n_chunks == 1 || !best.bands_outer;
    struct StepMemo {
      int64_t rows = -1, c = -1;
      std::vector<ComputeStep> steps;
    } memos[2];
    auto emit = [&](int64_t b, int64_t ci, bool first_of_band, bool first_of_chunk) {
      RowRange rows{b * best.h, std::min(out_rows, (b + 1) * best.h)};
      int64_t c = std::min(best.c, total_chunks_of - ci * best.c);
      Tile t;
      bool grouped = l.groups > 1 && !fc;
      bool load_in = grouped || (best.bands_outer ? first_of_band : (n_bands > 1 || first_of_band));
      if (load_in) t.load_ifmap_bytes = in_bytes_for(rows, grouped ? c : best.c);
      bool load_w = weights_once ? first_of_chunk : true;
      if (n_chunks == 1) load_w = b == 0;
      if (grouped) load_w = best.bands_outer ? k.tiles.empty() : first_of_chunk;
      if (load_w) t.load_weight_bytes = grouped && best.bands_outer ? weight_bytes(li, total_chunks_of) : weight_bytes(li, c);
      if (!out_resident) t.store_bytes = out_bytes_for(rows.size(), c);
      // Tiles share a few (rows, chunk) shapes: their steps are worked out once per shape, and
      // the last two shapes kept (bands outer alternate a full and a last channel chunk).
      StepMemo* memo = std::find_if(std::begin(memos), std::end(memos),
                                    [&](const StepMemo& m) { return m.rows == rows.size() && m.c == c; });
      if (memo == std::end(memos)) {
        std::swap(memos[0], memos[1]);
        memo = &memos[0];
        *memo = {rows.size(), c, {conv_step(li, rows.size(), c)}};
        const int64_t chunk_channels = l.groups == 1 || fc ? c : c * (l.out_channels / l.groups);
        for (auto& v : vector_steps(li, rows.size())) {
          v.elements = v.elements * chunk_channels / l.out.c;
          v.sram_in_bytes = v.sram_in_bytes * chunk_channels / l.out.c;  // this chunk's share
          v.sram_out_bytes = v.sram_out_bytes * chunk_channels / l.out.c;
          memo->steps.push_back(v);
        }
      }
      t.steps = memo->steps;
      k.tiles.push_back(std::move(t));
    };
    if (best.bands_outer) {
      for (int64_t b = 0; b < n_bands; ++b)
        for (int64_t ci = 0; ci < n_chunks; ++ci) emit(b, ci, ci == 0, b == 0);
    } else {
      for (int64_t ci = 0; ci < n_chunks; ++ci)
        for (int64_t b = 0; b < n_bands; ++b) emit(b, ci, ci == 0, b == 0);
    }
    return k;
  }
};

}  // namespace

}  // namespace nesim::planner

NESIM_REGISTER_TILER(conv, nesim::planner::ConvTiler)
