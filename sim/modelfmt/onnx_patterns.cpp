// Patterns that span several ONNX nodes and make one layer: torchvision's squeeze-excite and the
// LayerNorm that exporters decompose below opset 17. (SiLU, hardswish and GELU are in onnx_ops.cpp.)
#include "sim/modelfmt/onnx_importer.h"

namespace nesim::onnx_detail {

// x * gate(conv(act(conv(pool(x))))), each step read once: torchvision's SqueezeExcitation, one
// nesim SE layer (its cost model runs the squeeze on the MAC array and the gating on the vector unit).
bool Importer::squeeze_excite() {
  for (int k = 0; k < 2; ++k) {
    const Value& gate = value(1 - k);
    const Value& x = value(k);
    if (gate.kind != Value::Kind::Tensor || x.kind != Value::Kind::Tensor || x.pending != Pending::None) continue;
    if (gate.pending != Pending::Act || (gate.act != Act::Sigmoid && gate.act != Act::HSigmoid)) continue;
    if (consumers_[node_->input(1 - k)] != 1 || x.view != View::NCHW) continue;
    const int fc2 = gate.layer;
    const Layer& l2 = net_.layers.at(fc2);
    if (l2.op != Op::Conv2d || l2.act != Act::None || !l2.bias || l2.batch_norm || l2.kernel_h != 1 || l2.kernel_w != 1 ||
        l2.groups != 1 || consumers_[gate.base] != 1)
      continue;
    const int fc1 = l2.inputs[0];
    const Layer& l1 = net_.layers.at(fc1);
    if (l1.op != Op::Conv2d || !l1.bias || l1.batch_norm || l1.kernel_h != 1 || l1.kernel_w != 1 || l1.groups != 1 ||
        consumers_[tensor_of_[fc1]] > std::max(1, fused_reads_[fc1]))
      continue;
    const int pool = l1.inputs[0];
    const Layer& lp = net_.layers.at(pool);
    if (lp.op != Op::GlobalAvgPool || lp.inputs[0] != x.layer || consumers_[tensor_of_[pool]] != 1) continue;
    if (l2.out_channels != shape(x.layer).c) continue;
    Layer se;
    se.op = Op::SqueezeExcite;
    se.inputs = {x.layer};
    se.se_channels = l1.out_channels;
    se.se_act = l1.act;
    se.se_gate = gate.act;
    se.bias = true;
    dead_.insert({pool, fc1, fc2});
    set_output(0, tensor_value(add_layer(std::move(se), node_layer_name(*node_))));
    return true;
  }
  return false;
}

void Importer::map_sub() {
  if (!layer_norm_step()) fail("subtraction is supported only as part of a decomposed LayerNorm (x - mean(x))");
}

void Importer::map_pow() {
  if (!layer_norm_step()) fail("Pow is supported only as part of a decomposed LayerNorm ((x - mean)^2)");
}

void Importer::map_sqrt() {
  if (!layer_norm_step()) fail("Sqrt is supported only as part of a decomposed LayerNorm (sqrt(var + eps))");
}

// One step of the LayerNorm that exporters write below opset 17, over the channels of a
// channels-last tensor; the last step (+ bias) makes the `layernorm` layer. False: not such a step.
bool Importer::layer_norm_step() {
  const std::string& op = node_->op_type();
  auto scalar_is = [&](int k, double want) {
    if (!is_const(k)) return false;
    const ConstTensor& c = value(k).c;
    return c.has_values && c.elements() == 1 && (want < 0 || std::abs(c.values[0] - want) < 1e-6);
  };
  auto last_axis = [&] {
    std::vector<int64_t> axes = attr_ints(*node_, "axes").value_or(std::vector<int64_t>{});
    return axes == std::vector<int64_t>{-1} || axes == std::vector<int64_t>{3};
  };
  // Each later step keeps the name of the first (the layer is named after the mean's node).
  auto step = [&](Pending p, const Value& from) {
    Value v = pending(p, from, from.base);
    v.node_name = from.node_name;
    set_output(0, v);
    return true;
  };
  const Value& a = value(0);
  if (op == "ReduceMean" && last_axis() && attr_int(*node_, "keepdims", 1) == 1) {
    if (a.kind == Value::Kind::Tensor && a.pending == Pending::None && a.view == View::NHWC)
      return set_output(0, pending(Pending::LnMean, a, node_->input(0))), true;
    if (a.pending == Pending::LnSquare) return step(Pending::LnVar, a);
    return false;
  }
  if (node_->input_size() < 2) {
    if (op == "Sqrt" && a.pending == Pending::LnVarEps) return step(Pending::LnStd, a);
    return false;
  }
  const Value& b = value(1);
  if (op == "Sub" && b.pending == Pending::LnMean && b.base == node_->input(0))
    return step(Pending::LnCentered, b);
  if (op == "Pow" && a.pending == Pending::LnCentered && scalar_is(1, 2.0))
    return step(Pending::LnSquare, a);
  if (op == "Add" && a.pending == Pending::LnVar && scalar_is(1, -1))
    return step(Pending::LnVarEps, a);
  if (op == "Div" && a.pending == Pending::LnCentered && b.pending == Pending::LnStd && a.base == b.base)
    return step(Pending::LnNorm, a);
  if (op == "Mul" && a.pending == Pending::LnNorm && is_const(1) && value(1).c.elements() == shape(a.layer).c)
    return step(Pending::LnScaled, a);
  if (op == "Add" && a.pending == Pending::LnScaled && is_const(1) && value(1).c.elements() == shape(a.layer).c) {
    Layer l;
    l.op = Op::LayerNorm;
    l.inputs = {a.layer};
    set_output(0, tensor_value(add_layer(std::move(l), a.node_name), View::NHWC));
    return true;
  }
  return false;
}

}  // namespace nesim::onnx_detail
