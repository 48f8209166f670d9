// The search's accuracy ground truth in the loop (SearchOptions::train_every): its best candidates
// trained for real every so often, like the simulator checks of latency, so that a run says how
// far its accuracy signal can be trusted on the candidates it actually favours.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "nas/accuracy/rank_stats.h"
#include "nas/search/search_state.h"
#include "sim/modelfmt/model_expand.h"

namespace nesim::nas::detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Signals on the accuracy scale ([0, 1] test accuracy): their error is meaningful in points.
bool accuracy_scale(const std::string& signal) { return signal == "supernet" || signal == "train"; }

}  // namespace

void Search::train_top(size_t k) {
  std::vector<int> pick;
  std::set<int> trained;
  for (const TrainingCheck& t : r_.trainings) trained.insert(t.id);
  for (int id : ranking()) {
    if (pick.size() >= k) break;
    const CandidateRecord& c = r_.candidates[id];
    if (!trained.count(id) && c.eval.ok && c.eval.accuracy_ok) pick.push_back(id);
  }
  if (pick.empty()) return;
  std::vector<std::string> keys;
  for (int id : pick) keys.push_back(arch_key(r_.candidates[id].arch));
  const std::vector<json> results = this->results("train", keys, [&](size_t i) {
    const ModelSpec spec = to_model_spec(r_.space, r_.candidates[pick[i]].arch);
    const Network net = expand(spec, spec.name);
    json accuracies = json::array();
    for (int s = 0; s < o_.train_seeds; ++s) {
      const AccuracyResult a = trainer_->score(spec, net, o_.seed + static_cast<uint64_t>(s));
      accuracies.push_back(a.ok ? json(a.score) : json(nullptr));
    }
    return json{{"type", "train"}, {"key", keys[i]}, {"accuracies", accuracies}};
  });
  for (size_t i = 0; i < pick.size(); ++i) {
    TrainingCheck t;
    t.at_evaluation = static_cast<int>(r_.candidates.size());
    t.id = pick[i];
    t.estimate = r_.candidates[pick[i]].eval.accuracy;
    double sum = 0;
    int ok = 0;
    for (const json& a : results[i].at("accuracies")) {
      t.trained.push_back(a.is_number() ? a.get<double>() : kNaN);
      if (a.is_number()) sum += a.get<double>(), ++ok;
    }
    t.trained_mean = ok > 0 ? sum / ok : kNaN;
    r_.trainings.push_back(std::move(t));
  }
}

json Search::training_summary() const {
  json out;
  out["every"] = o_.train_every;
  out["top"] = o_.train_top;
  out["seeds"] = o_.train_seeds;
  out["steps"] = o_.trainer.train_steps;
  out["eval_images"] = o_.trainer.eval_images;
  out["signal"] = o_.accuracy;
  std::vector<double> estimate, trained;
  json checks = json::array();
  double abs_err = 0;
  for (const TrainingCheck& t : r_.trainings) {
    estimate.push_back(t.estimate);
    trained.push_back(t.trained_mean);
    json acc = json::array();
    for (double a : t.trained) acc.push_back(std::isfinite(a) ? json(a) : json(nullptr));
    checks.push_back({{"at_evaluation", t.at_evaluation}, {"id", t.id}, {"accuracy_estimate", t.estimate},
                      {"trained_accuracy", acc},
                      {"trained_mean", std::isfinite(t.trained_mean) ? json(t.trained_mean) : json(nullptr)}});
    if (std::isfinite(t.trained_mean)) abs_err += std::fabs(t.estimate - t.trained_mean);
  }
  out["checks"] = checks;
  const RankAgreement a = rank_agreement(estimate, trained, o_.seed);
  out["agreement"] = json(agreement_json(a));
  // An error in accuracy points only where the signal is an accuracy; a rank figure otherwise.
  out["mean_abs_error"] = accuracy_scale(o_.accuracy) && a.n > 0 ? json(abs_err / static_cast<double>(a.n)) : json(nullptr);
  return out;
}

std::string Search::trainings_csv() const {
  std::string csv = "at_evaluation,id,genes,accuracy_estimate,trained_accuracy_mean,seeds_ok\n";
  for (const TrainingCheck& t : r_.trainings) {
    int ok = 0;
    for (double a : t.trained) ok += std::isfinite(a) ? 1 : 0;
    csv += fmt::format("{},{},{},{},{},{}\n", t.at_evaluation, t.id, arch_key(r_.candidates[t.id].arch), t.estimate,
                       std::isfinite(t.trained_mean) ? fmt::format("{}", t.trained_mean) : "", ok);
  }
  return csv;
}

}  // namespace nesim::nas::detail
