#pragma once
// The case studies of accelerator-aware NAS (`nesim experiment NAME`, `make experiments`), each a
// fixed recipe over run_search() and advise() whose figures go into docs/case-studies.md:
//   detector    SSDLite person detector, ne-pf16: ablation V1 depth multipliers / V2 fused-IBN
//               placement / V3 both, latency at iso-accuracy
//   classifier  MobileNetV2-style classifier: parameters + peak activation memory at iso-accuracy,
//               NAS then the advisor's rules
//   segmenter   LR-ASPP MobileNetV3-Large retargeted to ne-pf16: the five best candidates
//   curation    curated vs fine channel spaces over several seeds: evaluations to come within 5 %
//               of the best latency found
// Every latency in a result is the simulator's. Every "iso-accuracy" is under the accuracy scorer
// named in the result (the built-in MAE-DET entropy unless told otherwise).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/experiments/trained.h"
#include "nas/search/driver.h"

namespace nesim::nas {

struct ExperimentOptions {
  std::string name;
  std::string out_dir;             // gets summary.json, report.md, and one folder per search
  std::string root = ".";          // the repository: spaces, hwconfigs and traces are found under it
  uint64_t seed = 1;
  int budget = 0;                  // evaluations per search; 0 = the study's own default
  int seeds = 3;                   // seeds per search (NAS and random search alike; curation: per channel mode)
  int jobs = 1;
  ParallelMap parallel;            // as in SearchOptions
  bool resume = false;             // continue the searches journalled under out_dir
  ProgressMode progress = ProgressMode::Quiet;  // each search's, and a line per search and advice rule
  // The accuracy signal of the searches, the controls and the advisor: "auto" (the supernet oracle
  // where the study's space has one, under supernet_dir or as `supernet`; else the zero-cost
  // fallback, as `nesim search` chooses: nas/search/signal_choice.h), or a scorer name.
  std::string accuracy = "auto";
  std::string supernet;      // --supernet: the oracle's weights for the study's space
  std::string supernet_dir;  // where "auto" looks for <space stem>.bin ("" = nowhere)
  // Resolved by run_experiment(): the scorer's options (the supernet's file) and why.
  ScorerOptions scorer = [] {
    ScorerOptions s;
    s.threads = 1;  // as a search's (SearchOptions::scorer says why)
    return s;
  }();
  std::string accuracy_chosen_by;
  // Trained accuracy of baseline, winners and matched controls (trained.h); seeds 0 = not measured.
  TrainingPlan training;
};

struct ExperimentResult {
  nlohmann::json summary;          // what summary.json holds
  std::string markdown;            // the study's table(s), as docs/case-studies.md shows them
  std::vector<std::pair<std::string, std::string>> files;  // further outputs: name in out_dir, content
};

const std::vector<std::string>& experiment_names();
// InputError for an unknown name or bad options; writes out_dir/summary.json and report.md.
ExperimentResult run_experiment(const ExperimentOptions& options);

}  // namespace nesim::nas
