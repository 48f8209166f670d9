#pragma once
// What training a candidate on Fashion-MNIST needs, shared by short training (train.cpp) and the
// supernet (supernet.cpp): the seeded training order, BN re-calibration and test accuracy.
// Internal to nas/torch (torch headers).
#include <cstdint>
#include <random>
#include <vector>

#include "nas/torch/graph_module.h"

namespace nesim::nas {

// Epochs of seeded shuffles of [0, n): the training order (same on every platform).
class Shuffler {
 public:
  Shuffler(int64_t n, uint64_t seed);
  std::vector<int64_t> next(int batch);
  // Moves on as `images` images of next() would (a resumed training's order).
  void skip(int64_t images);

 private:
  void shuffle();
  std::vector<int64_t> order_;
  std::mt19937_64 rng_;
  size_t pos_ = 0;
};

// BN's running statistics re-estimated as a plain average over `batches` training batches with
// the module's current weights (as once-for-all does for every sub-network): after a short
// budget, or for weights inherited from a supernet, the momentum-0.1 statistics do not describe
// the network. No-op without BN.
void recalibrate_batch_norm(GraphModule& m, const ImageSet& train, Shuffler& order, int batches,
                            const ScorerOptions& o);

// Top-1 accuracy in eval mode over all of `test`, in [0, 1]. `hits`, when given, gets one entry
// per test image: 1 where the prediction is right.
double test_accuracy(GraphModule& m, const ImageSet& test, const ScorerOptions& o,
                     std::vector<uint8_t>* hits = nullptr);

// The images of `set` at `index`, in that order.
ImageSet image_subset(const ImageSet& set, const std::vector<int64_t>& index);

}  // namespace nesim::nas
