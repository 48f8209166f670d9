#pragma once
// A case study's claim and its controls (issue 15): the search run over several seeds, random
// search at the same budget and seeds, and the base model scaled uniformly (controls.h). Each
// winner is compared with the scaled control matched to its latency (or memory); a reduction is a
// NAS gain only where the winner's accuracy beats that control's.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/experiments/controls.h"
#include "nas/experiments/trained.h"
#include "nas/search/driver.h"

namespace nesim::nas {

struct Winner {
  uint64_t seed = 0;
  int evaluations = 0;
  std::string description;
  double latency_ms = 0;       // simulated
  int64_t memory_bytes = 0;
  double accuracy = 0;         // the study's accuracy signal
  double reduction_pct = 0;    // of the study's objective against the baseline
  std::string matched;         // the matched scaled control's name ("" when none is as fast / small)
  double matched_accuracy = 0;
  bool beats_control = false;  // accuracy above the matched control's; false when none is matched
  ModelSpec spec;              // the winner itself, for training
};

struct Comparison {
  std::string objective;       // "latency" or "memory": what the reduction and the matching use
  std::vector<Winner> nas, random;
};

// seed -> (strategy "nas" | "random" -> the search's result); `pick` turns a result into its winner.
using RunSearch = std::function<SearchResult(uint64_t seed, bool random)>;
using PickWinner = std::function<Winner(const SearchResult&)>;
Comparison compare_with_controls(const std::string& objective, uint64_t first_seed, int seeds, const RunSearch& run,
                                 const PickWinner& pick, const std::vector<ScaledControl>& controls);

// "median [min–max]" of the winners' reductions, e.g. "41.2 % [38.0–44.9]".
std::string reduction_cell(const std::vector<Winner>& w);
// "k / n" of the winners with a matched control that beat it, and how many had none.
std::string gain_cell(const std::vector<Winner>& w);
nlohmann::json to_json(const Comparison& c);

// Accuracy signal against latency (or memory, MB): the scaled controls, each strategy's winners
// as layers, and the baseline singled out.
struct PlotSeries {
  std::string name, colour;
  std::vector<Winner> winners;
};
std::string comparison_svg(const std::string& objective, const std::string& accuracy_label,
                           const std::vector<ScaledControl>& controls, const std::vector<PlotSeries>& series,
                           double baseline_x, double baseline_accuracy);

// The trained half of the comparison (trained.h): baseline, every NAS winner and the control
// matched to it, `plan.seeds` trainings each. Returns the markdown table with each winner's
// verdicts (iso-accuracy: within seed noise of the baseline or above it; NAS gain: above its
// matched control beyond seed noise) and sets `summary` to what summary.json holds. With
// plan.seeds == 0 nothing is trained and both say so.
std::string trained_comparison(const ModelSpec& baseline, const std::vector<std::pair<std::string, const Comparison*>>& runs,
                               const std::vector<ScaledControl>& controls, const TrainingPlan& plan,
                               const std::string& out_dir, const ParallelMap& parallel, nlohmann::json& summary);

}  // namespace nesim::nas
