#pragma once
// The libtorch scorers' plain-C++ surface (no torch headers): what the tests and benchmarks call
// besides make_scorer(). The scorers themselves register as "naswot", "synflow", "grad_norm",
// "snip" (proxies.cpp) and "train" (train.cpp); docs/accuracy.md gives each one's reference.
#include <cstdint>
#include <vector>

#include "sim/graph/network.h"

namespace nesim::nas {

// Every layer's output from a libtorch forward pass of `net` as given (batch 2, random input at
// net's own input shape, in the channels-last layout training feeds); [i] is layer i, [0] the
// input. Its shape C x H x W ({-1,-1,-1} where the tensor was not batch x C x H x W), and
// whether it is channels-last (NHWC) in memory, as convolutions run fastest.
struct TorchLayerOutput {
  Shape shape;
  bool nhwc = false;
};
std::vector<TorchLayerOutput> torch_layer_outputs(const Network& net, uint64_t seed);
// The largest difference between `net`'s first output (eval mode) for one random batch fed in
// NCHW and the same batch fed in NHWC (training's layout), relative to the output's largest
// magnitude: rounding only, where every op computes the same function in both layouts.
double torch_layout_difference(const Network& net, uint64_t seed);
// The same for eval mode with each conv's BN folded into it against BN run as its own op, after
// a few training-mode batches have moved the running statistics and BN's weights are drawn in
// [0.5, 1.5].
double torch_fold_difference(const Network& net, uint64_t seed);

// Synflow (Tanaka et al. 2020) of `net` as given: weights replaced by their absolute values, in
// double, BN in eval mode, input all ones (batch 1); R = sum of the first output.
struct SynflowBreakdown {
  double r = 0;                    // R
  std::vector<double> per_weight;  // sum |theta * dR/dtheta| of each conv/FC weight, layer order
  double total = 0;                // the score: sum of per_weight
};
SynflowBreakdown synflow_breakdown(const Network& net, uint64_t seed);

// NASWOT's score (Mellor et al. 2021) from binary activation codes: codes[i][u] is 1 when unit u
// was positive for input i. log |K_H| with K_H[i][j] = units - Hamming(codes[i], codes[j]);
// -inf when K_H is singular (two inputs with identical codes).
double naswot_logdet(const std::vector<std::vector<uint8_t>>& codes);

}  // namespace nesim::nas
