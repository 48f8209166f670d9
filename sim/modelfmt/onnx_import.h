#pragma once
// ONNX in: the graphs torch.onnx.export writes (opsets 7-17) mapped onto nesim's layer graph.
// The mapping, op by op, is in docs/model-format.md ("ONNX").
#include <string>

#include "sim/graph/network.h"

namespace nesim {

// Reads an .onnx file into a Network with inferred shapes. Layers keep their ONNX node names
// (leading '/' dropped, '.' written '_', so that the YAML block format can name them too);
// activations, batch norms and biases that follow a conv or FC fold into it, as in the YAML format.
// Throws InputError naming the file, and the node, its op and the opset for an operator nesim
// cannot map: nothing is skipped silently.
// Example: Network net = load_onnx("resnet18.onnx");
Network load_onnx(const std::string& path);

// The same from the bytes of a model (`where` names it in messages; the network is named `name`).
Network import_onnx(const std::string& bytes, const std::string& where, const std::string& name);

}  // namespace nesim
