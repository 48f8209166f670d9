#pragma once
// The NAS driver: one search from a space file, an engine and a strategy to a simulator-verified
// best candidate, with the files `nesim search` writes. The experiment runner calls run_search()
// in process with different spaces, strategies and seeds. docs/search.md describes the loop.
//
// Example:
//   SearchOptions o;
//   o.space_path = "nas/spaces/detector.yaml";
//   o.hw = load_hw_config("hwconfigs/ne-pf16.yaml");
//   o.regressor_path = "traces/regressor-ne-pf.json";
//   o.budget = 500;
//   SearchResult r = run_search(o);   // r.summary["latency_reduction_pct"]
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "nas/search/evaluate.h"
#include "nas/search/space.h"
#include "nas/search/strategy.h"
#include "sim/hw/hw_config.h"
#include "sim/report/records.h"
#include "sim/exec/executor.h"
#include "sim/util/progress.h"

namespace nesim::nas {

struct SearchOptions {
  std::string space_path;
  std::string channels;            // "" = as the space file says; curated | fine
  HwConfig hw;
  std::string hw_path;             // recorded in run.json and summary.json
  std::string regressor_path;      // the latency oracle (traces/regressor-ne-pf.json)
  std::string accuracy = "entropy";    // a scorer name; the CLI's default is choose_accuracy_signal()'s
  std::string accuracy_chosen_by;      // why this signal (summary.json: accuracy.chosen_by); "" = --accuracy
  // One libtorch thread per scoring, in this process as in every `jobs` worker: a forked worker
  // cannot use more (graph_module.cpp, use_threads()), and libtorch's results differ in the last
  // bits between thread counts, so anything else would make the results depend on `jobs`.
  ScorerOptions scorer = [] {
    ScorerOptions s;
    s.threads = 1;
    return s;
  }();
  std::string strategy = "auto";  // auto: nsga2 for several objectives, else evolution
  StrategyOptions strategy_options;
  int budget = 1000;               // distinct candidates evaluated, the base architecture included
  int batch = 16;                  // candidates proposed per round (results depend on it, not on jobs)
  uint64_t seed = 1;
  int jobs = 1;
  int sim_every = 200;             // simulate the top candidates every this many evaluations
  int sim_top = 5;
  double refine_threshold_pct = 5; // refine the oracle when the mean error of a check is above this
  // Accuracy ground truth in the loop: every train_every evaluations (0: never) the train_top best
  // candidates not yet trained are trained for real, train_seeds seeds each, with `trainer`'s
  // budget (default: the reference's, one epoch tested on all 10,000 test images), and the
  // accuracy signal's agreement with them is logged.
  int train_every = 0;
  int train_top = 2;
  int train_seeds = 2;
  ScorerOptions trainer = [] {
    ScorerOptions t;
    t.train_steps = epoch_steps(kReferenceEpochs, t.train_batch);
    t.threads = 1;  // as `scorer`'s
    t.eval_images = 10000;
    return t;
  }();
  int64_t max_peak_states = 20'000;  // network_stats' exact-order search cap per candidate
  std::string out_dir;             // "" = write nothing (in-process use)
  bool resume = false;             // continue the run journalled in out_dir
  ProgressMode progress = ProgressMode::Quiet;  // on stderr: a bar, a line every few seconds, or nothing
  ParallelMap parallel;            // runs evaluations and simulations (sim/exec); null = in this process
};

struct CandidateRecord {
  int id = 0;
  Arch arch;
  std::string description;
  SearchEvaluation eval;
  std::optional<double> simulated_ms;
  double latency_ms = 0;           // the score: simulated where simulated, else the refined prediction
  double violation = 0;            // 0 = feasible
};

// One candidate checked against the simulator during the search.
struct SimulationCheck {
  int at_evaluation = 0, id = 0;
  double predicted_ms = 0, simulated_ms = 0, error_pct = 0;  // prediction as refined at the time
};

// One candidate trained for real during the search (SearchOptions::train_every).
struct TrainingCheck {
  int at_evaluation = 0, id = 0;
  double estimate = 0;            // the accuracy signal's score
  std::vector<double> trained;    // test accuracy per seed (NaN where the run failed)
  double trained_mean = 0;        // over the seeds that succeeded; NaN when none did
};

struct Refinement {
  int at_evaluation = 0;
  double mean_error_pct = 0;       // of the check that triggered it
  double correction = 1;           // the new factor on regressor latencies
};

struct SearchResult {
  SearchSpace space;
  std::vector<CandidateRecord> candidates;  // by id, in evaluation order
  std::vector<int> pareto;                  // ids, by latency
  // The accuracy-latency front whatever the objectives: the evaluated candidates (accuracy
  // scored, latency known) that no other beats on both accuracy estimate and latency, by latency.
  std::vector<int> accuracy_front;
  int best_id = -1;
  ModelSpec best_spec;
  CandidateRecord baseline;                 // the base model file itself (id -1)
  SimResult baseline_sim, best_sim;         // per-layer simulations of both
  std::vector<double> history;              // [i]: best feasible latency (ms) after i+1 evaluations; inf if none
  std::vector<SimulationCheck> checks;
  std::vector<Refinement> refinements;
  std::vector<TrainingCheck> trainings;
  int simulations = 0;                      // distinct candidates simulated, baseline included
  nlohmann::json summary;                   // what summary.json holds
  double wall_s = 0;
};

// InputError on bad options, space files or a resume that does not match the journalled run.
SearchResult run_search(const SearchOptions& options);

}  // namespace nesim::nas
