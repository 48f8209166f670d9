#pragma once
// One entry point from a model file to a Network, whatever the file's format.
#include <string>

#include "sim/graph/network.h"

namespace nesim {

// .yaml / .yml: the block format (docs/model-format.md), expanded; .csv: a SCALE-Sim topology;
// .onnx: an ONNX graph (sim/modelfmt/onnx_import.h).
// Throws InputError for a missing file, an unknown extension or any error in the file.
// Example: Network net = load_model("models/mobilenet_v2.yaml");
Network load_model(const std::string& path);

}  // namespace nesim
