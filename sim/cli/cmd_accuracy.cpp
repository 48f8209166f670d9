// `nesim accuracy`: one network under one scorer (nas/accuracy, nas/torch).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "nas/regressor/accuracy.h"
#include "nas/search/space.h"
#include "sim/cli/cli_util.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The block-level spec (empty for SCALE-Sim topologies) and its expansion.
std::pair<ModelSpec, Network> read_model_and_spec(const std::string& path) {
  Network net = read_model(path);
  ModelSpec spec;
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml") spec = load_model_spec(path);
  return {spec, net};
}

struct AccuracyCliOptions {
  ScoringFlags flags;
  std::string model, proxy, accuracy_cmd, json;
  int train_steps = 0;
  ProgressFlags progress;
};

int run_accuracy(AccuracyCliOptions o) {
  const ProgressMode progress_style = o.progress.mode();
  check_outputs({{"--json", o.json}});
  std::string scorer_name = nas::default_proxy();
  const int chosen = !o.proxy.empty() + (o.train_steps > 0) + !o.accuracy_cmd.empty();
  if (chosen > 1) throw input_error("--proxy, --train and --accuracy-cmd: expected at most one of them");
  if (!o.proxy.empty()) scorer_name = o.proxy;
  std::optional<Progress> progress;  // only short training takes long enough to need one
  if (o.train_steps > 0) {
    scorer_name = "train";
    o.flags.scorer.train_steps = o.train_steps;
    progress.emplace("train", static_cast<size_t>(o.train_steps), "steps", progress_style);
    o.flags.scorer.on_train_step = [&progress](int done) { progress->update(static_cast<size_t>(done)); };
  }
  if (!o.accuracy_cmd.empty()) {
    scorer_name = "cmd";
    o.flags.scorer.command = o.accuracy_cmd;
  }
  std::unique_ptr<nas::AccuracyScorer> scorer = nas::make_scorer(scorer_name, o.flags.scorer);
  auto [spec, net] = read_model_and_spec(o.model);
  const auto t0 = Clock::now();
  nas::AccuracyResult r = scorer->score(spec, net, o.flags.seed);
  const double seconds = seconds_since(t0);
  if (progress) progress->finish();
  nlohmann::ordered_json j;
  j["model"] = net.name;
  j["scorer"] = scorer_name;
  j["input_size"] = o.flags.scorer.input_size;
  j["skip_strides"] = o.flags.scorer.skip_strides;
  j["seed"] = o.flags.seed;
  j["ok"] = r.ok;
  if (r.ok) j["score"] = r.score;
  else j["error"] = r.error;
  if (!o.json.empty()) {
    OutputFiles out;
    out.add(o.json, json_text(j, 2) + "\n");
    out.commit();
  }
  if (o.json != "-") {
    if (r.ok) fmt::print("{}: {} = {:.6g} ({:.2f} s)\n", net.name, scorer_name, r.score, seconds);
    else fmt::print("{}: {} failed: {} ({:.2f} s)\n", net.name, scorer_name, r.error, seconds);
  }
  return r.ok ? 0 : 1;
}

}  // namespace

Command add_accuracy_command(CLI::App& parent) {
  auto o = std::make_shared<AccuracyCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "accuracy", "Score one network's accuracy signal: a zero-shot proxy, short Fashion-MNIST training, or your trainer");
  app->add_option("--model,-m", o->model, "Model file")->required();
  app->add_option("--proxy", o->proxy,
                  fmt::format("Scorer name (default: {}; available: {})", nas::default_proxy(),
                              fmt::join(nas::scorer_names(), ", ")));
  app->add_option("--train", o->train_steps, "Train this many SGD steps on Fashion-MNIST; score = test accuracy")
      ->check(kPositive);
  app->add_option("--accuracy-cmd", o->accuracy_cmd,
                  "Your trainer: 'CMD {arch} {seed}', {arch} = the candidate's YAML; score = last stdout line");
  app->add_option("--accuracy-timeout", o->flags.scorer.timeout_s, "Seconds before --accuracy-cmd is killed")
      ->check(kPositive);
  app->add_option("--work-dir", o->flags.scorer.work_dir, "Where --accuracy-cmd candidates are written (in a private subdirectory; default $TMPDIR)");
  add_scoring_flags(app, o->flags);
  app->add_option("--json", o->json, "Write the result as JSON ('-': stdout)");
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_accuracy(*o); }};
}

}  // namespace nesim::cli
