#pragma once
// Trained accuracy behind a case study's table (issue 15): the baseline, each seed's winner and the
// scaled controls matched to them, each trained on the proxy task (docs/accuracy.md: Fashion-MNIST
// at 56 x 56, the reference's recipe) with several seeds. Detector and segmenter networks are
// trained as classifiers of their backbones (classifier_network(): the first output, pooled, a
// 10-way FC), which the tables say. Finished trainings are journalled in DIR/trainings.jsonl, one
// line each, so a killed study resumes without training anything twice; the jobs run in parallel
// on the study's executor (--jobs, MPI).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "sim/exec/executor.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

struct ModelToTrain {
  std::string role;  // "baseline", "V3 seed 2", "control width 0.5", ...
  ModelSpec spec;
};

struct TrainedModel {
  std::string role, model;
  std::vector<double> accuracies;  // one per seed; NaN where the run failed
  double mean = 0, sd = 0;         // over the runs that succeeded (sd: sample, 0 for one run)
};

struct TrainingPlan {
  int seeds = 0;             // trainings per model; 0 = none (the study says "not measured")
  uint64_t first_seed = 1;
  // The "train" scorer's options: budget (steps), batch, test images, data. One libtorch thread, in
  // this process as in forked workers, so that results do not depend on the worker count
  // (SearchOptions::scorer says why).
  ScorerOptions trainer = [] {
    ScorerOptions t;
    t.threads = 1;
    return t;
  }();
};

// Trains every distinct model (by its YAML) `plan.seeds` times, resuming from DIR/trainings.jsonl.
std::vector<TrainedModel> train_models(const std::vector<ModelToTrain>& models, const TrainingPlan& plan,
                                       const std::string& out_dir, const ParallelMap& parallel);

// Whether two trained means differ beyond seed noise: |a - b| > sd_a + sd_b (and both have >= 2 runs).
bool beyond_noise(const TrainedModel& a, const TrainedModel& b);

nlohmann::json to_json(const TrainedModel& t);
// "0.8912 ± 0.0031" (or "failed").
std::string mean_sd(const TrainedModel& t);

}  // namespace nesim::nas
