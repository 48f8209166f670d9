#pragma once
// The idle-engine totals of a kernel's tiles (KernelSummary, program.h). The compiler stores them
// in each kernel it plans; the regressor's features read them (and compute them for kernels built
// by hand), so the tile walk runs once per planned kernel instead of once per prediction.
#include "sim/compiler/program.h"
#include "sim/hw/hw_config.h"

namespace nesim {

// Walks the tiles once: closed-form unit and DMA cycles (unit_timing.h), byte totals, and the
// double-buffered pipeline recurrence. Depends only on the kernel and `hw`.
// Example: KernelSummary s = summarize_kernel(program.kernels[0], program.hw);
KernelSummary summarize_kernel(const Kernel& kernel, const HwConfig& hw);

}  // namespace nesim
