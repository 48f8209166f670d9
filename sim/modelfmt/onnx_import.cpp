#include "sim/modelfmt/onnx_import.h"

#include <filesystem>

#include "sim/modelfmt/onnx_importer.h"

namespace nesim::onnx_detail {

std::string sanitize(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  for (char& ch : s)
    if (ch == '.' || ch == ' ' || ch == ',' || ch == ':' || ch == '#' || ch == '"' || ch == '\'') ch = '_';
  return s;
}

Network Importer::run() {
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
  for (const auto& n : g_.node()) {
    try {
      map_node(n);
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {  // a node too malformed for the checks above (an index past its data)
      throw input_error("{}: {}: malformed node ({})", where_, node_desc(n), e.what());
    }
  }
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
void Importer::compact() {
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

void Importer::add_input() {
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

// Turns a pending value into a layer (folding an activation into its producer where only this
// chain reads it) and stores the result, so a value read twice becomes one layer.
const Value& Importer::tensor(const std::string& name, const std::string& who) {
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

}  // namespace nesim::onnx_detail

namespace nesim {

using onnx_detail::Importer;

Network import_onnx(const std::string& bytes, const std::string& where, const std::string& name) {
  const onnx::ModelProto model = onnx_io::parse_model(bytes, where);
  return Importer(model, where, name).run();
}

Network load_onnx(const std::string& path) {
  const onnx::ModelProto model = onnx_io::read_model(path);
  return Importer(model, path, std::filesystem::path(path).stem().string()).run();
}

}  // namespace nesim
