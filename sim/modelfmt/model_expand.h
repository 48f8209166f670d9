#pragma once
// Block-level model -> layer graph (docs/model-format.md says what each block type becomes).
#include <string>

#include "sim/graph/network.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim {

// Expands every block into layers and infers shapes. `where` names the source in messages (the
// file the spec came from, or the model's name). Throws InputError naming the block and key.
// Example: Network net = expand(load_model_spec("models/resnet18.yaml"), "models/resnet18.yaml");
Network expand(const ModelSpec& spec, const std::string& where);

}  // namespace nesim
