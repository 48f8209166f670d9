#pragma once
// `nesim advise`: the expert in the loop. Applies, one block (or one rule) at a time, the changes
// that accelerator-aware NAS keeps finding (fused-IBN in early stages, channels on PF multiples,
// depthwise -> full conv, a width multiplier, smaller expansions for memory), SIMULATES every
// candidate, and keeps a change only when the simulator (and the memory count) says it helps the
// objective without breaking a constraint. The rules and their rationale: docs/advisor.md.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nas/accuracy/scorer.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/report/records.h"

namespace nesim::nas {

enum class AdviseObjective { Latency, Memory };

struct AdviseOptions {
  AdviseObjective objective = AdviseObjective::Latency;
  std::string accuracy = "entropy";        // scorer name (nas/accuracy/scorer.h)
  // Its options (the supernet oracle's weights, the proxy task). One libtorch thread, as a
  // search's scorer (SearchOptions::scorer says why). A change the scorer cannot score (a layer
  // outside the supernet's space) is not applicable, as one that cannot be built.
  ScorerOptions scorer = [] {
    ScorerOptions s;
    s.threads = 1;
    return s;
  }();
  bool iso_accuracy = false;               // keep a change only if score >= the base model's
  std::optional<int64_t> max_memory_bytes; // params bytes + peak activation bytes
  std::optional<double> max_latency_ms;    // simulated
  uint64_t seed = 0;                       // passed to the scorer
  std::function<void(const std::string&)> progress;  // one line per rule (may be empty)
};

// One model as the advisor judges it: simulated latency, counted memory, accuracy score.
struct AdviceEvaluation {
  int64_t total_cycles = 0;
  double latency_ms = 0;
  int64_t params = 0, macs = 0;
  int64_t peak_activation_bytes = 0;
  int64_t memory_bytes = 0;       // params * bytes_per_element + peak_activation_bytes
  double accuracy = 0;            // score of AdviseOptions::accuracy (higher is better)
  SimResult sim;                  // the simulation it came from
};

// One tried change. `before` is the model it was tried on (the result of every earlier kept
// change); `after` the candidate. Deltas are after - before.
struct AdviceStep {
  int decision = 0;               // alternatives of one decision share it and the same `before`
  std::string block;              // "s2b0", or a group such as "s3b0..s3b2"
  std::string rule;               // "fuse_ibn", "round_channels", "dw_to_conv", "width", "shrink_expand"
  std::string change;             // "ibn -> fused_ibn", "out 24 -> 32", ...
  bool applicable = true;         // false: the candidate does not expand / compile (after = before)
  bool kept = false;
  std::string reason;             // from the simulator records, e.g. utilisation of the layers
  AdviceEvaluation before, after;
  ModelSpec candidate;            // the model `after` was measured on
};

struct AdviceResult {
  AdviceEvaluation base, final;
  double base_accuracy = 0;       // the iso-accuracy reference
  std::vector<AdviceStep> steps;  // in the order tried
  ModelSpec model;                // the transformed model (repeats unrolled), to_yaml()-able
  bool constraints_met = true;    // by `final`
};

// Runs every rule greedily on `spec`. Throws InputError on bad options (negative budget, unknown
// scorer) or when the base model cannot be expanded / compiled for `hw`.
// Example: AdviceResult r = advise(load_model_spec("models/mobilenet_v2.yaml"),
//                                  load_hw_config("hwconfigs/ne-pf16.yaml"), {});
AdviceResult advise(const ModelSpec& spec, const HwConfig& hw, const AdviseOptions& options);

// Simulates, counts and scores one model as advise() does (the tests re-check steps with it).
AdviceEvaluation evaluate_model(const ModelSpec& spec, const HwConfig& hw, const AdviseOptions& options);

// The same model with every `repeat: N` block written as N blocks (same layer names).
ModelSpec unroll_repeats(const ModelSpec& spec);

AdviseObjective parse_objective(const std::string& text);  // "latency" | "memory"; InputError
const char* to_string(AdviseObjective objective);

// The printed table, and the JSON report (--json).
std::string advice_table(const AdviceResult& result, const HwConfig& hw);
std::string advice_json(const AdviceResult& result, const HwConfig& hw, const AdviseOptions& options);

}  // namespace nesim::nas
