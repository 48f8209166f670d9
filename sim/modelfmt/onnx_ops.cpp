// One ONNX node -> one layer (or a view, or a pending value): the per-operator mapping of
// docs/model-format.md, "ONNX".
#include <fmt/ranges.h>

#include "sim/modelfmt/onnx_importer.h"

namespace nesim::onnx_detail {

// Kernel, strides, pads (plus a folded Pad's), dilations and auto_pad of a Conv or pool.
void Importer::window(Layer& l, const std::array<int64_t, 4>& extra, bool with_dilation) {
  const Shape& in = shape(l.inputs[0]);
  std::vector<int64_t> kernel = attr_ints(*node_, "kernel_shape").value_or(std::vector<int64_t>{});
  if (kernel.empty() && l.op == Op::Conv2d) {
    const ConstTensor& w = constant(1, "the weight");
    kernel.assign(w.dims.begin() + 2, w.dims.end());
  }
  if (kernel.size() != 2) fail("expected a 2-D kernel, got {} dimensions", kernel.size());
  const std::vector<int64_t> strides = attr_ints(*node_, "strides").value_or(std::vector<int64_t>{1, 1});
  const std::vector<int64_t> dil = attr_ints(*node_, "dilations").value_or(std::vector<int64_t>{1, 1});
  std::vector<int64_t> pads = attr_ints(*node_, "pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) fail("expected 2-D strides, dilations and pads");
  if (!with_dilation && (dil[0] != 1 || dil[1] != 1)) fail("dilated pooling is not supported");
  const std::string auto_pad = attr_string(*node_, "auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const int64_t size[2] = {in.h, in.w};
    for (int a = 0; a < 2; ++a) {
      const int64_t out = (size[a] + strides[a] - 1) / strides[a];
      const int64_t total = std::max<int64_t>(0, (out - 1) * strides[a] + dil[a] * (kernel[a] - 1) + 1 - size[a]);
      const int64_t small = total / 2, big = total - small;
      pads[a] = auto_pad == "SAME_UPPER" ? small : big;
      pads[a + 2] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad != "NOTSET") {
    fail("unknown auto_pad '{}'", auto_pad);
  }
  l.kernel_h = static_cast<int>(kernel[0]), l.kernel_w = static_cast<int>(kernel[1]);
  l.stride_h = static_cast<int>(strides[0]), l.stride_w = static_cast<int>(strides[1]);
  l.dilation_h = static_cast<int>(dil[0]), l.dilation_w = static_cast<int>(dil[1]);
  // ONNX pads: [top, left, bottom, right]; a folded Pad's: top, bottom, left, right.
  l.pad_top = static_cast<int>(pads[0] + extra[0]), l.pad_bottom = static_cast<int>(pads[2] + extra[1]);
  l.pad_left = static_cast<int>(pads[1] + extra[2]), l.pad_right = static_cast<int>(pads[3] + extra[3]);
}

void Importer::map_conv() {
  std::array<int64_t, 4> pads{};
  const Value x = nchw_in(0, &pads);
  const ConstTensor& w = constant(1, "the weight");
  if (w.dims.size() != 4) fail("expected a 4-D weight [O, I/groups, kH, kW], got {} dimensions", w.dims.size());
  Layer l;
  l.op = Op::Conv2d;
  l.inputs = {x.layer};
  l.out_channels = w.dims[0];
  l.groups = static_cast<int>(attr_int(*node_, "group", 1));
  l.bias = has_input(2);
  if (shape(x.layer).c != w.dims[1] * l.groups)
    fail("weight expects {} input channels ({} x {} groups); the input has {}", w.dims[1] * l.groups, w.dims[1],
         l.groups, shape(x.layer).c);
  window(l, pads, true);
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

// Gemm: a fully connected layer on a flattened input (torch's nn.Linear on N x features).
void Importer::map_gemm() {
  const Value& a = tensor_in(0);
  const ConstTensor& b = constant(1, "the weight B");
  if (attr_int(*node_, "transA", 0) != 0) fail("transA = 1 is not supported");
  if (attr_float(*node_, "alpha", 1.0) != 1.0 || attr_float(*node_, "beta", 1.0) != 1.0)
    fail("alpha and beta other than 1 are not supported");
  if (b.dims.size() != 2) fail("expected a 2-D weight, got {} dimensions", b.dims.size());
  const bool trans_b = attr_int(*node_, "transB", 0) != 0;
  const int64_t in_features = trans_b ? b.dims[1] : b.dims[0], out_features = trans_b ? b.dims[0] : b.dims[1];
  if (shape(a.layer).elements() != in_features)
    fail("weight expects {} input features; the input has {}", in_features, shape(a.layer).elements());
  Layer l;
  l.op = Op::FullyConnected;
  l.inputs = {a.layer};
  l.out_channels = out_features;
  l.bias = has_input(2);
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), View::Flat));
}

// MatMul by a constant: an FC layer on a flattened input, a 1x1 conv on channels-last (nn.Linear
// applied per position, as in ConvNeXt). Its bias arrives as the following Add.
void Importer::map_matmul() {
  const Value& a = tensor_in(0);
  const ConstTensor& b = constant(1, "the weight");
  if (b.dims.size() != 2) fail("expected a 2-D constant weight, got {} dimensions", b.dims.size());
  const Shape& s = shape(a.layer);
  Layer l;
  l.inputs = {a.layer};
  l.out_channels = b.dims[1];
  View view = View::Flat;
  if (a.view == View::NHWC) {
    if (s.c != b.dims[0]) fail("weight expects {} input channels; the input has {}", b.dims[0], s.c);
    l.op = Op::Conv2d;
    view = View::NHWC;
  } else if (a.view == View::Flat) {
    if (s.elements() != b.dims[0]) fail("weight expects {} input features; the input has {}", b.dims[0], s.elements());
    l.op = Op::FullyConnected;
  } else {
    fail("MatMul of a {} tensor is not supported (expected a flattened or channels-last input)", view_name(a.view));
  }
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), view));
}

void Importer::map_batchnorm() {
  const Value& x = tensor_in(0);
  if (x.view != View::NCHW) fail("expected an N x C x H x W input, got a {} view", view_name(x.view));
  Layer& producer = net_.layers.at(x.layer);
  if (producer.op == Op::Conv2d && !producer.batch_norm && producer.act == Act::None &&
      consumers_[node_->input(0)] == 1) {
    producer.batch_norm = true;  // conv + BN, as trained: 2 parameters per channel
    set_output(0, tensor_value(x.layer));
    return;
  }
  Layer l;
  l.op = Op::BatchNorm;
  l.inputs = {x.layer};
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_act(Act act) {
  const Value x = tensor_in(0);
  Value v = pending(Pending::Act, x, node_->input(0));
  v.act = act;
  set_output(0, v);
}

void Importer::map_clip() {
  double lo = -INFINITY, hi = INFINITY;
  if (opset_ < 11) {
    lo = attr_float(*node_, "min", -INFINITY), hi = attr_float(*node_, "max", INFINITY);
  } else {
    if (has_input(1)) lo = constant(1, "min").values.at(0);
    if (has_input(2)) hi = constant(2, "max").values.at(0);
  }
  if (lo != 0 || (hi != 6 && hi != INFINITY)) fail("Clip to [{}, {}]: nesim maps Clip to [0, 6] (relu6) and [0, inf) (relu) only", lo, hi);
  map_act(hi == 6 ? Act::Relu6 : Act::Relu);
}

void Importer::map_hardsigmoid() {
  const double alpha = attr_float(*node_, "alpha", 0.2), beta = attr_float(*node_, "beta", 0.5);
  if (std::abs(alpha - 1.0 / 6) > 1e-4 || std::abs(beta - 0.5) > 1e-4)
    fail("HardSigmoid with alpha {} and beta {}: nesim maps torch's hardsigmoid (alpha 1/6, beta 0.5) only", alpha, beta);
  map_act(Act::HSigmoid);
}

void Importer::map_add() {
  if (node_->input_size() == 2 && (is_const(0) || is_const(1))) {
    const int ck = is_const(0) ? 0 : 1;
    const Value& x = value(1 - ck);
    const ConstTensor& c = constant(ck, "the addend");
    if (layer_norm_step()) return;
    if (x.pending == Pending::GeluErf && c.has_values && c.elements() == 1 && c.values[0] == 1.0) {
      set_output(0, pending(Pending::GeluErfPlus1, x, x.base));
      return;
    }
    // A bias after MatMul (or a bias-less conv / FC): fold it in.
    const Value& t = tensor_in(1 - ck);
    Layer& producer = net_.layers.at(t.layer);
    if ((producer.op == Op::Conv2d || producer.op == Op::FullyConnected) && !producer.bias &&
        producer.act == Act::None && !producer.batch_norm && c.elements() == producer.out_channels &&
        consumers_[node_->input(1 - ck)] == 1) {
      producer.bias = true;
      set_output(0, t);
      return;
    }
    fail("adding a constant is supported only as the bias of the conv, MatMul or Gemm before it");
  }
  Layer l;
  l.op = Op::Add;
  View view = View::NCHW;
  for (int k = 0; k < node_->input_size(); ++k) {
    const Value& t = tensor_in(k);
    if (k == 0) view = t.view;
    if (t.view != view && !(shape(t.layer).h == 1 && shape(t.layer).w == 1))
      fail("inputs in different layouts ({} and {})", view_name(view), view_name(t.view));
    l.inputs.push_back(t.layer);
  }
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), view));
}

void Importer::map_mul() {
  if (layer_norm_step()) return;
  for (int k = 0; k < 2; ++k) {
    const Value& a = value(k);
    const Value& b = value(1 - k);
    // x * sigmoid(x) (SiLU), x * hardsigmoid(x) (hardswish before opset 14).
    if (a.pending == Pending::Act && (a.act == Act::Sigmoid || a.act == Act::HSigmoid) && a.base == node_->input(1 - k) &&
        b.kind == Value::Kind::Tensor) {
      Value v = pending(Pending::Act, a, a.base);
      v.act = a.act == Act::Sigmoid ? Act::Swish : Act::HSwish;
      v.fuse_consumers = 2;
      set_output(0, v);
      return;
    }
    // GELU: x * (1 + erf(x / sqrt 2)), then * 0.5.
    if (a.pending == Pending::GeluErfPlus1 && a.base == node_->input(1 - k)) {
      set_output(0, pending(Pending::GeluTimesX, a, a.base));
      return;
    }
    if (a.pending == Pending::GeluTimesX && b.kind == Value::Kind::Const && b.c.has_values && b.c.elements() == 1 &&
        std::abs(b.c.values[0] - 0.5) < 1e-6) {
      Value v = a;
      v.pending = Pending::Act;
      v.act = Act::Gelu;
      v.fuse_consumers = 2;  // read by the Div and the first Mul
      v.node_name = node_layer_name(*node_);
      set_output(0, v);
      return;
    }
  }
  if (!is_const(0) && !is_const(1) && squeeze_excite()) return;
  if (is_const(0) || is_const(1)) {
    const int ck = is_const(0) ? 0 : 1;
    const ConstTensor& c = constant(ck, "the factor");
    const Value& t = tensor_in(1 - ck);
    const Shape& s = shape(t.layer);
    // A learned per-channel scale, [C, 1, 1] or [1, C, 1, 1] (ConvNeXt's layer scale).
    std::vector<int64_t> d = c.dims;
    while (!d.empty() && d.front() == 1 && d.size() > 3) d.erase(d.begin());
    if (t.view == View::NCHW && d.size() == 3 && d[0] == s.c && d[1] == 1 && d[2] == 1) {
      Layer l;
      l.op = Op::ChannelScale;
      l.inputs = {t.layer};
      set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
      return;
    }
    fail("multiplying by a constant is supported only as a per-channel scale [C, 1, 1] (layer scale) or in GELU");
  }
  const Value a = tensor_in(0);
  const Value b = tensor_in(1);
  if (a.view != View::NCHW || b.view != View::NCHW) fail("expected N x C x H x W inputs");
  Layer l;
  l.op = Op::Mul;
  l.inputs = {a.layer, b.layer};
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_div() {
  if (layer_norm_step()) return;
  const Value& x = value(0);
  if (x.kind == Value::Kind::Tensor && is_const(1)) {
    const ConstTensor& c = constant(1, "the divisor");
    if (c.has_values && c.elements() == 1 && std::abs(c.values[0] - std::sqrt(2.0)) < 1e-3) {
      const Value t = tensor_in(0);
      set_output(0, pending(Pending::GeluDiv, t, node_->input(0)));
      return;
    }
  }
  fail("division is supported only as the x / sqrt(2) of GELU's erf form");
}

void Importer::map_erf() {
  const Value& x = value(0);
  if (x.pending != Pending::GeluDiv) fail("Erf is supported only as part of GELU's erf form");
  set_output(0, pending(Pending::GeluErf, x, x.base));
}

void Importer::map_concat() {
  const int64_t axis = attr_int(*node_, "axis", 1);
  Layer l;
  l.op = Op::Concat;
  for (int k = 0; k < node_->input_size(); ++k) {
    const Value& t = tensor_in(k);
    const bool channels = (t.view == View::NCHW && (axis == 1 || axis == -3)) ||
                          (t.view == View::NHWC && (axis == 3 || axis == -1));
    if (!channels) fail("concatenation along axis {} of a {} tensor; nesim concatenates channels only", axis, view_name(t.view));
    l.inputs.push_back(t.layer);
  }
  const View view = value(0).view;
  if (l.inputs.size() == 1) return set_output(0, tensor_value(l.inputs[0], view));
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), view));
}

void Importer::map_pool(Op op) {
  std::array<int64_t, 4> pads{};
  const Value x = nchw_in(0, &pads);
  Layer l;
  l.op = op;
  l.inputs = {x.layer};
  l.ceil_mode = attr_int(*node_, "ceil_mode", 0) != 0;
  window(l, pads, op == Op::MaxPool);
  if (op == Op::MaxPool && (l.dilation_h != 1 || l.dilation_w != 1)) fail("dilated max pooling is not supported");
  l.dilation_h = l.dilation_w = 1;
  const Shape& s = shape(x.layer);
  // A window covering the whole input with no padding is a global pool (AdaptiveAvgPool2d(1)).
  if (op == Op::AvgPool && l.kernel_h == s.h && l.kernel_w == s.w && l.pad_top + l.pad_bottom + l.pad_left + l.pad_right == 0) {
    Layer g;
    g.op = Op::GlobalAvgPool;
    g.inputs = {x.layer};
    return set_output(0, tensor_value(add_layer(std::move(g), node_layer_name(*node_))));
  }
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_global_pool() {
  const Value x = nchw_in(0);
  Layer l;
  l.op = Op::GlobalAvgPool;
  l.inputs = {x.layer};
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_reduce_mean() {
  if (layer_norm_step()) return;
  const Value x = tensor_in(0);
  std::vector<int64_t> axes = attr_ints(*node_, "axes").value_or(std::vector<int64_t>{});
  if (opset_ >= 18 && has_input(1)) axes = const_ints(1, "axes");
  const int64_t rank = x.view == View::NHWC ? 4 : 4;
  for (int64_t& a : axes)
    if (a < 0) a += rank;
  std::sort(axes.begin(), axes.end());
  const bool spatial = (x.view == View::NCHW && axes == std::vector<int64_t>{2, 3}) ||
                       (x.view == View::NHWC && axes == std::vector<int64_t>{1, 2});
  if (!spatial) fail("ReduceMean over axes {} of a {} tensor; nesim maps the mean over H and W (global average pool) only",
                     fmt::join(axes, ","), view_name(x.view));
  Layer l;
  l.op = Op::GlobalAvgPool;
  l.inputs = {x.layer};
  const bool keep = attr_int(*node_, "keepdims", 1) != 0;
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), keep ? x.view : View::Flat));
}

// Flatten, Reshape, Squeeze, Unsqueeze of a tensor: views of the same layer, except the reshape
// that closes a channel shuffle.
void Importer::map_reshape() {
  const std::string& op = node_->op_type();
  const Value x = tensor_in(0);
  const std::vector<int64_t> in = dims_of(x);
  std::vector<int64_t> out;
  int64_t total = 1;
  for (int64_t d : in) total *= d;
  if (op == "Flatten") {
    int64_t axis = attr_int(*node_, "axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(in.size());
    int64_t outer = 1;
    for (int64_t i = 0; i < axis && i < static_cast<int64_t>(in.size()); ++i) outer *= in[i];
    out = {outer, total / std::max<int64_t>(outer, 1)};
  } else if (op == "Reshape") {
    std::vector<int64_t> spec = const_ints(1, "the target shape");
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t d = spec[i];
      if (d == 0) d = i < in.size() ? in[i] : 1;
      if (d == -1) infer = static_cast<int64_t>(i), d = 1;
      else known *= d;
      out.push_back(d);
    }
    if (infer >= 0) out[infer] = known > 0 ? total / known : 0;
  } else {
    std::vector<int64_t> axes = opset_ >= 13 ? (has_input(1) ? const_ints(1, "axes") : std::vector<int64_t>{})
                                             : attr_ints(*node_, "axes").value_or(std::vector<int64_t>{});
    out = in;
    if (op == "Unsqueeze") {
      const int64_t rank = static_cast<int64_t>(in.size() + axes.size());
      for (int64_t& a : axes)
        if (a < 0) a += rank;
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) out.insert(out.begin() + std::min<int64_t>(a, out.size()), 1);
    } else {
      const int64_t rank = static_cast<int64_t>(in.size());
      for (int64_t& a : axes)
        if (a < 0) a += rank;
      out.clear();
      for (int64_t i = 0; i < rank; ++i) {
        const bool listed = std::find(axes.begin(), axes.end(), i) != axes.end();
        if (!(listed || (axes.empty() && in[i] == 1))) out.push_back(in[i]);
      }
    }
  }
  int64_t out_total = 1;
  for (int64_t d : out) out_total *= d;
  if (out_total != total) fail("reshape from {} to {} elements", total, out_total);
  const Shape& s = shape(x.layer);
  auto is = [&](std::vector<int64_t> want) { return out == want; };
  Value v = tensor_value(x.layer);
  if (x.view == View::Shuffled && is({1, s.c, s.h, s.w})) {
    Layer l;
    l.op = Op::ChannelShuffle;
    l.groups = static_cast<int>(x.groups);
    l.inputs = {x.layer};
    set_output(0, tensor_value(add_layer(std::move(l), x.node_name)));
    return;
  }
  if (x.view == View::NCHW && out.size() == 5 && out[0] == 1 && out[3] == s.h && out[4] == s.w && out[1] * out[2] == s.c) {
    v.view = View::Grouped;
    v.groups = out[1];
  } else if ((x.view == View::NCHW || x.view == View::Flat || (s.h == 1 && s.w == 1)) && (is({1, s.elements()}) || is({s.elements()}))) {
    v.view = View::Flat;
  } else if ((x.view == View::NCHW || x.view == View::Flat || (s.h == 1 && s.w == 1)) && is({1, s.c, s.h, s.w})) {
    v.view = View::NCHW;
  } else if (s.h == 1 && s.w == 1 && is({1, 1, 1, s.c})) {
    v.view = View::NHWC;
  } else {
    fail("reshape of a {} tensor [{}] to [{}]: nesim maps flattening and channel shuffle only", view_name(x.view),
         fmt::join(in, ", "), fmt::join(out, ", "));
  }
  set_output(0, v);
}

void Importer::map_transpose() {
  const Value x = tensor_in(0);
  const std::vector<int64_t> perm = attr_ints(*node_, "perm").value_or(std::vector<int64_t>{});
  Value v = x;
  v.base = "";
  if (x.view == View::NCHW && perm == std::vector<int64_t>{0, 2, 3, 1}) v.view = View::NHWC;
  else if (x.view == View::NHWC && perm == std::vector<int64_t>{0, 3, 1, 2}) v.view = View::NCHW;
  else if (x.view == View::Grouped && perm == std::vector<int64_t>{0, 2, 1, 3, 4}) {
    v.view = View::Shuffled;
    v.node_name = node_layer_name(*node_);
  } else {
    fail("transpose with perm [{}] of a {} tensor: nesim maps NCHW <-> NHWC and the channel shuffle's transpose only",
         fmt::join(perm, ", "), view_name(x.view));
  }
  set_output(0, v);
}

void Importer::map_resize() {
  const Value x = nchw_in(0);
  const Shape& s = shape(x.layer);
  const std::string mode = attr_string(*node_, "mode", "nearest");
  Layer l;
  l.op = Op::Resize;
  l.inputs = {x.layer};
  if (mode == "nearest") l.resize_mode = ResizeMode::Nearest;
  else if (mode == "linear" || mode == "bilinear") l.resize_mode = ResizeMode::Bilinear;
  else fail("resize mode '{}'; nesim maps nearest and linear", mode);
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  if (node_->op_type() == "Upsample" && opset_ < 9) {
    const auto* a = onnx_io::find_attr(*node_, "scales");
    if (a) scales.assign(a->floats().begin(), a->floats().end());
  } else {
    const int scales_at = node_->op_type() == "Upsample" || opset_ < 11 ? 1 : 2;
    if (has_input(scales_at) && constant(scales_at, "scales").elements() > 0)
      scales = constant(scales_at, "scales").values;
    if (node_->op_type() == "Resize" && opset_ >= 11 && has_input(3)) sizes = const_ints(3, "sizes");
  }
  if (sizes.size() == 4) {
    if (sizes[0] != 1 || sizes[1] != s.c) fail("resizes batch or channels (sizes [{}])", fmt::join(sizes, ", "));
    l.out_h = sizes[2], l.out_w = sizes[3];
  } else if (scales.size() == 4) {
    if (scales[0] != 1 || scales[1] != 1) fail("resizes batch or channels (scales [{}])", fmt::join(scales, ", "));
    l.out_h = static_cast<int64_t>(std::floor(s.h * scales[2])), l.out_w = static_cast<int64_t>(std::floor(s.w * scales[3]));
  } else {
    fail("expected constant scales or sizes for N, C, H and W");
  }
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_pad() {
  const Value x = nchw_in(0);
  const std::string mode = attr_string(*node_, "mode", "constant");
  std::vector<int64_t> pads = opset_ >= 11 ? const_ints(1, "pads") : attr_ints(*node_, "pads").value_or(std::vector<int64_t>{});
  double fill = opset_ >= 11 ? (has_input(2) ? constant(2, "constant_value").values.at(0) : 0.0)
                             : attr_float(*node_, "value", 0.0);
  if (mode != "constant" || fill != 0) fail("Pad mode '{}' with value {}: nesim maps zero padding only", mode, fill);
  if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5] || *std::min_element(pads.begin(), pads.end()) < 0)
    fail("expected non-negative padding of H and W only, got pads [{}]", fmt::join(pads, ", "));
  Value v = pending(Pending::Pad, x, node_->input(0));
  v.pads = {pads[2], pads[6], pads[3], pads[7]};
  set_output(0, v);
}

void Importer::map_split() {
  const Value x = nchw_in(0);
  const int64_t axis = attr_int(*node_, "axis", 0);
  if (axis != 1 && axis != -3) fail("split along axis {}; nesim splits channels (axis 1) only", axis);
  std::vector<int64_t> sizes = opset_ >= 13 ? (has_input(1) ? const_ints(1, "split") : std::vector<int64_t>{})
                                            : attr_ints(*node_, "split").value_or(std::vector<int64_t>{});
  const int64_t c = shape(x.layer).c, n = node_->output_size();
  if (sizes.empty()) {
    if (c % n != 0) fail("splits {} channels into {} equal parts", c, n);
    sizes.assign(n, c / n);
  }
  if (static_cast<int64_t>(sizes.size()) != n) fail("{} split sizes for {} outputs", sizes.size(), n);
  int64_t begin = 0;
  for (int64_t k = 0; k < n; ++k) {
    Layer l;
    l.op = Op::ChannelSlice;
    l.inputs = {x.layer};
    l.slice_begin = begin, l.slice_end = begin + sizes[k];
    begin += sizes[k];
    set_output(static_cast<int>(k), tensor_value(add_layer(std::move(l), fmt::format("{}_{}", node_layer_name(*node_), k))));
  }
}

void Importer::map_slice() {
  const Value x = nchw_in(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset_ >= 10) {
    starts = const_ints(1, "starts"), ends = const_ints(2, "ends");
    if (has_input(3)) axes = const_ints(3, "axes");
    if (has_input(4)) steps = const_ints(4, "steps");
  } else {
    starts = attr_ints(*node_, "starts").value_or(std::vector<int64_t>{});
    ends = attr_ints(*node_, "ends").value_or(std::vector<int64_t>{});
    axes = attr_ints(*node_, "axes").value_or(std::vector<int64_t>{});
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  const int64_t c = shape(x.layer).c;
  if (starts.size() != 1 || ends.size() != 1 || (axes[0] != 1 && axes[0] != -3) || (!steps.empty() && steps[0] != 1))
    fail("nesim maps Slice of one channel range (axis 1, step 1) only");
  auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + c : v, 0, c); };
  Layer l;
  l.op = Op::ChannelSlice;
  l.inputs = {x.layer};
  l.slice_begin = clamp(starts[0]), l.slice_end = clamp(ends[0]);
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_))));
}

void Importer::map_layernorm() {
  const Value x = tensor_in(0);
  const int64_t axis = attr_int(*node_, "axis", -1);
  const Shape& s = shape(x.layer);
  const bool channels = (x.view == View::NHWC && (axis == -1 || axis == 3)) ||
                        (x.view == View::NCHW && s.h == 1 && s.w == 1 && (axis == 1 || axis == -3));
  if (!channels) fail("layer norm over axis {} of a {} tensor; nesim maps the norm over channels only", axis, view_name(x.view));
  if (!has_input(1) || !has_input(2)) fail("expected a scale and a bias (elementwise affine)");
  Layer l;
  l.op = Op::LayerNorm;
  l.inputs = {x.layer};
  set_output(0, tensor_value(add_layer(std::move(l), node_layer_name(*node_)), x.view));
}


}  // namespace nesim::onnx_detail
