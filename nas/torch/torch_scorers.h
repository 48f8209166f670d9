#pragma once
// The libtorch scorers' plain-C++ surface (no torch headers): what the tests and benchmarks call
// besides make_scorer(). The scorers themselves register as "naswot", "synflow", "grad_norm",
// "snip" (proxies.cpp) and "train" (train.cpp); docs/accuracy.md gives each one's reference.
#include <cstdint>
#include <vector>

#include "sim/graph/network.h"

namespace nesim::nas {

// Every layer's output shape (C x H x W) from a libtorch forward pass of `net` as given (batch 2,
// random input at net's own input shape); [i] is layer i, [0] the input. {-1,-1,-1} where the
// tensor was not batch x C x H x W.
std::vector<Shape> torch_layer_shapes(const Network& net, uint64_t seed);

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
