#pragma once
// The controls a case study's winner must beat (issue 15): the base model scaled uniformly (width
// multiplier; for dense tasks also input resolution), each simulated, and the one matched to the
// winner's latency or memory. A reduction counts as a NAS gain only where the winner beats the
// matched scaled control; random search at the same budget is the other control (experiments.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/search/evaluate.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

struct ScaledControl {
  std::string name;            // e.g. "width 0.5", "width 0.75, input 256"
  double width = 1;            // multiplies the base's width_multiplier
  int64_t input = 0;           // input height = width (0: the base's)
  double latency_ms = 0;       // simulated
  int64_t memory_bytes = 0, params = 0, macs = 0;
  double accuracy = 0;         // the study's accuracy signal
  bool ok = true;              // false: the scaled model does not map (error says why)
  std::string error;
  ModelSpec spec;              // the scaled model
};

// Widths {0.25, 0.35, 0.5, 0.75, 1.0} of the base, and with `inputs` non-empty every width at each of
// those input sizes too (fixed-size resizes in the head scale with the input). Each is simulated on the evaluator's engine and scored by its scorer.
std::vector<ScaledControl> scaled_controls(const ModelSpec& base, const Evaluator& eval,
                                           const std::vector<int64_t>& inputs = {});

// The matched control: among the controls that map and are no slower (by="latency") or no larger
// (by="memory") than `target`, the one with the best accuracy signal (ties: lower latency, then
// name). nullptr when none qualifies.
const ScaledControl* matched_control(const std::vector<ScaledControl>& controls, const std::string& by, double target);

nlohmann::json to_json(const ScaledControl& c);

// Median, min and max of a sample (empty: all NaN).
struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread(std::vector<double> v);

}  // namespace nesim::nas
