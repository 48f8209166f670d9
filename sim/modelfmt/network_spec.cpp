#include "sim/modelfmt/network_spec.h"

#include "sim/util/error.h"

namespace nesim {

namespace {

class BlockWriter {
 public:
  BlockWriter(const Network& net, const std::string& where) : net_(net), where_(where) {}

  BlockSpec block(int index) const {
    const Layer& l = net_.layers[index];
    if (l.name.find('.') != std::string::npos || l.name == "input")
      fail(l, "a block name may not contain '.' or be 'input' (docs/model-format.md, Names)");
    BlockSpec b;
    b.name = l.name;
    for (int in : l.inputs) b.from.push_back(in == 0 ? "input" : net_.layers[in].name);
    switch (l.op) {
      case Op::Input: fail(l, "a second network input cannot be written as a block");
      case Op::Conv2d:
        // A depthwise conv as a `dwconv` block follows its input's channels when a search scales
        // the width; a `conv` with explicit groups would not.
        if (l.is_depthwise(net_.in_shape(l)) && l.batch_norm && !l.bias && l.kernel_h == l.kernel_w &&
            l.stride_h == l.stride_w && l.dilation_h == l.dilation_w && l.pad_top == l.dilation_h * (l.kernel_h - 1) / 2 &&
            l.pad_bottom == l.pad_top && l.pad_left == l.pad_top && l.pad_right == l.pad_top) {
          b.type = "dwconv";
          b.kernel = l.kernel_h;
          b.stride = l.stride_h;
          b.dilation = l.dilation_h;
          b.act = l.act;
          break;
        }
        b.type = "conv";
        b.out = l.out_channels;
        window(l, b, true);
        b.groups = l.groups;
        b.act = l.act;
        b.bn = l.batch_norm;
        b.bias = l.bias;
        break;
      case Op::FullyConnected:
        b.type = "fc";
        b.out = l.out_channels;
        b.bias = l.bias;
        if (l.act != Act::None) b.act = l.act;
        break;
      case Op::MaxPool:
      case Op::AvgPool:
        b.type = l.op == Op::MaxPool ? "maxpool" : "avgpool";
        window(l, b, false);
        if (l.ceil_mode) b.ceil_mode = true;
        break;
      case Op::GlobalAvgPool: b.type = "global_pool"; break;
      case Op::Add:
        b.type = "add";
        if (l.act != Act::None) b.act = l.act;
        break;
      case Op::Mul: b.type = "mul"; break;
      case Op::Concat: b.type = "concat"; break;
      case Op::Resize:
        b.type = "resize";
        b.size = std::array<int64_t, 2>{l.out_h, l.out_w};
        b.mode = l.resize_mode;
        break;
      case Op::SqueezeExcite:
        b.type = "se";
        b.se_channels = l.se_channels;
        b.se_act = l.se_act;
        b.se_gate = l.se_gate;
        break;
      case Op::Activation:
        b.type = "activation";
        b.act = l.act;
        break;
      case Op::BatchNorm:
        b.type = "batchnorm";
        if (l.act != Act::None) b.act = l.act;
        break;
      case Op::LayerNorm: b.type = "layernorm"; break;
      case Op::ChannelScale: b.type = "channel_scale"; break;
      case Op::ChannelShuffle:
        b.type = "channel_shuffle";
        b.groups = l.groups;
        break;
      case Op::ChannelSlice:
        b.type = "channel_slice";
        b.begin = l.slice_begin;
        b.end = l.slice_end;
        b.of = net_.in_shape(l).c;  // so that the range follows its input when a width multiplier scales it
        break;
    }
    const bool act_allowed = l.op == Op::Conv2d || l.op == Op::FullyConnected || l.op == Op::Add ||
                             l.op == Op::Activation || l.op == Op::BatchNorm;
    if (l.act != Act::None && !act_allowed)
      fail(l, fmt::format("a {} block carries no activation; the layer has '{}'", b.type, act_name(l.act)));
    return b;
  }

 private:
  const Network& net_;
  const std::string& where_;

  [[noreturn]] void fail(const Layer& l, const std::string& what) const {
    throw input_error("{}: layer '{}' ({}): cannot be written in the block format: {}", where_, l.name, op_name(l.op),
                      what);
  }

  void window(const Layer& l, BlockSpec& b, bool conv) const {
    if (l.kernel_h != l.kernel_w || l.stride_h != l.stride_w || (conv && l.dilation_h != l.dilation_w))
      fail(l, fmt::format("kernel {}x{}, stride {}x{}: the block format has square windows only", l.kernel_h,
                          l.kernel_w, l.stride_h, l.stride_w));
    if (l.pad_top != l.pad_bottom || l.pad_top != l.pad_left || l.pad_top != l.pad_right)
      fail(l, fmt::format("padding top {} bottom {} left {} right {}: the block format pads every side equally",
                          l.pad_top, l.pad_bottom, l.pad_left, l.pad_right));
    b.kernel = l.kernel_h;
    b.stride = l.stride_h;
    b.padding = l.pad_top;
    if (conv) b.dilation = l.dilation_h;
  }
};

}  // namespace

ModelSpec network_to_spec(const Network& net, const std::string& where) {
  if (net.layers.empty() || net.layers[0].op != Op::Input)
    throw input_error("{}: the network has no input layer", where);
  ModelSpec spec;
  spec.name = net.name;
  spec.input = net.layers[0].out;
  const BlockWriter writer(net, where);
  for (size_t i = 1; i < net.layers.size(); ++i) spec.stem.push_back(writer.block(static_cast<int>(i)));
  for (int o : net.outputs) spec.outputs.push_back(o == 0 ? "input" : net.layers[o].name);
  if (spec.stem.empty()) throw input_error("{}: the network has no layer besides its input", where);
  return spec;
}

}  // namespace nesim
