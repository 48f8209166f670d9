#pragma once
// Constant folding of the shape arithmetic exporters emit (Shape -> Gather -> Unsqueeze -> Concat
// -> Reshape, sizes for Resize, pads for Pad): nesim's shapes are static, so every such chain
// evaluates to a constant at import time.
#include <optional>
#include <string>
#include <vector>

#include "sim/modelfmt/onnx_proto.h"

namespace nesim::onnx_io {

// Whether fold_node() evaluates `op_type` when all its inputs are constants.
bool is_foldable(const std::string& op_type);

// Evaluates `n` on constant inputs (nullptr for an omitted optional input). Throws InputError
// naming `where` when an input lacks the values the op needs or the shapes do not agree.
std::vector<ConstTensor> fold_node(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& inputs,
                                   int64_t opset, const std::string& where);

// A small constant from values (a 1-D int64 tensor by default).
ConstTensor int_tensor(std::vector<int64_t> values);

}  // namespace nesim::onnx_io
