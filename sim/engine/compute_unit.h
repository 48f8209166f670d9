#pragma once
// An engine unit that computes (the MAC array, the depthwise unit, the vector unit). The caller's
// thread is blocked for the step's cycles, the loosely-timed way: one wait per step, its length
// from the closed-form timing of the unit's geometry (sim/timing/unit_timing.h), bounded below by
// the SRAM bandwidth the step's operands need.
#include <systemc>

#include <string>

#include "sim/compiler/program.h"
#include "sim/engine/clock.h"
#include "sim/engine/trace.h"
#include "sim/timing/sram_traffic.h"
#include "sim/timing/unit_timing.h"

namespace nesim::engine {

class ComputeUnit : public sc_core::sc_module {
 public:
  ComputeUnit(sc_core::sc_module_name name, Activity& activity)
      : sc_core::sc_module(name), activity_(activity), track_(basename()) {}
  void configure(const HwConfig& hw) { hw_ = &hw; }

  // Runs one step; returns its cycles. Contract: advances simulated time by exactly
  // step_cycles(hw, step) and touches only the activity counters of step.layer.
  int64_t execute(const ComputeStep& step, const std::string& label) {
    int64_t n = step_cycles(*hw_, step);
    int64_t start = now_cycles();
    if (n > 0) wait(cycles(n));
    auto l = static_cast<size_t>(step.layer);
    activity_.compute_cycles[l] += n;
    if (step.unit != Unit::Vector) activity_.array_cycles[l] += n;
    activity_.executed_macs[l] += step.unit == Unit::Vector ? 0 : step.macs();
    activity_.vector_ops[l] += step.unit == Unit::Vector ? step.elements * step.ops_per_element : 0;
    activity_.sram[l] += sram_traffic(*hw_, step);
    if (activity_.tracing) activity_.events.push_back({track_, label, start - activity_.base_cycle, n, 0});
    return n;
  }

 private:
  Activity& activity_;
  std::string track_;
  const HwConfig* hw_ = nullptr;
};

}  // namespace nesim::engine
