#include "sim/modelfmt/onnx_proto.h"

#include <cstring>

#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/text.h"

namespace nesim::onnx_io {

namespace {

// Protobuf's own limit on one message: larger models keep their weights in external data.
constexpr int64_t kMaxOnnxFileBytes = (int64_t{2} << 30) - 1;

void check_no_external(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() != onnx::TensorProto::EXTERNAL) return;
  std::string location = "?";
  for (const auto& kv : t.external_data())
    if (kv.key() == "location") location = kv.value();
  throw input_error(
      "{}: tensor '{}' keeps its data in the external file '{}' (ONNX external data, used for models over 2 GB); "
      "nesim reads self-contained .onnx files only (re-export without external data, or with a smaller model)",
      where, t.name(), location);
}

}  // namespace

onnx::ModelProto parse_model(const std::string& bytes, const std::string& where) {
  onnx::ModelProto model;
  // An ONNX file is a bare protobuf (no magic number): a ModelProto starts with field 1
  // (ir_version, varint, tag 0x08). Anything else is not one, however protobuf would read it.
  if (bytes.empty() || static_cast<unsigned char>(bytes[0]) != 0x08)
    throw input_error("{}: not an ONNX model (expected a protobuf ModelProto starting with ir_version)", where);
  if (!model.ParseFromString(bytes))
    throw input_error("{}: not a readable ONNX model (the protobuf does not parse: truncated or corrupt file)", where);
  if (model.ir_version() < 3)
    throw input_error("{}: not an ONNX model (ir_version {}; expected 3 or later)", where, model.ir_version());
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw input_error("{}: the ONNX model has no graph nodes (truncated or not a network)", where);
  const int64_t opset = default_opset(model);
  if (opset < 0) throw input_error("{}: the ONNX model imports no opset of the default domain 'ai.onnx'", where);
  if (opset < kMinOpset || opset > kMaxOpset)
    throw input_error("{}: opset {} is {} than nesim supports (ai.onnx opsets {} to {}; re-export with opset_version={})",
                      where, opset, opset < kMinOpset ? "older" : "newer", kMinOpset, kMaxOpset,
                      opset < kMinOpset ? kMinOpset : kMaxOpset);
  // Names reach messages and the JSON outputs (whose writer takes UTF-8 only).
  const auto& g = model.graph();
  auto utf8 = [&](const std::string& text, const std::string& what) {
    text::require_utf8(text, where + ": " + what);
    for (char ch : text)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
        throw input_error("{}: {}: a name with a control character (byte 0x{:02x})", where, what,
                          static_cast<unsigned char>(ch));
  };
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const std::string at = fmt::format("node #{}", i);
    for (const std::string* f : {&n.name(), &n.op_type(), &n.domain()}) utf8(*f, at);
    text::require_utf8(n.doc_string(), where + ": " + at + " doc_string");
    for (const auto& x : n.input()) utf8(x, at + " input");
    for (const auto& x : n.output()) utf8(x, at + " output");
    for (const auto& a : n.attribute()) utf8(a.name() + a.s(), at + " attribute");
  }
  for (const auto& v : g.input()) utf8(v.name(), "graph input");
  for (const auto& v : g.output()) utf8(v.name(), "graph output");
  for (const auto& t : g.initializer()) utf8(t.name(), "initializer");
  for (const auto& t : model.graph().initializer()) check_no_external(t, where);
  for (const auto& n : model.graph().node())
    for (const auto& a : n.attribute())
      if (a.has_t()) check_no_external(a.t(), where);
  return model;
}

onnx::ModelProto read_model(const std::string& path) {
  return parse_model(read_input_file(path, "ONNX model", kMaxOnnxFileBytes), path);
}

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return -1;
}

ConstTensor read_tensor(const onnx::TensorProto& t, const std::string& where, int64_t max_values) {
  ConstTensor c;
  for (int64_t d : t.dims()) {
    if (d < 0) throw input_error("{}: tensor '{}' has a negative dimension {}", where, t.name(), d);
    c.dims.push_back(d);
  }
  const int64_t n = c.elements();
  using TP = onnx::TensorProto;
  const int type = t.data_type();
  c.is_int = type == TP::INT64 || type == TP::INT32 || type == TP::INT8 || type == TP::UINT8 || type == TP::BOOL;
  if (n > max_values) return c;
  const std::string& raw = t.raw_data();
  auto from_raw = [&](auto sample) {
    using T = decltype(sample);
    if (raw.size() != static_cast<size_t>(n) * sizeof(T))
      throw input_error("{}: tensor '{}' holds {} bytes of raw data; its dims need {}", where, t.name(), raw.size(),
                        n * static_cast<int64_t>(sizeof(T)));
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
      c.values.push_back(static_cast<double>(v));
    }
  };
  const bool has_raw = t.has_raw_data();
  switch (type) {
    case TP::FLOAT:
      if (has_raw) from_raw(float{});
      else for (float v : t.float_data()) c.values.push_back(v);
      break;
    case TP::DOUBLE:
      if (has_raw) from_raw(double{});
      else for (double v : t.double_data()) c.values.push_back(v);
      break;
    case TP::INT64:
      if (has_raw) from_raw(int64_t{});
      else for (int64_t v : t.int64_data()) c.values.push_back(static_cast<double>(v));
      break;
    case TP::INT32:
      if (has_raw) from_raw(int32_t{});
      else for (int32_t v : t.int32_data()) c.values.push_back(v);
      break;
    case TP::BOOL:
    case TP::UINT8:
      if (has_raw) from_raw(uint8_t{});
      else for (int32_t v : t.int32_data()) c.values.push_back(v);
      break;
    case TP::INT8:
      if (has_raw) from_raw(int8_t{});
      else for (int32_t v : t.int32_data()) c.values.push_back(v);
      break;
    default: return c;  // fp16 and the rest: only the dims matter (weights)
  }
  if (static_cast<int64_t>(c.values.size()) != n)
    throw input_error("{}: tensor '{}' holds {} values; its dims {} need {}", where, t.name(), c.values.size(),
                      c.dims.size(), n);
  c.has_values = true;
  return c;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : dflt;
}

double attr_float(const onnx::NodeProto& n, const std::string& name, double dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->f() : dflt;
}

std::string attr_string(const onnx::NodeProto& n, const std::string& name, const std::string& dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->s() : dflt;
}

std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& n, const std::string& name) {
  const auto* a = find_attr(n, name);
  if (!a) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

}  // namespace nesim::onnx_io
