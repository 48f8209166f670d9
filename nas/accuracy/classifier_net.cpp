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
  if (shape.in_channels < 1 || shape.input_size < 1 || shape.classes < 1)
    throw input_error("{}: classifier shape: expected positive channels, input size and classes, got {}, {}, {}",
                      net.name, shape.in_channels, shape.input_size, shape.classes);
  const Shape input{shape.in_channels, shape.input_size, shape.input_size};
  const std::string where = fmt::format("{} at input {}x{}x{}", net.name, input.c, input.h, input.w);
  Network full;
  if (has_blocks(spec)) {
    full = expand(at_input(spec, input), where);
  } else {
    full = rescaled(net, input);
  }
  full.infer_shapes(where);
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
