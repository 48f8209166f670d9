#include "sim/modelfmt/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/ranges.h>

#include "sim/modelfmt/onnx_fold.h"
#include "sim/modelfmt/onnx_proto.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

namespace nesim {

namespace {

using onnx_io::attr_float;
using onnx_io::attr_int;
using onnx_io::attr_ints;
using onnx_io::attr_string;
using onnx_io::ConstTensor;

// How an ONNX tensor lays out a layer's C x H x W output (batch 1). Transposes and reshapes that
// only change the view add no layer.
enum class View {
  NCHW,      // [1, C, H, W]
  NHWC,      // [1, H, W, C] (ConvNeXt's permute before LayerNorm and Linear)
  Flat,      // [1, C*H*W] (after Flatten / a reshape to [N, -1], and FC outputs)
  Grouped,   // [1, g, C/g, H, W]: the first reshape of a channel shuffle
  Shuffled,  // [1, C/g, g, H, W]: its transpose; the reshape back makes a ChannelShuffle layer
};

// Values not yet a layer: an activation waiting to fold into its producer, a Pad waiting for the
// conv or pool that reads it, and the steps of GELU's erf form x * 0.5 * (1 + erf(x / sqrt 2)).
// LayerNorm below opset 17 is decomposed: (x - mean) / sqrt(mean((x - mean)^2) + eps) * w + b.
enum class Pending {
  None, Act, Pad, GeluDiv, GeluErf, GeluErfPlus1, GeluTimesX,
  LnMean, LnCentered, LnSquare, LnVar, LnVarEps, LnStd, LnNorm, LnScaled
};

struct Value {
  enum class Kind { Const, Tensor } kind = Kind::Tensor;
  ConstTensor c;                      // Const
  int layer = -1;                     // Tensor: the producing layer (the base, when pending)
  View view = View::NCHW;
  int64_t groups = 0;                 // Grouped, Shuffled
  Pending pending = Pending::None;
  Act act = Act::None;                // Pending::Act
  int fuse_consumers = 1;             // consumers of the base tensor that folding the act may absorb
  std::array<int64_t, 4> pads{};      // Pending::Pad: top, bottom, left, right
  std::string base;                   // tensor name of the base (pending) or of this value
  std::string node_name;              // the node that made it pending (its layer's name)
  std::string origin;                 // "node 'x' (Op, opset N)" of that node, for messages
};

std::string sanitize(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  for (char& ch : s)
    if (ch == '.' || ch == ' ' || ch == ',' || ch == ':' || ch == '#' || ch == '"' || ch == '\'') ch = '_';
  return s;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string where, std::string name)
      : model_(model), g_(model.graph()), where_(std::move(where)), opset_(onnx_io::default_opset(model)) {
    net_.name = std::move(name);
  }

  Network run() {
    for (const auto& t : g_.initializer()) {
      Value v;
      v.kind = Value::Kind::Const;
      v.c = onnx_io::read_tensor(t, fmt::format("{}: initializer '{}'", where_, t.name()));
      values_[t.name()] = std::move(v);
    }
    for (const auto& n : g_.node())
      for (const auto& i : n.input())
        if (!i.empty()) ++consumers_[i];
    for (const auto& o : g_.output()) consumers_[o.name()] += 2;  // never folded away
    add_input();
    for (const auto& n : g_.node()) map_node(n);
    for (const auto& o : g_.output()) {
      const Value& v = tensor(o.name(), "graph output '" + o.name() + "'");
      if (std::find(net_.outputs.begin(), net_.outputs.end(), v.layer) == net_.outputs.end())
        net_.outputs.push_back(v.layer);
    }
    compact();
    if (net_.outputs.size() == 1 && net_.outputs[0] == static_cast<int>(net_.layers.size()) - 1) net_.outputs.clear();
    net_.infer_shapes(where_);
    return std::move(net_);
  }

  // Drops the layers folded into a squeeze-excite layer and renumbers the rest.
  void compact() {
    if (dead_.empty()) return;
    Network out;
    out.name = net_.name;
    std::vector<int> index(net_.layers.size(), -1);
    for (size_t i = 0; i < net_.layers.size(); ++i) {
      if (dead_.count(static_cast<int>(i))) continue;
      Layer l = net_.layers[i];
      for (int& in : l.inputs) in = index.at(in);
      index[i] = out.add(std::move(l));
    }
    for (int o : net_.outputs) out.outputs.push_back(index.at(o));
    net_ = std::move(out);
  }

 private:
  const onnx::ModelProto& model_;
  const onnx::GraphProto& g_;
  std::string where_;
  int64_t opset_;
  Network net_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, int> consumers_;
  std::set<std::string> names_;
  std::unordered_map<int, std::string> tensor_of_;  // the ONNX tensor each layer's output first had
  std::set<int> dead_;                              // layers folded into a later one (squeeze-excite)
  std::unordered_map<int, int> fused_reads_;        // reads of a layer's output its fused activation absorbed
  const onnx::NodeProto* node_ = nullptr;  // the node being mapped

  // --- messages -------------------------------------------------------------------------------
  std::string node_desc(const onnx::NodeProto& n) const {
    return fmt::format("node '{}' ({}, opset {})", n.name().empty() ? n.output_size() ? n.output(0) : "?" : n.name(),
                       n.domain().empty() ? n.op_type() : n.domain() + "." + n.op_type(), opset_);
  }
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    throw input_error("{}: {}: {}", where_, node_desc(*node_), fmt::format(f, std::forward<Args>(args)...));
  }

  // --- layers ---------------------------------------------------------------------------------
  std::string unique_name(const std::string& raw) {
    std::string base = sanitize(raw);
    if (base.empty()) base = "node";
    std::string name = base;
    for (int k = 2; !names_.insert(name).second; ++k) name = fmt::format("{}_{}", base, k);
    return name;
  }
  std::string node_layer_name(const onnx::NodeProto& n) {
    if (!n.name().empty()) return n.name();
    return fmt::format("{}_{}", n.op_type(), n.output_size() ? n.output(0) : "out");
  }
  int add_layer(Layer l, const std::string& raw_name) {
    l.name = unique_name(raw_name);
    // Block provenance that `nesim export` writes (docs/model-format.md, ONNX): the compiler fuses
    // a block's layers, so a round trip keeps the cycles.
    const std::string& doc = node_ ? node_->doc_string() : std::string();
    const size_t type_at = doc.find(";type=");
    if (doc.rfind("nesim:block=", 0) == 0 && type_at != std::string::npos) {
      l.block = doc.substr(12, type_at - 12);
      l.block_type = doc.substr(type_at + 6);
    }
    // Shapes are inferred layer by layer, so a reshape or FC can read its input's shape.
    const int index = net_.add(std::move(l));
    net_.infer_shapes(where_, static_cast<size_t>(index));
    return index;
  }
  const Shape& shape(int layer) const { return net_.layers.at(layer).out; }

  void add_input() {
    std::set<std::string> init;
    for (const auto& t : g_.initializer()) init.insert(t.name());
    const onnx::ValueInfoProto* input = nullptr;
    for (const auto& i : g_.input()) {
      if (init.count(i.name())) continue;
      if (input)
        throw input_error("{}: the graph has more than one input ('{}', '{}'); nesim maps networks with one image input",
                          where_, input->name(), i.name());
      input = &i;
    }
    if (!input) throw input_error("{}: the graph has no input", where_);
    const auto& dims = input->type().tensor_type().shape().dim();
    if (dims.size() != 4)
      throw input_error("{}: input '{}' has {} dimensions; expected an image batch [N, C, H, W]", where_, input->name(),
                        dims.size());
    std::array<int64_t, 4> d{};
    const char* axis[] = {"N", "C", "H", "W"};
    for (int k = 0; k < 4; ++k) {
      if (dims[k].has_dim_value() && dims[k].dim_value() > 0) {
        d[k] = dims[k].dim_value();
      } else if (k == 0) {
        d[k] = 1;  // a symbolic batch is batch 1
      } else {
        throw input_error("{}: input '{}' dimension {} ({}) is dynamic ('{}') with no default size; nesim needs a "
                          "static C, H and W (export with a fixed input shape, no dynamic_axes on them)",
                          where_, input->name(), k, axis[k], dims[k].dim_param());
      }
    }
    if (d[0] != 1)
      throw input_error("{}: input '{}' has batch {}; nesim simulates batch 1 (export with a batch of 1)", where_,
                        input->name(), d[0]);
    Layer l;
    l.op = Op::Input;
    l.out = {d[1], d[2], d[3]};
    Value v;
    v.layer = add_layer(std::move(l), input->name());
    v.base = input->name();
    values_[input->name()] = v;
  }

  // --- values ---------------------------------------------------------------------------------
  const Value* find(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }
  const Value& value(int k) const {
    if (k >= node_->input_size() || node_->input(k).empty()) fail("input {} is missing", k);
    const Value* v = find(node_->input(k));
    if (!v) fail("input '{}' is produced by no earlier node, initializer or graph input", node_->input(k));
    return *v;
  }
  bool has_input(int k) const { return k < node_->input_size() && !node_->input(k).empty(); }
  bool is_const(int k) const { return has_input(k) && value(k).kind == Value::Kind::Const; }
  const ConstTensor& constant(int k, const char* what) const {
    const Value& v = value(k);
    if (v.kind != Value::Kind::Const) fail("expected {} (input {}) to be a constant, got a computed tensor", what, k);
    return v.c;
  }
  std::vector<int64_t> const_ints(int k, const char* what) const {
    const ConstTensor& c = constant(k, what);
    if (!c.has_values) fail("{} (input {}) is too large to read", what, k);
    std::vector<int64_t> out;
    for (double d : c.values) out.push_back(static_cast<int64_t>(d));
    return out;
  }
  void set_output(int k, Value v) {
    if (k < node_->output_size() && !node_->output(k).empty()) {
      if (v.kind == Value::Kind::Tensor) tensor_of_.emplace(v.layer, node_->output(k));
      if (v.base.empty() || v.pending == Pending::None) v.base = node_->output(k);
      values_[node_->output(k)] = std::move(v);
    }
  }
  Value tensor_value(int layer, View view = View::NCHW) const {
    Value v;
    v.layer = layer;
    v.view = view;
    return v;
  }

  // Turns a pending value into a layer (folding an activation into its producer where only this
  // chain reads it) and stores the result, so a value read twice becomes one layer.
  const Value& tensor(const std::string& name, const std::string& who) {
    auto it = values_.find(name);
    if (it == values_.end())
      throw input_error("{}: {} reads '{}', which no node produces", where_, who, name);
    Value& v = it->second;
    if (v.kind == Value::Kind::Const)
      throw input_error("{}: {} reads '{}', a constant; nesim expects a tensor computed from the input there", where_,
                        who, name);
    if (v.pending == Pending::None) return v;
    if (v.pending != Pending::Act)
      throw input_error("{}: {}: nesim maps {} only as part of {} (the pattern is incomplete: read by {})", where_,
                        v.origin, v.pending == Pending::Pad ? "Pad" : "this op",
                        v.pending == Pending::Pad ? "the Conv, MaxPool or AveragePool that reads it"
                                                  : "GELU's erf form x * 0.5 * (1 + erf(x / sqrt(2)))",
                        who);
    Layer& producer = net_.layers.at(v.layer);
    const bool fusable = (producer.op == Op::Conv2d || producer.op == Op::FullyConnected || producer.op == Op::Add ||
                          producer.op == Op::BatchNorm) &&
                         producer.act == Act::None && consumers_[v.base] <= v.fuse_consumers;
    Value out = v;
    out.pending = Pending::None;
    out.base = name;
    if (fusable) {
      producer.act = v.act;
      fused_reads_[v.layer] = v.fuse_consumers;
    } else {
      Layer l;
      l.op = Op::Activation;
      l.act = v.act;
      l.inputs = {v.layer};
      out.layer = add_layer(std::move(l), v.node_name);
    }
    v = out;
    return v;
  }
  const Value& tensor_in(int k) {
    value(k);  // names a missing input
    return tensor(node_->input(k), node_desc(*node_));
  }
  // The input as an NCHW tensor, with a pending Pad returned separately (empty pads otherwise).
  Value nchw_in(int k, std::array<int64_t, 4>* pads = nullptr) {
    const Value& raw = value(k);
    if (raw.pending == Pending::Pad && pads) {
      *pads = raw.pads;
      Value v = raw;
      v.pending = Pending::None;
      return v;
    }
    const Value& v = tensor_in(k);
    if (v.view != View::NCHW) fail("expected an N x C x H x W input, got a {} view", view_name(v.view));
    return v;
  }
  static const char* view_name(View v) {
    switch (v) {
      case View::NCHW: return "N x C x H x W";
      case View::NHWC: return "N x H x W x C";
      case View::Flat: return "flattened N x (C*H*W)";
      case View::Grouped: return "5-D grouped-channel";
      case View::Shuffled: return "5-D transposed-group";
    }
    return "?";
  }
  std::vector<int64_t> dims_of(const Value& v) const {
    if (v.kind == Value::Kind::Const) return v.c.dims;
    const Shape& s = shape(v.layer);
    std::vector<int64_t> d;
    switch (v.view) {
      case View::NCHW: d = {1, s.c, s.h, s.w}; break;
      case View::NHWC: d = {1, s.h, s.w, s.c}; break;
      case View::Flat: d = {1, s.elements()}; break;
      case View::Grouped: d = {1, v.groups, s.c / v.groups, s.h, s.w}; break;
      case View::Shuffled: d = {1, s.c / v.groups, v.groups, s.h, s.w}; break;
    }
    if (v.pending == Pending::Pad && d.size() == 4) d[2] += v.pads[0] + v.pads[1], d[3] += v.pads[2] + v.pads[3];
    return d;
  }

  // --- the walk -------------------------------------------------------------------------------
  void map_node(const onnx::NodeProto& n);
  void map_conv();
  void map_gemm();
  void map_matmul();
  void map_batchnorm();
  void map_act(Act act);
  void map_clip();
  void map_hardsigmoid();
  void map_add();
  void map_mul();
  void map_div();
  bool squeeze_excite();
  void map_erf();
  void map_sub();
  void map_pow();
  void map_sqrt();
  bool layer_norm_step();
  void map_concat();
  void map_pool(Op op);
  void map_global_pool();
  void map_reduce_mean();
  void map_reshape();
  void map_transpose();
  void map_resize();
  void map_pad();
  void map_split();
  void map_slice();
  void map_layernorm();
  void map_shape();
  void window(Layer& l, const std::array<int64_t, 4>& extra_pads, bool with_dilation);
  Value pending(Pending p, const Value& base, const std::string& base_name);
};

void Importer::map_node(const onnx::NodeProto& n) {
  node_ = &n;
  const std::string& op = n.op_type();
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    fail("operator of domain '{}'; nesim maps the default ONNX domain only", n.domain());
  // Constant subgraphs (shape arithmetic) fold whatever the op.
  bool all_const = n.input_size() > 0 || op == "Constant";
  for (int k = 0; k < n.input_size(); ++k)
    if (!n.input(k).empty() && value(k).kind != Value::Kind::Const) all_const = false;
  if (all_const && onnx_io::is_foldable(op)) {
    std::vector<const ConstTensor*> ins;
    for (int k = 0; k < n.input_size(); ++k) ins.push_back(n.input(k).empty() ? nullptr : &value(k).c);
    std::vector<ConstTensor> outs = onnx_io::fold_node(n, ins, opset_, fmt::format("{}: {}", where_, node_desc(n)));
    for (size_t k = 0; k < outs.size(); ++k) {
      Value v;
      v.kind = Value::Kind::Const;
      v.c = std::move(outs[k]);
      set_output(static_cast<int>(k), std::move(v));
    }
    return;
  }
  if (op == "Conv") return map_conv();
  if (op == "Gemm") return map_gemm();
  if (op == "MatMul") return map_matmul();
  if (op == "BatchNormalization") return map_batchnorm();
  if (op == "Relu") return map_act(Act::Relu);
  if (op == "Sigmoid") return map_act(Act::Sigmoid);
  if (op == "HardSwish") return map_act(Act::HSwish);
  if (op == "Clip") return map_clip();
  if (op == "HardSigmoid") return map_hardsigmoid();
  if (op == "Add" || op == "Sum") return map_add();
  if (op == "Mul") return map_mul();
  if (op == "Div") return map_div();
  if (op == "Erf") return map_erf();
  if (op == "Sub") return map_sub();
  if (op == "Pow") return map_pow();
  if (op == "Sqrt") return map_sqrt();
  if (op == "Concat") return map_concat();
  if (op == "MaxPool") return map_pool(Op::MaxPool);
  if (op == "AveragePool") return map_pool(Op::AvgPool);
  if (op == "GlobalAveragePool") return map_global_pool();
  if (op == "ReduceMean") return map_reduce_mean();
  if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze") return map_reshape();
  if (op == "Transpose") return map_transpose();
  if (op == "Resize" || op == "Upsample") return map_resize();
  if (op == "Pad") return map_pad();
  if (op == "Split") return map_split();
  if (op == "Slice") return map_slice();
  if (op == "LayerNormalization") return map_layernorm();
  if (op == "Shape") return map_shape();
  if (op == "Dropout" || op == "Identity") {
    Value v = value(0).pending == Pending::Act ? tensor_in(0) : value(0);
    if (v.pending == Pending::None) v.base = "";
    set_output(0, v);
    return;
  }
  fail("unsupported operator: nesim has no layer for it (supported operators: docs/model-format.md, ONNX)");
}

Value Importer::pending(Pending p, const Value& base, const std::string& base_name) {
  Value v = base;
  v.pending = p;
  v.base = base_name;
  v.node_name = node_layer_name(*node_);
  v.origin = node_desc(*node_);
  return v;
}

void Importer::map_shape() {
  const Value& v = value(0);
  std::vector<int64_t> d = dims_of(v);
  const int64_t rank = static_cast<int64_t>(d.size());
  int64_t start = attr_int(*node_, "start", 0), end = attr_int(*node_, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank), end = std::clamp<int64_t>(end, start, rank);
  Value out;
  out.kind = Value::Kind::Const;
  out.c = onnx_io::int_tensor(std::vector<int64_t>(d.begin() + start, d.begin() + end));
  set_output(0, std::move(out));
}

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

}  // namespace

Network import_onnx(const std::string& bytes, const std::string& where, const std::string& name) {
  const onnx::ModelProto model = onnx_io::parse_model(bytes, where);
  return Importer(model, where, name).run();
}

Network load_onnx(const std::string& path) {
  const onnx::ModelProto model = onnx_io::read_model(path);
  return Importer(model, path, std::filesystem::path(path).stem().string()).run();
}

}  // namespace nesim
