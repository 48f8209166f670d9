#pragma once
// SCALE-Sim v2 topology CSVs (conv form and GEMM M,N,K form) as a Network of independent convs:
// each row gets its own Input layer, as SCALE-Sim runs every row on a fresh IFMAP
// (docs/model-format.md, "SCALE-Sim topologies").
#include <string>

#include "sim/graph/network.h"

namespace nesim {

// `where` names the source in messages; `name` becomes Network::name. Throws InputError.
// Example: parse_scalesim_topology("Layer name, ...\nConv1,224,224,7,7,3,64,2,\n", "r.csv", "r");
Network parse_scalesim_topology(const std::string& text, const std::string& where, const std::string& name);
Network load_scalesim_topology(const std::string& path);

}  // namespace nesim
