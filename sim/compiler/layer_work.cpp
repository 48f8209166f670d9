#include <algorithm>
#include <optional>
#include <string>

#include "sim/compiler/planner.h"
#include "sim/util/checked.h"
#include "sim/util/error.h"

namespace nesim::planner {

void check_tile_count(const Network& net, const Layer& l, const HwConfig& hw, int64_t bands, int64_t chunks,
                      int64_t more_chunks) {
  const std::optional<int64_t> tiles = checked::mul(bands, chunks, more_chunks);
  if (tiles && *tiles <= kMaxKernelTiles) return;
  throw input_error(
      "{}: layer '{}' needs {} tiles on '{}' ({} KiB SRAM), more than the {} a run may hold in memory "
      "(docs/model-format.md, Limits); use a larger sram.kib or a smaller layer",
      net.name, l.name, tiles ? fmt::format("{}", *tiles) : std::string("over 2^63"), hw.name, hw.sram_bytes() / 1024,
      kMaxKernelTiles);
}

bool LayerWork::fits(const WorkingSet& ws, int64_t reserved) const {
  if (hw_.sram.layout == SramLayout::Unified) return ws.total() + reserved <= hw_.sram_bytes();
  return ws.in + ws.scratch <= hw_.sram.ifmap_kib * 1024 && ws.weights <= hw_.sram.weight_kib * 1024 &&
         ws.out <= hw_.sram.ofmap_kib * 1024;
}

int64_t LayerWork::weight_bytes(int li, int64_t chunk) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  switch (l.op) {
    case Op::Conv2d:
      if (l.groups == 1) return chunk * in.c * l.kernel_h * l.kernel_w * bpe_ + chunk * kChannelParamBytes;
      return chunk * (l.out_channels / l.groups) * (in.c / l.groups) * l.kernel_h * l.kernel_w * bpe_ +
             chunk * (l.out_channels / l.groups) * kChannelParamBytes;
    case Op::FullyConnected: return chunk * in.elements() * bpe_ + chunk * kChannelParamBytes;
    case Op::SqueezeExcite: return 2 * in.c * l.se_channels * bpe_ + (in.c + l.se_channels) * kChannelParamBytes;
    default: return 0;
  }
}

RowRange LayerWork::input_rows(int li, RowRange out) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  switch (l.op) {
    case Op::Conv2d:
    case Op::MaxPool:
    case Op::AvgPool: {
      int64_t dil = l.op == Op::Conv2d ? l.dilation_h : 1;
      int64_t lo = out.lo * l.stride_h - l.pad_top;
      int64_t hi = (out.hi - 1) * l.stride_h - l.pad_top + dil * (l.kernel_h - 1) + 1;
      return {std::max<int64_t>(0, lo), std::min<int64_t>(in.h, hi)};
    }
    case Op::Resize: {
      int64_t lo = out.lo * in.h / l.out.h;
      int64_t hi = std::min<int64_t>(in.h, ceil_div(out.hi * in.h, l.out.h) + 1);
      return {lo, hi};
    }
    case Op::GlobalAvgPool:
    case Op::FullyConnected:
    case Op::SqueezeExcite: return {0, in.h};
    default: return out;  // elementwise: row for row
  }
}

// The compute step of a conv / FC layer producing `rows_out` output rows of `chunk` channels
// (g == 1) or `chunk` whole groups (g > 1).
ComputeStep LayerWork::conv_step(int li, int64_t rows_out, int64_t chunk) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  ComputeStep s;
  s.layer = li;
  s.unit = Unit::MacArray;
  if (l.op == Op::FullyConnected) {
    s.out_pixels = 1;
    s.in_channels = in.elements();
    s.out_channels = chunk;
    s.sram_in_bytes = in.elements() * bpe_;
    s.sram_weight_bytes = weight_bytes(li, chunk);
    s.sram_out_bytes = chunk * bpe_;
    return s;
  }
  s.out_pixels = rows_out * l.out.w;
  s.taps = int64_t{l.kernel_h} * l.kernel_w;
  if (l.groups == 1) {
    s.in_channels = in.c;
    s.out_channels = chunk;
  } else {
    s.in_channels = in.c / l.groups;
    s.out_channels = l.out_channels / l.groups;
    s.groups = chunk;
    if (l.is_depthwise(in) && hw_.depthwise.mode == DepthwiseMode::Dedicated) s.unit = Unit::Depthwise;
  }
  int64_t out_ch = s.out_channels * s.groups;
  int64_t in_ch = s.in_channels * s.groups;
  int64_t rows_in = input_rows(li, {0, rows_out}).size();
  s.sram_in_bytes = rows_in * in.w * in_ch * bpe_;
  s.sram_weight_bytes = weight_bytes(li, chunk);
  s.sram_out_bytes = s.out_pixels * out_ch * bpe_;
  return s;
}

// Vector-unit work of layer `li` over `rows_out` output rows (the whole layer for pools to 1x1).
std::vector<ComputeStep> LayerWork::vector_steps(int li, int64_t rows_out) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  std::vector<ComputeStep> steps;
  int64_t out_elems = rows_out * l.out.w * l.out.c;
  const int64_t out_bytes = out_elems * bpe_;
  // Each input element crosses the SRAM port once and each result once: pools and resizes read
  // their input rows through a line buffer; a global pool writes only its sums.
  auto push = [&](int64_t elements, int64_t ops, bool special, int64_t in_bytes, int64_t result_bytes) {
    ComputeStep s;
    s.layer = li;
    s.unit = Unit::Vector;
    s.elements = elements;
    s.ops_per_element = ops;
    s.special_fn = special;
    s.sram_in_bytes = in_bytes;
    s.sram_out_bytes = result_bytes;
    steps.push_back(s);
  };
  auto in_rows_bytes = [&](int k) {
    const Shape& sk = in_shape(li, k);
    if (sk.h == 1 && sk.w == 1) return sk.c * bpe_;  // a broadcast per-channel vector
    return input_rows(li, {0, rows_out}).size() * sk.w * sk.c * bpe_;
  };
  int64_t all_inputs_bytes = 0;
  for (size_t k = 0; k < l.inputs.size(); ++k) all_inputs_bytes += in_rows_bytes(static_cast<int>(k));
  bool special_act = l.act == Act::Sigmoid || l.act == Act::Swish || l.act == Act::Gelu;
  switch (l.op) {
    case Op::MaxPool:
    case Op::AvgPool: push(out_elems, int64_t{l.kernel_h} * l.kernel_w, false, in_rows_bytes(0), out_bytes); break;
    case Op::GlobalAvgPool: push(in.elements(), 1, false, in.elements() * bpe_, l.out.c * bpe_); break;
    case Op::Add:
      push(out_elems, static_cast<int64_t>(l.inputs.size()) - 1, false, all_inputs_bytes, out_bytes);
      break;
    case Op::Mul: push(out_elems, 1, false, all_inputs_bytes, out_bytes); break;
    case Op::Resize:
      push(out_elems, l.resize_mode == ResizeMode::Bilinear ? 4 : 1, false, in_rows_bytes(0), out_bytes);
      break;
    case Op::Activation: push(out_elems, 1, special_act, out_bytes, out_bytes); break;
    case Op::BatchNorm: push(out_elems, 2, false, out_bytes, out_bytes); break;  // scale, shift
    case Op::LayerNorm:  // mean, variance, normalise, scale, shift; one reciprocal sqrt per position
      push(out_elems, 5, false, out_bytes, out_bytes);
      push(rows_out * l.out.w, 1, true, 0, 0);  // on the statistics, held in the unit
      break;
    case Op::ChannelScale: push(out_elems, 1, false, out_bytes, out_bytes); break;
    default: break;  // ChannelShuffle, ChannelSlice: the tile's DMA re-lays the channels (tiling/vector.cpp)
  }
  if (l.op != Op::Activation && special_act) push(out_elems, 1, true, out_bytes, out_bytes);
  return steps;
}

ComputeStep LayerWork::se_pass_step(int li, int64_t elements, bool scale) const {
  ComputeStep st;
  st.layer = li;
  st.unit = Unit::Vector;
  st.elements = elements;
  st.sram_in_bytes = elements * bpe_;
  if (scale) st.sram_out_bytes = elements * bpe_;
  return st;
}

ComputeStep LayerWork::se_fc_step(int li, int64_t in, int64_t out) const {
  ComputeStep st;
  st.layer = li;
  st.out_pixels = 1;
  st.in_channels = in;
  st.out_channels = out;
  st.sram_in_bytes = in * bpe_;
  st.sram_weight_bytes = in * out * bpe_ + out * kChannelParamBytes;
  st.sram_out_bytes = out * bpe_;
  return st;
}

ComputeStep LayerWork::se_gate_step(int li, int64_t channels) const {
  ComputeStep st;
  st.layer = li;
  st.unit = Unit::Vector;
  st.elements = channels;
  st.special_fn = layer(li).se_gate == Act::Sigmoid;
  return st;
}

}  // namespace nesim::planner
