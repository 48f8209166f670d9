#pragma once
// What one candidate costs: latency from the regressor (the fast oracle), memory (parameter bytes
// plus peak activation bytes at the engine's precision), MACs, and the accuracy score; and the
// simulator's latency for validation. Results travel as JSON (to_json / from_json) so that a
// worker process, the journal and the in-process path give bit-identical numbers.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "nas/regressor/oracle.h"
#include "nas/regressor/regressor.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/report/records.h"

namespace nesim::nas {

struct SearchEvaluation {
  bool ok = true;             // false: the candidate failed to expand or compile (error says why)
  std::string error;
  double predicted_ms = 0;    // regressor latency, uncorrected
  int64_t params = 0, macs = 0, peak_activation_bytes = 0;
  int64_t memory_bytes = 0;   // params * bytes_per_element + peak_activation_bytes
  bool accuracy_ok = true;    // false: the scorer failed on this candidate (infeasible under an accuracy constraint)
  double accuracy = 0;        // higher is better; scorer-specific scale
};

nlohmann::json to_json(const SearchEvaluation& e);
SearchEvaluation search_evaluation_from_json(const nlohmann::json& j);

// Not thread-safe: evaluate() grows the latency oracle's plan cache (a candidate's kernels that an
// earlier candidate had are not planned again). Forked workers each continue from a copy of it.
class Evaluator {
 public:
  // max_peak_states bounds network_stats' exact peak-activation order search (sim/graph/stats.h).
  Evaluator(HwConfig hw, std::shared_ptr<const Regressor> regressor, std::shared_ptr<const AccuracyScorer> scorer,
            uint64_t accuracy_seed, int64_t max_peak_states);
  SearchEvaluation evaluate(const ModelSpec& spec) const;  // const: the oracle's caches change, no result does
  // Runs the SystemC engine (one kernel per process: call it from the process that owns it).
  SimResult simulate(const ModelSpec& spec) const;
  const HwConfig& hw() const { return hw_; }
  bool closed_form_accuracy() const { return scorer_->closed_form(); }  // AccuracyScorer::closed_form()

 private:
  HwConfig hw_;
  // The regressor through cached plans: exactly regressor->total_cycles(compile(net, hw_)).
  std::unique_ptr<LatencyOracle> oracle_;
  std::shared_ptr<const AccuracyScorer> scorer_;
  uint64_t accuracy_seed_;
  int64_t max_peak_states_;
};

}  // namespace nesim::nas
