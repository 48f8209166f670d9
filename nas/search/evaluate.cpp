#include "nas/search/evaluate.h"

#include "sim/engine/engine.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"

namespace nesim::nas {

nlohmann::json to_json(const SearchEvaluation& e) {
  nlohmann::json j = {{"ok", e.ok}, {"predicted_ms", e.predicted_ms}, {"params", e.params}, {"macs", e.macs},
                      {"peak_activation_bytes", e.peak_activation_bytes}, {"memory_bytes", e.memory_bytes},
                      {"accuracy_ok", e.accuracy_ok}, {"accuracy", e.accuracy}};
  if (!e.error.empty()) j["error"] = e.error;
  return j;
}

SearchEvaluation search_evaluation_from_json(const nlohmann::json& j) {
  SearchEvaluation e;
  e.ok = j.at("ok").get<bool>();
  e.error = j.value("error", "");
  e.predicted_ms = j.at("predicted_ms").get<double>();
  e.params = j.at("params").get<int64_t>();
  e.macs = j.at("macs").get<int64_t>();
  e.peak_activation_bytes = j.at("peak_activation_bytes").get<int64_t>();
  e.memory_bytes = j.at("memory_bytes").get<int64_t>();
  e.accuracy_ok = j.at("accuracy_ok").get<bool>();
  e.accuracy = j.at("accuracy").get<double>();
  return e;
}

Evaluator::Evaluator(HwConfig hw, std::shared_ptr<const Regressor> regressor,
                     std::shared_ptr<const AccuracyScorer> scorer, uint64_t accuracy_seed, int64_t max_peak_states)
    : hw_(std::move(hw)), oracle_(std::make_unique<LatencyOracle>(std::move(regressor), hw_)),
      scorer_(std::move(scorer)),
      accuracy_seed_(accuracy_seed), max_peak_states_(max_peak_states) {}

SearchEvaluation Evaluator::evaluate(const ModelSpec& spec) const {
  SearchEvaluation e;
  try {
    const Network net = expand(spec, spec.name);
    const NetworkStats st = network_stats(net, hw_.bytes_per_element(), max_peak_states_);
    e.params = st.params;
    e.macs = st.macs;
    e.peak_activation_bytes = st.peak_activation_bytes;
    e.memory_bytes = st.params * hw_.bytes_per_element() + st.peak_activation_bytes;
    e.predicted_ms = oracle_->latency_ms(net);
    const AccuracyResult acc = scorer_->score(spec, net, accuracy_seed_);
    e.accuracy_ok = acc.ok;
    e.accuracy = acc.ok ? acc.score : 0;
    if (!acc.ok) e.error = "accuracy: " + acc.error;
  } catch (const InputError& err) {
    e.ok = false;
    e.error = err.what();
  }
  return e;
}

SimResult Evaluator::simulate(const ModelSpec& spec) const {
  return nesim::simulate(expand(spec, spec.name), hw_);
}

}  // namespace nesim::nas
