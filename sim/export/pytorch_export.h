#pragma once
// A network as a self-contained PyTorch file: one nn.Module with the network's layers, their
// names, parameter count and output shape, importing torch only. `nesim export --pytorch` and
// the search's best.py write it; a trainer (`--accuracy-cmd ... {pytorch}`) imports it.
#include <string>

#include "sim/graph/network.h"

namespace nesim {

// Python source defining `class Net(nn.Module)`, `INPUT_SHAPE = (C, H, W)` and `build()`.
// Layers live in `Net.layers` under their nesim names ('.' nests: layer "s1b0.expand" is
// net.layers["s1b0"]["expand"]); forward() returns the output tensor, or a tuple when the network
// has several, FC outputs flattened to N x K. Run directly, the file prints the parameter count and
// the output shape(s). Deterministic: the same network gives the same bytes.
// Example: OutputFiles out; out.add("net.py", pytorch_source(net)); out.commit();
std::string pytorch_source(const Network& net);

}  // namespace nesim
