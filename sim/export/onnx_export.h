#pragma once
// A network as an ONNX model (opset 17), written with ONNX's protobuf API: every layer as the
// nodes torch.onnx.export would write for it, weights as zero-filled initializers of their true
// shapes. `nesim import` of the result gives back the same parameters, MACs and cycles.
#include <string>

#include "sim/graph/network.h"

namespace nesim {

inline constexpr int kExportOpset = 17;

// The serialized ModelProto. Node names are the layer names (a fused activation or batch norm is
// "<layer>/relu", "<layer>/bn"); the graph input is "input" [1, C, H, W], float. Deterministic.
// Example: OutputFiles out; out.add("net.onnx", onnx_model_bytes(net)); out.commit();
std::string onnx_model_bytes(const Network& net);

}  // namespace nesim
