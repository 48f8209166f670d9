#pragma once
// The regressor's view of one compiled kernel: ONE function, used by `nesim dataset` to build
// training rows and by `nesim predict` at query time, so the two can never drift apart.
#include <string>
#include <vector>

#include "sim/compiler/program.h"

namespace nesim::nas {

struct KernelFeatures {
  std::vector<float> values;       // in feature_names() order
  double pipeline_cycles = 0;      // analytic estimate the regressor corrects (its baseline)
};

// Names of the feature columns, in order (also the dataset CSV header).
const std::vector<std::string>& feature_names();
// Contract: depends only on the kernel and the hardware config, never on simulated results.
// Reads kernel.summary when the compiler filled it (which it did for `hw`, the Program's config),
// else walks the tiles (summarize_kernel()): the same numbers either way.
KernelFeatures kernel_features(const Kernel& kernel, const HwConfig& hw);
// The same values written to out[0, feature_names().size()) without allocating (the prediction
// hot path); returns the pipeline estimate.
double kernel_features(const Kernel& kernel, const HwConfig& hw, float* out);

}  // namespace nesim::nas
