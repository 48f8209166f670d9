#pragma once
// A layer graph written back as the block format: one block per layer, every input named with
// `from`. This is how `nesim import` turns an ONNX graph into models/*.yaml.
#include <string>

#include "sim/graph/network.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim {

// One block per layer (layer 0, the input, becomes `input`). Throws InputError naming `where` and
// the layer for what the block format cannot say: a non-square kernel or stride, unequal padding
// on the sides, dilated pooling, a second network input, a layer named `input` or containing '.'.
// Example: std::string yaml = to_yaml(network_to_spec(load_onnx("net.onnx"), "net.onnx"));
ModelSpec network_to_spec(const Network& net, const std::string& where);

}  // namespace nesim
