#include "nas/experiments/trained.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "sim/graph/network.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/report/run_files.h"
#include "sim/util/error.h"
#include "sim/util/hash.h"

namespace nesim::nas {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string model_key(const ModelSpec& spec) { return fmt::format("{:016x}", fnv1a64(to_yaml(spec))); }

void summarise(TrainedModel& t) {
  double sum = 0, sq = 0;
  int n = 0;
  for (double a : t.accuracies)
    if (!std::isnan(a)) sum += a, ++n;
  t.mean = n > 0 ? sum / n : kNaN;
  for (double a : t.accuracies)
    if (!std::isnan(a)) sq += (a - t.mean) * (a - t.mean);
  t.sd = n > 1 ? std::sqrt(sq / (n - 1)) : 0;
}

}  // namespace

std::vector<TrainedModel> train_models(const std::vector<ModelToTrain>& models, const TrainingPlan& plan,
                                       const std::string& out_dir, const ParallelMap& parallel) {
  std::vector<TrainedModel> out;
  if (plan.seeds <= 0) return out;
  const std::string journal_path = (fs::path(out_dir) / "trainings.jsonl").string();
  // key " " seed -> accuracy (null: failed)
  std::map<std::string, json> done;
  refuse_symlink(journal_path);  // the run's own file: a link could send it anywhere
  for (const JournalLine& l : read_journal(journal_path, "training journal")) {
    json j;
    try {
      j = json::parse(l.text);
      done[j.at("key").get<std::string>() + " " + std::to_string(j.at("seed").get<uint64_t>())] = j.at("accuracy");
    } catch (const json::exception&) {
      throw input_error("{}: expected a training record {{key, model, seed, accuracy}}, got '{}'", l.where, l.text);
    }
  }
  // The distinct trainings still to run, in the models' order.
  struct Job {
    std::string key;
    const ModelSpec* spec;
    uint64_t seed;
  };
  std::vector<Job> jobs;
  std::set<std::string> queued;
  for (const ModelToTrain& m : models) {
    const std::string key = model_key(m.spec);
    for (int s = 0; s < plan.seeds; ++s) {
      const uint64_t seed = plan.first_seed + static_cast<uint64_t>(s);
      const std::string id = key + " " + std::to_string(seed);
      if (done.count(id) || !queued.insert(id).second) continue;
      jobs.push_back({key, &m.spec, seed});
    }
  }
  if (!jobs.empty()) {
    const std::unique_ptr<AccuracyScorer> trainer = make_scorer("train", plan.trainer);
    const Journal journal(journal_path);
    auto run = [&](size_t i) {
      const Job& job = jobs[i];
      const Network net = expand(*job.spec, job.spec->name);
      const AccuracyResult a = trainer->score(*job.spec, net, job.seed);
      return json{{"key", job.key}, {"model", job.spec->name}, {"seed", job.seed},
                  {"accuracy", a.ok ? json(a.score) : json(nullptr)}}.dump();
    };
    auto record = [&](size_t i, const std::string& line) {
      journal.append(line);
      done[jobs[i].key + " " + std::to_string(jobs[i].seed)] = json::parse(line).at("accuracy");
    };
    if (parallel) {
      const std::vector<std::string> lines =
          parallel->map(jobs.size(), run, [&](const exec::JobDone& d) { journal.append(d.bytes); });
      for (size_t i = 0; i < jobs.size(); ++i)
        done[jobs[i].key + " " + std::to_string(jobs[i].seed)] = json::parse(lines[i]).at("accuracy");
    } else {
      for (size_t i = 0; i < jobs.size(); ++i) record(i, run(i));
    }
    journal.sync();
  }
  for (const ModelToTrain& m : models) {
    TrainedModel t;
    t.role = m.role;
    t.model = m.spec.name;
    const std::string key = model_key(m.spec);
    for (int s = 0; s < plan.seeds; ++s) {
      const json& a = done.at(key + " " + std::to_string(plan.first_seed + static_cast<uint64_t>(s)));
      t.accuracies.push_back(a.is_number() ? a.get<double>() : kNaN);
    }
    summarise(t);
    out.push_back(std::move(t));
  }
  return out;
}

int runs_ok(const TrainedModel& t) {
  int n = 0;
  for (double x : t.accuracies) n += !std::isnan(x);
  return n;
}

SeedNoiseEstimate pooled_seed_noise(const std::vector<TrainedModel>& models) {
  double squares = 0;
  SeedNoiseEstimate e;
  for (const TrainedModel& m : models) {
    const int n = runs_ok(m);
    if (n < 2) continue;
    for (double a : m.accuracies)
      if (!std::isnan(a)) squares += (a - m.mean) * (a - m.mean);
    e.df += n - 1;
  }
  if (e.df > 0) e.sd = std::sqrt(squares / e.df);
  return e;
}

double noise_margin(const SeedNoiseEstimate& noise, int na, int nb) {
  if (noise.df < 1 || na < 1 || nb < 1 || !std::isfinite(noise.sd)) return kNaN;
  const boost::math::students_t t(noise.df);
  return boost::math::quantile(t, 0.975) * noise.sd * std::sqrt(1.0 / na + 1.0 / nb);
}

bool beyond_noise(const TrainedModel& a, const TrainedModel& b, const SeedNoiseEstimate& noise) {
  const double margin = noise_margin(noise, runs_ok(a), runs_ok(b));
  return std::isfinite(margin) && std::abs(a.mean - b.mean) > margin;
}

json to_json(const TrainedModel& t) {
  json acc = json::array();
  for (double a : t.accuracies) acc.push_back(std::isnan(a) ? json(nullptr) : json(a));
  return {{"role", t.role}, {"model", t.model}, {"accuracies", acc},
          {"mean", std::isnan(t.mean) ? json(nullptr) : json(t.mean)}, {"sd", t.sd}};
}

std::string mean_sd(const TrainedModel& t) {
  return std::isnan(t.mean) ? std::string("failed") : fmt::format("{:.4f} ± {:.4f}", t.mean, t.sd);
}

}  // namespace nesim::nas
