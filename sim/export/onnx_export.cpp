#include "sim/export/onnx_export.h"

#include <cmath>
#include <map>

#include <onnx/onnx_pb.h>

#include "sim/util/error.h"

namespace nesim {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;

class OnnxWriter {
 public:
  explicit OnnxWriter(const Network& net) : net_(net) { g_ = model_.mutable_graph(); }

  std::string run() {
    model_.set_ir_version(8);
    model_.set_producer_name("nesim");
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(kExportOpset);
    g_->set_name(net_.name);
    const Shape& in = net_.input_shape();
    value_info(g_->add_input(), "input", {1, in.c, in.h, in.w});
    names_.push_back("input");
    for (size_t i = 1; i < net_.layers.size(); ++i) {
      if (net_.layers[i].op == Op::Input)
        throw input_error("{}: layer '{}': ONNX export supports one network input", net_.name, net_.layers[i].name);
      names_.push_back(net_.layers[i].name);
      const Layer& l = net_.layers[i];
      // The compiler fuses a block's layers (ibn, dwsep, ...); the importer reads this back.
      doc_ = l.block.empty() ? "" : "nesim:block=" + l.block + ";type=" + l.block_type;
      layer(static_cast<int>(i));
      doc_.clear();
    }
    for (int o : net_.output_indices()) {
      const Layer& l = net_.layers[o];
      if (l.op == Op::FullyConnected) value_info(g_->add_output(), names_[o], {1, l.out.c});
      else value_info(g_->add_output(), four_d(o), {1, l.out.c, l.out.h, l.out.w});
    }
    std::string bytes;
    if (!model_.SerializeToString(&bytes))
      throw input_error("{}: the ONNX model is over protobuf's 2 GB limit", net_.name);
    return bytes;
  }

 private:
  const Network& net_;
  onnx::ModelProto model_;
  onnx::GraphProto* g_;
  std::vector<std::string> names_;       // each layer's output tensor
  std::map<int, std::string> four_d_;     // FC outputs reshaped to N x K x 1 x 1
  std::map<std::string, bool> shared_;    // scalar constants already added
  std::string doc_;                       // the block provenance every node of the current layer carries

  static void value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(TensorProto::FLOAT);
    for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  }

  // A float initializer filled with `fill` (raw zero bytes for the large, zero weights).
  std::string weight(const std::string& name, const std::vector<int64_t>& dims, float fill = 0.0f) {
    TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) t->add_dims(d), n *= d;
    if (fill == 0.0f) t->set_raw_data(std::string(static_cast<size_t>(n) * sizeof(float), '\0'));
    else for (int64_t k = 0; k < n; ++k) t->add_float_data(fill);
    return name;
  }
  std::string ints(const std::string& name, const std::vector<int64_t>& values) {
    TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
    return name;
  }
  std::string scalar(const std::string& name, float value) {
    if (!shared_[name]) {
      TensorProto* t = g_->add_initializer();
      t->set_name(name);
      t->set_data_type(TensorProto::FLOAT);
      t->add_float_data(value);
      shared_[name] = true;
    }
    return name;
  }

  NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                  const std::string& output) {
    NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(output);
    if (!doc_.empty()) n->set_doc_string(doc_);
    return n;
  }
  static void attr(NodeProto* n, const std::string& name, int64_t v) {
    AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(NodeProto* n, const std::string& name, float v) {
    AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(NodeProto* n, const std::string& name, const std::string& v) {
    AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr(NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  // Layer `i`'s output as N x C x H x W (an FC's N x K gets a Reshape, once).
  std::string four_d(int i) {
    const Layer& l = net_.layers[i];
    if (l.op != Op::FullyConnected) return names_[i];
    auto it = four_d_.find(i);
    if (it != four_d_.end()) return it->second;
    const std::string out = names_[i] + "/4d";
    node("Reshape", out, {names_[i], ints(out + "/shape", {1, l.out.c, 1, 1})}, out);
    return four_d_[i] = out;
  }
  std::string input(const Layer& l, size_t k = 0) { return four_d(l.inputs.at(k)); }

  // The nodes of activation `act` from `x` to `out`, as torch.onnx.export writes them.
  void activation(Act act, const std::string& x, const std::string& out, const std::string& base) {
    switch (act) {
      case Act::None: node("Identity", base, {x}, out); return;
      case Act::Relu: node("Relu", base, {x}, out); return;
      case Act::Relu6: node("Clip", base, {x, scalar("nesim/zero", 0.0f), scalar("nesim/six", 6.0f)}, out); return;
      case Act::HSwish: node("HardSwish", base, {x}, out); return;
      case Act::HSigmoid: {
        NodeProto* n = node("HardSigmoid", base, {x}, out);
        attr(n, "alpha", 1.0f / 6.0f);
        attr(n, "beta", 0.5f);
        return;
      }
      case Act::Sigmoid: node("Sigmoid", base, {x}, out); return;
      case Act::Swish:
        node("Sigmoid", base + "/sigmoid", {x}, base + "/sigmoid");
        node("Mul", base, {x, base + "/sigmoid"}, out);
        return;
      case Act::Gelu:
        node("Div", base + "/div", {x, scalar("nesim/sqrt2", static_cast<float>(std::sqrt(2.0)))}, base + "/div");
        node("Erf", base + "/erf", {base + "/div"}, base + "/erf");
        node("Add", base + "/add", {base + "/erf", scalar("nesim/one", 1.0f)}, base + "/add");
        node("Mul", base + "/mul", {x, base + "/add"}, base + "/mul");
        node("Mul", base, {base + "/mul", scalar("nesim/half", 0.5f)}, out);
        return;
    }
  }
  // `op`'s node writes `name` directly, or `name/pre` followed by the activation.
  std::string pre_act(const Layer& l, const std::string& name) { return l.act == Act::None ? name : name + "/pre"; }
  void finish_act(const Layer& l, const std::string& name) {
    if (l.act != Act::None) activation(l.act, name + "/pre", name, name + "/" + act_name(l.act));
  }

  void window(NodeProto* n, const Layer& l, bool dilation) {
    attr(n, "kernel_shape", std::vector<int64_t>{l.kernel_h, l.kernel_w});
    attr(n, "strides", std::vector<int64_t>{l.stride_h, l.stride_w});
    attr(n, "pads", std::vector<int64_t>{l.pad_top, l.pad_left, l.pad_bottom, l.pad_right});
    if (dilation) attr(n, "dilations", std::vector<int64_t>{l.dilation_h, l.dilation_w});
  }

  void layer(int i) {
    const Layer& l = net_.layers[i];
    const std::string& name = names_[i];
    const Shape& in = l.inputs.empty() ? l.out : net_.in_shape(l);
    switch (l.op) {
      case Op::Input: return;
      case Op::Conv2d: {
        std::vector<std::string> ins = {input(l),
                                        weight(name + ".weight", {l.out_channels, in.c / l.groups, l.kernel_h, l.kernel_w})};
        if (l.bias) ins.push_back(weight(name + ".bias", {l.out_channels}));
        const std::string conv_out = l.batch_norm ? name + "/conv" : pre_act(l, name);
        NodeProto* n = node("Conv", name, ins, conv_out);
        window(n, l, true);
        attr(n, "group", static_cast<int64_t>(l.groups));
        if (l.batch_norm) batch_norm(name + "/bn", conv_out, pre_act(l, name), l.out_channels);
        finish_act(l, name);
        return;
      }
      case Op::FullyConnected: {
        const std::string flat = name + "/flatten";
        attr(node("Flatten", flat, {input(l)}, flat), "axis", int64_t{1});
        std::vector<std::string> ins = {flat, weight(name + ".weight", {l.out_channels, in.elements()})};
        if (l.bias) ins.push_back(weight(name + ".bias", {l.out_channels}));
        attr(node("Gemm", name, ins, pre_act(l, name)), "transB", int64_t{1});
        finish_act(l, name);
        return;
      }
      case Op::MaxPool:
      case Op::AvgPool: {
        NodeProto* n = node(l.op == Op::MaxPool ? "MaxPool" : "AveragePool", name, {input(l)}, name);
        window(n, l, false);
        if (l.ceil_mode) attr(n, "ceil_mode", int64_t{1});
        return;
      }
      case Op::GlobalAvgPool: node("GlobalAveragePool", name, {input(l)}, name); return;
      case Op::Add: {
        std::vector<std::string> ins;
        for (size_t k = 0; k < l.inputs.size(); ++k) ins.push_back(input(l, k));
        node(ins.size() == 2 ? "Add" : "Sum", name, ins, pre_act(l, name));
        finish_act(l, name);
        return;
      }
      case Op::Mul: node("Mul", name, {input(l, 0), input(l, 1)}, name); return;
      case Op::Concat: {
        std::vector<std::string> ins;
        for (size_t k = 0; k < l.inputs.size(); ++k) ins.push_back(input(l, k));
        attr(node("Concat", name, ins, name), "axis", int64_t{1});
        return;
      }
      case Op::Resize: {
        NodeProto* n = node("Resize", name, {input(l), "", "", ints(name + "/sizes", {1, in.c, l.out_h, l.out_w})}, name);
        attr(n, "mode", std::string(l.resize_mode == ResizeMode::Bilinear ? "linear" : "nearest"));
        return;
      }
      case Op::SqueezeExcite: {
        // torchvision's SqueezeExcitation: pool, 1x1 conv + act, 1x1 conv + gate, multiply.
        node("GlobalAveragePool", name + "/pool", {input(l)}, name + "/pool");
        NodeProto* fc1 = node("Conv", name + "/fc1",
                              {name + "/pool", weight(name + ".fc1.weight", {l.se_channels, in.c, 1, 1}),
                               weight(name + ".fc1.bias", {l.se_channels})},
                              name + "/fc1");
        attr(fc1, "kernel_shape", std::vector<int64_t>{1, 1});
        activation(l.se_act, name + "/fc1", name + "/act", name + "/act");
        NodeProto* fc2 = node("Conv", name + "/fc2",
                              {name + "/act", weight(name + ".fc2.weight", {in.c, l.se_channels, 1, 1}),
                               weight(name + ".fc2.bias", {in.c})},
                              name + "/fc2");
        attr(fc2, "kernel_shape", std::vector<int64_t>{1, 1});
        activation(l.se_gate, name + "/fc2", name + "/gate", name + "/gate");
        node("Mul", name, {input(l), name + "/gate"}, name);
        return;
      }
      case Op::Activation: activation(l.act, input(l), name, name); return;
      case Op::BatchNorm:
        batch_norm(name, input(l), pre_act(l, name), in.c);
        finish_act(l, name);
        return;
      case Op::LayerNorm: {
        attr(node("Transpose", name + "/to_nhwc", {input(l)}, name + "/nhwc"), "perm", std::vector<int64_t>{0, 2, 3, 1});
        NodeProto* n = node("LayerNormalization", name,
                            {name + "/nhwc", weight(name + ".weight", {in.c}, 1.0f), weight(name + ".bias", {in.c})},
                            name + "/norm");
        attr(n, "axis", int64_t{-1});
        attr(n, "epsilon", 1e-6f);
        attr(node("Transpose", name + "/to_nchw", {name + "/norm"}, name), "perm", std::vector<int64_t>{0, 3, 1, 2});
        return;
      }
      case Op::ChannelScale: node("Mul", name, {input(l), weight(name + ".scale", {in.c, 1, 1}, 1.0f)}, name); return;
      case Op::ChannelShuffle: {
        const int64_t g = l.groups;
        node("Reshape", name + "/group", {input(l), ints(name + "/grouped", {1, g, in.c / g, in.h, in.w})}, name + "/group");
        attr(node("Transpose", name, {name + "/group"}, name + "/swap"), "perm", std::vector<int64_t>{0, 2, 1, 3, 4});
        node("Reshape", name + "/merge", {name + "/swap", ints(name + "/merged", {1, in.c, in.h, in.w})}, name);
        return;
      }
      case Op::ChannelSlice:
        node("Slice", name,
             {input(l), ints(name + "/starts", {l.slice_begin}), ints(name + "/ends", {l.slice_end}),
              ints(name + "/axes", {1})},
             name);
        return;
    }
  }

  void batch_norm(const std::string& name, const std::string& x, const std::string& out, int64_t c) {
    node("BatchNormalization", name,
         {x, weight(name + ".weight", {c}, 1.0f), weight(name + ".bias", {c}), weight(name + ".running_mean", {c}),
          weight(name + ".running_var", {c}, 1.0f)},
         out);
  }
};

}  // namespace

std::string onnx_model_bytes(const Network& net) { return OnnxWriter(net).run(); }

}  // namespace nesim
