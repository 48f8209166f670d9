#pragma once
// A batch of images (a model's `batch` key, or --batch): every kernel runs its tiles once per
// image, image after image, before the next kernel starts (layer-major, as an inference server
// batches). Weights that a kernel loads in its first tile alone stay in SRAM for all of its tiles,
// so they stay for the whole batch: later images load none. Weights streamed in chunks are loaded
// again for each image. Outputs are not kept resident between kernels under a batch (the next
// kernel would need all of the batch's outputs at once: compile() plans without residency).
#include <cstdint>

#include "sim/compiler/program.h"

namespace nesim {

// Replicates each kernel's tiles `batch` times in place, drops the weight loads of images 2..batch
// where the weights stay resident, scales the per-layer DRAM bytes to match, and recomputes the
// kernel summaries. batch must be >= 1; 1 leaves the program unchanged.
void batch_kernels(Program& program, int64_t batch);

}  // namespace nesim
