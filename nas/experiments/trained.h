#pragma once
// Trained accuracy behind a case study's table (issue 15): the baseline, each seed's winner and the
// scaled controls matched to them, each trained on the proxy task (docs/accuracy.md: Fashion-MNIST
// at 56 x 56, the reference's recipe) with several seeds. Detector and segmenter networks are
// trained as classifiers of their backbones (classifier_network(): the first output, pooled, a
// 10-way FC), which the tables say. Finished trainings are journalled in DIR/trainings.jsonl, one
// line each, so a killed study resumes without training anything twice; the jobs run in parallel
// on the study's executor (--jobs, MPI).
#include <cstdint>
#include <limits>
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

// A study's seed noise: the sd between runs of one model, pooled over every model with at least two
// successful runs (df = the sum of their runs minus one each). One model's two runs hardly estimate
// its noise (a pair that happens to agree would make every difference look real); the study's
// models together do, and on the proxy task they share it (docs/accuracy.md: seed sd 0.005 over
// the reference's architectures).
struct SeedNoiseEstimate {
  double sd = std::numeric_limits<double>::quiet_NaN();
  int df = 0;
};
SeedNoiseEstimate pooled_seed_noise(const std::vector<TrainedModel>& models);

// The least difference between the means of na and nb runs that is beyond that noise: the
// two-sided 95 % Student's t quantile at df times sd * sqrt(1/na + 1/nb). NaN without df or runs.
double noise_margin(const SeedNoiseEstimate& noise, int na, int nb);
// Successful runs of a model.
int runs_ok(const TrainedModel& t);
// Whether two trained means differ by more than noise_margin() (false when it is NaN).
bool beyond_noise(const TrainedModel& a, const TrainedModel& b, const SeedNoiseEstimate& noise);

nlohmann::json to_json(const TrainedModel& t);
// "0.8912 ± 0.0031" (or "failed").
std::string mean_sd(const TrainedModel& t);

}  // namespace nesim::nas
