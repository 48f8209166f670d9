#pragma once
// The latency regressor: gradient-boosted trees (trained with XGBoost) that correct the analytic
// pipeline estimate of each compiled kernel; a network's latency is the sum of its kernels'.
// Prediction runs on nesim's own flat tree arrays, not through XGBoost, for speed.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/regressor/dataset.h"
#include "sim/compiler/program.h"

namespace nesim::nas {

// Defaults: 20 trees of depth 6 agree with the simulator nearly as well as 300 of depth 8 (held-out
// network MAPE 0.07 % against 0.05 %) at a sixth of the query time (docs/regressor.md).
struct FitOptions {
  int rounds = 20;
  int max_depth = 6;
  double learning_rate = 0.3;
  uint64_t seed = 1;
  int threads = 2;
  std::function<void(int rounds_done)> on_round;  // after each boosting round (may be empty)
};

struct KernelPrediction {
  std::string name;
  std::vector<std::string> layers;
  double cycles = 0;
};

struct NetworkPrediction {
  double total_cycles = 0, latency_ms = 0;
  std::vector<KernelPrediction> kernels;
};

class Regressor {
 public:
  static Regressor fit(const std::vector<KernelRow>& rows, const FitOptions& opt);
  static Regressor load(const std::string& path);  // InputError naming the file and key
  void save(const std::string& path) const;

  // Predicted cycles of one kernel from its features (kernel_features()).
  double kernel_cycles(const std::vector<float>& features, double pipeline_cycles) const;
  // Predicted cycles of one compiled kernel on `hw` (0 for a kernel without tiles): exactly the
  // value predict() gives that kernel in a Program.
  double kernel_cycles(const Kernel& kernel, const HwConfig& hw) const;
  // The compiler's decomposition, each kernel predicted, summed.
  NetworkPrediction predict(const Program& program) const;
  // predict(program).total_cycles without the per-kernel list: the NAS loop's hot path.
  double total_cycles(const Program& program) const;

  size_t trees() const { return roots_.size(); }

 private:
  // Cycles of each timed kernel of `program` (0 for kernels without tiles), in kernel order.
  std::vector<double> kernel_cycles(const Program& program) const;
  // Adds every tree's leaf for each of `rows` feature rows (row-major, `cols` wide) to sum[row].
  void add_trees(const float* x, size_t rows, size_t cols, double* sum) const;
  void pack();  // builds the query-time layout from the saved arrays

  // Query-time layout: each tree padded to a complete binary tree of depth_ levels (a leaf above
  // the last level is copied into both subtrees below it) and stored implicitly, children of
  // split i at 2i+1 and 2i+2. A walk is depth_ steps without branches, so several kernels
  // walk one tree at once.
  int depth_ = 0;
  std::vector<int32_t> split_feature_;  // trees x (2^depth_ - 1)
  std::vector<float> split_threshold_;
  std::vector<float> leaf_value_;       // trees x 2^depth_

  // Saved layout, XGBoost's arrays concatenated: node i splits on feature_[i] at threshold_[i]
  // (left when value < threshold); leaves have left_[i] == -1 and their value in value_[i].
  std::vector<int32_t> left_, right_, feature_;
  std::vector<float> threshold_, value_;
  std::vector<int32_t> roots_;
  double base_score_ = 0;
};

}  // namespace nesim::nas
