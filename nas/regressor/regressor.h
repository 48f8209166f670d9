#pragma once
// The latency regressor: gradient-boosted trees (trained with XGBoost) that correct the analytic
// pipeline estimate of each compiled kernel; a network's latency is the sum of its kernels'.
// Prediction runs on nesim's own flat tree arrays, not through XGBoost, for speed.
#include <cstdint>
#include <string>
#include <vector>

#include "nas/regressor/dataset.h"
#include "sim/compiler/program.h"

namespace nesim::nas {

struct FitOptions {
  int rounds = 300;
  int max_depth = 8;
  double learning_rate = 0.1;
  uint64_t seed = 1;
  int threads = 2;
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
  // The compiler's decomposition, each kernel predicted, summed.
  NetworkPrediction predict(const Program& program) const;

  size_t trees() const { return roots_.size(); }

 private:
  // Flat trees: node i splits on feature_[i] at threshold_[i] (left when value < threshold);
  // leaves have left_[i] == -1 and their value in value_[i].
  std::vector<int32_t> left_, right_, feature_;
  std::vector<float> threshold_, value_;
  std::vector<int32_t> roots_;
  double base_score_ = 0;
};

}  // namespace nesim::nas
