#pragma once
// The ONNX importer's state, shared by its files: onnx_import.cpp walks the graph and turns pending
// values into layers, onnx_ops.cpp maps one node to a layer, onnx_patterns.cpp matches the
// multi-node patterns (squeeze-excite, decomposed LayerNorm). Only those files include it.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "sim/graph/network.h"
#include "sim/modelfmt/onnx_fold.h"
#include "sim/modelfmt/onnx_proto.h"
#include "sim/util/error.h"

namespace nesim::onnx_detail {

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

// The ONNX node name as a layer name: leading '/' dropped, '.' and quotes written '_'.
std::string sanitize(std::string s);

// Walks the graph in node order. Each tensor name maps to a Value: a constant (folded), a layer's
// output in some view, or a pending value that becomes a layer (or folds into one) when a node
// that needs a tensor reads it. Every error names the file and, once nodes are read, the node.
class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string where, std::string name)
      : g_(model.graph()), where_(std::move(where)), opset_(onnx_io::default_opset(model)) {
    net_.name = std::move(name);
  }

  // The network with inferred shapes; throws InputError.
  Network run();

 private:
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

  // Drops the layers folded into a squeeze-excite layer and renumbers the rest.
  void compact();
  void add_input();

  // Turns a pending value into a layer (folding an activation into its producer where only this
  // chain reads it) and stores the result, so a value read twice becomes one layer.
  const Value& tensor(const std::string& name, const std::string& who);

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

}  // namespace nesim::onnx_detail
