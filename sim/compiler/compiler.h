#pragma once
// Maps a network onto an engine: fusion (conv+BN+act always; IBN / fused-IBN blocks when their
// intermediate tensors fit in SRAM), tiling that fits SRAM with double buffering, a loop order
// that minimises DRAM traffic, and residency of tensors that the next kernel consumes.
#include "sim/compiler/program.h"

namespace nesim {

struct CompileOptions {
  bool fuse_blocks = true;        // cross-layer fusion of IBN / fused-IBN blocks
  bool keep_resident = true;      // keep a small output in SRAM for its only consumer
};

// Throws InputError naming the layer and the bytes it needs when a layer cannot be mapped.
Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt = {});

}  // namespace nesim
