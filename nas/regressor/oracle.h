#pragma once
// The NAS loop's latency oracle: a network's predicted cycles without building its Program.
// The compiler's decisions come from a PlanCache (plan_kernels()), and each distinct plan is
// predicted once, so a candidate whose kernels were all seen costs the grouping and residency
// decisions plus one lookup per kernel.
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "nas/regressor/regressor.h"
#include "sim/compiler/compiler.h"
#include "sim/graph/network.h"
#include "sim/hw/hw_config.h"

namespace nesim::nas {

// Exact: total_cycles(net) == regressor.total_cycles(compile(net, hw, opt)) bit for bit (tested),
// because a kernel's prediction depends only on its plan and `hw`, and the sum runs in kernel order.
// Not thread-safe (it owns a PlanCache): give each thread or worker process its own.
// Example:
//   LatencyOracle oracle(std::make_shared<const Regressor>(Regressor::load(path)), hw);
//   for (const Network& candidate : candidates) double ms = oracle.latency_ms(candidate);
class LatencyOracle {
 public:
  // max_plans bounds the PlanCache (PlanCache's constructor).
  LatencyOracle(std::shared_ptr<const Regressor> regressor, HwConfig hw, CompileOptions opt = {},
                size_t max_plans = size_t{1} << 14);

  // Predicted cycles; throws InputError like compile() when a layer cannot be mapped.
  double total_cycles(const Network& net);
  double latency_ms(const Network& net) { return total_cycles(net) / (hw_.clock_mhz * 1e3); }

  const HwConfig& hw() const { return hw_; }
  const PlanCache& plans() const { return cache_; }
  int64_t kernels_predicted() const { return predicted_; }  // tree walks: plans not seen before
  int64_t kernels_remembered() const { return remembered_; }  // kernels answered from the memo

 private:
  std::shared_ptr<const Regressor> regressor_;
  HwConfig hw_;
  CompileOptions opt_;
  PlanCache cache_;
  std::unordered_map<uint64_t, double> cycles_;  // by PlannedKernel::plan_id
  int64_t predicted_ = 0, remembered_ = 0;
};

}  // namespace nesim::nas
