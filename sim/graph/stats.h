#pragma once
// Counting what a network costs before any engine is involved: parameters, MACs, activations.
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/graph/network.h"

namespace nesim {

// Parameters as the trained model has them (torchvision's convention): conv/FC weights,
// biases where `bias`, and 2*C for a folded batch norm (scale and shift); 2*C for a standalone
// BatchNorm or LayerNorm, C for a ChannelScale.
int64_t layer_params(const Network& net, const Layer& layer);
// Multiply-accumulates of convolutions and FC layers (incl. the two 1x1 convs inside SE), the
// figure torchvision publishes as "GFLOPS". Pooling, elementwise and activations count 0 here.
int64_t layer_macs(const Network& net, const Layer& layer);
// Elementwise/vector operations (pooling windows, adds, muls, activations, resize, SE gating).
int64_t layer_vector_ops(const Network& net, const Layer& layer);

// The three counts above, each empty when it overflows int64 (Network::infer_shapes() rejects such
// layers against limits.h; the functions above throw InputError naming the layer instead).
struct LayerCounts {
  std::optional<int64_t> params, macs, vector_ops;
};
LayerCounts try_layer_counts(const Network& net, const Layer& layer);

struct NetworkStats {
  int64_t params = 0;
  int64_t macs = 0;
  int64_t vector_ops = 0;
  int64_t peak_activation_bytes = 0;  // min over topological orders of the max live bytes
  std::vector<int> best_order;        // the execution order achieving it
  bool peak_is_exact = true;          // false when the order search hit its state cap
};

// bytes_per_element: 1 for int8, 2 for fp16. Live set while executing layer L: every tensor
// already produced with a consumer not yet run (the network input included) plus L's output;
// network outputs stay live to the end. The order search is exact until it has visited
// max_search_states partial orders, then falls back to the best of two heuristic orders.
// A sum over layers that overflows int64 throws InputError naming the layer where it did.
// Example: network_stats(net, 1).peak_activation_bytes  // int8 working set of the best order
inline constexpr int64_t kMaxPeakSearchStates = 200'000;
NetworkStats network_stats(const Network& net, int bytes_per_element,
                           int64_t max_search_states = kMaxPeakSearchStates);

}  // namespace nesim
