#pragma once
// Adaptive sampling in the manner of nn-Meter: after a first fit, spend the rest of the
// simulation budget next to the networks whose kernels the fit predicts worst.
#include <vector>

#include "nas/regressor/dataset.h"
#include "nas/regressor/regressor.h"

namespace nesim::nas {

struct AdaptiveReport {
  size_t probe_networks = 0;    // samples held back to find the errors
  double worst_probe_error = 0; // largest |predicted / simulated - 1| of a probe kernel
  size_t added_networks = 0;    // neighbours simulated
};

// The rows of sample_rows(opt), then the rows of up to `extra` neighbour samples of the worst
// probe networks: every fifth sample is held back, a regressor (`fit`) is trained on the rest,
// and the probe samples are ranked by their kernels' largest relative error. Seeded.
std::vector<KernelRow> adaptive_rows(const SampleOptions& opt, int extra, const FitOptions& fit,
                                     AdaptiveReport* report = nullptr);

}  // namespace nesim::nas
