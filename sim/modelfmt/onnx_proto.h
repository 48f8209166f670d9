#pragma once
// Reading an .onnx file into ONNX's protobuf message, and the small helpers the importer needs to
// read attributes and constant tensors. Only sim/modelfmt/onnx_*.cpp and sim/export/ include it.
#include <cstdint>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace nesim::onnx_io {

// The opsets of the default ("ai.onnx") domain the importer maps (docs/model-format.md, ONNX).
inline constexpr int64_t kMinOpset = 7;
inline constexpr int64_t kMaxOpset = 17;

// A constant tensor (an initializer, a Constant node or folded shape arithmetic). Small
// tensors keep their values; large weights only their dims (`has_values` false).
struct ConstTensor {
  std::vector<int64_t> dims;
  std::vector<double> values;
  bool has_values = false;
  bool is_int = false;  // int64/int32 element type
  int64_t elements() const {  // saturates at INT64_MAX (hostile dims)
    int64_t n = 1;
    for (int64_t d : dims)
      if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
    return n;
  }
};

// Parses `path` and checks what every importer needs before looking at nodes: a protobuf that
// parses, a graph with nodes, a default-domain opset within [kMinOpset, kMaxOpset], and no tensor
// stored in external data. Throws InputError naming the file.
onnx::ModelProto read_model(const std::string& path);
// The same, from bytes already read (`where` names the source in messages).
onnx::ModelProto parse_model(const std::string& bytes, const std::string& where);
int64_t default_opset(const onnx::ModelProto& model);

// A tensor proto's dims and, when it has at most `max_values` elements, its values.
// Throws InputError (naming `where`) on an element type it cannot read or a size mismatch.
ConstTensor read_tensor(const onnx::TensorProto& t, const std::string& where, int64_t max_values = 1 << 16);

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name);
int64_t attr_int(const onnx::NodeProto& n, const std::string& name, int64_t dflt);
double attr_float(const onnx::NodeProto& n, const std::string& name, double dflt);
std::string attr_string(const onnx::NodeProto& n, const std::string& name, const std::string& dflt);
std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& n, const std::string& name);

}  // namespace nesim::onnx_io
