#include "nas/accuracy/classifier_net.h"

#include <algorithm>
#include <cmath>

#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"

namespace nesim::nas {
namespace {

bool has_blocks(const ModelSpec& spec) { return !spec.stem.empty() || !spec.stages.empty() || !spec.head.empty(); }

// `net` at a new input, for networks without a block-level spec (SCALE-Sim topologies, code).
Network rescaled(Network net, const Shape& input) {
  const Shape old = net.input_shape();
  net.layers[0].out = input;
  for (Layer& l : net.layers) {
    if (l.op != Op::Resize) continue;
    l.out_h = std::max<int64_t>(1, std::llround(static_cast<double>(l.out_h) * input.h / std::max<int64_t>(1, old.h)));
    l.out_w = std::max<int64_t>(1, std::llround(static_cast<double>(l.out_w) * input.w / std::max<int64_t>(1, old.w)));
  }
  return net;
}

}  // namespace

void skip_downsamplings(Network& net, int count, const std::string& where) {
  auto strided = [](const Layer& l) { return !l.inputs.empty() && (l.stride_h > 1 || l.stride_w > 1); };
  for (int k = 0; k < count; ++k) {
    net.infer_shapes(where);
    int64_t top = 0;
    for (const Layer& l : net.layers)
      if (strided(l)) top = std::max(top, net.in_shape(l).h * net.in_shape(l).w);
    if (top == 0) return;
    for (Layer& l : net.layers) {
      if (!strided(l) || net.in_shape(l).h * net.in_shape(l).w != top) continue;
      l.stride_h = l.stride_w = 1;
      if (l.kernel_h % 2 == 1) l.pad_top = l.pad_bottom = (l.kernel_h - 1) * l.dilation_h / 2;
      if (l.kernel_w % 2 == 1) l.pad_left = l.pad_right = (l.kernel_w - 1) * l.dilation_w / 2;
    }
  }
  net.infer_shapes(where);
}

ModelSpec at_input(const ModelSpec& spec, const Shape& input) {
  ModelSpec s = spec;
  const double fh = static_cast<double>(input.h) / std::max<int64_t>(1, spec.input.h);
  const double fw = static_cast<double>(input.w) / std::max<int64_t>(1, spec.input.w);
  auto scale = [&](BlockSpec& b) {
    if (!b.size) return;
    auto& [h, w] = *b.size;
    h = std::max<int64_t>(1, std::llround(static_cast<double>(h) * fh));
    w = std::max<int64_t>(1, std::llround(static_cast<double>(w) * fw));
  };
  for (BlockSpec& b : s.stem) scale(b);
  for (StageSpec& st : s.stages)
    for (BlockSpec& b : st.blocks) scale(b);
  for (BlockSpec& b : s.head) scale(b);
  s.input = input;
  return s;
}

Network classifier_network(const ModelSpec& spec, const Network& net, const ClassifierShape& shape) {
  if (shape.in_channels < 1 || shape.input_size < 1 || shape.classes < 1 || shape.skip_strides < 0)
    throw input_error("{}: classifier shape: expected positive channels, input size and classes and at least 0 "
                      "skipped strides, got {}, {}, {}, {}",
                      net.name, shape.in_channels, shape.input_size, shape.classes, shape.skip_strides);
  const Shape input{shape.in_channels, shape.input_size, shape.input_size};
  const std::string where = fmt::format("{} at input {}x{}x{}", net.name, input.c, input.h, input.w);
  Network full;
  if (has_blocks(spec)) {
    full = expand(at_input(spec, input), where);
  } else {
    full = rescaled(net, input);
  }
  full.infer_shapes(where);
  skip_downsamplings(full, shape.skip_strides, where);
  const int logits = full.output_indices().at(0);

  // Keep what the first output depends on, in the original order.
  std::vector<char> needed(full.layers.size(), 0);
  needed[logits] = 1;
  for (int i = logits; i >= 0; --i)
    if (needed[i])
      for (int p : full.layers[i].inputs) needed[p] = 1;
  needed[0] = 1;
  Network out;
  out.name = full.name;
  std::vector<int> index(full.layers.size(), -1);
  for (size_t i = 0; i < full.layers.size(); ++i) {
    if (!needed[i]) continue;
    Layer l = full.layers[i];
    for (int& p : l.inputs) p = index[p];
    index[i] = out.add(std::move(l));
  }
  int last = index[logits];
  if (out.layers[last].op == Op::FullyConnected) {
    out.layers[last].out_channels = shape.classes;
  } else {
    Layer pool;
    pool.name = "nesim.classifier_pool";
    pool.op = Op::GlobalAvgPool;
    pool.inputs = {last};
    Layer fc;
    fc.name = "nesim.classifier_fc";
    fc.op = Op::FullyConnected;
    fc.out_channels = shape.classes;
    fc.bias = true;
    fc.inputs = {out.add(pool)};
    last = out.add(fc);
  }
  out.outputs = {last};
  out.infer_shapes(where);
  return out;
}

}  // namespace nesim::nas
