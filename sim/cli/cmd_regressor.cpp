// `nesim dataset`, `nesim fit`, `nesim predict`: the latency regressor's commands (nas/regressor).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/regressor/accuracy.h"
#include "nas/regressor/adaptive.h"
#include "nas/regressor/dataset.h"
#include "nas/regressor/regressor.h"
#include "sim/cli/cli_util.h"
#include "sim/exec/executor.h"
#include "sim/compiler/compiler.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

struct DatasetOptions {
  std::vector<std::string> hw, set, models;
  std::string out, layer_shapes;
  int samples = 200, layer_samples = 0, adaptive = 0, jobs = 1;
  uint64_t seed = 1;
  ProgressFlags progress;
};

// Every hardware point: each file crossed with every combination of --set values. A point is
// named after its file's config and its --set values ("ne-pf16/sram.kib=256/dram.bandwidth_gbps=4"):
// rows are grouped into networks by (model, hw) name, so two points must never share one.
std::vector<HwConfig> hardware_points(const std::vector<std::string>& files, const std::vector<std::string>& set) {
  std::vector<HwOverride> overrides = parse_overrides(set, /*allow_lists=*/true);
  std::vector<HwConfig> out;
  std::map<std::string, std::string> file_of_name;
  for (const std::string& f : files) {
    HwConfig base = read_hw(f);
    auto [at, fresh] = file_of_name.emplace(base.name, f);
    if (!fresh)
      throw input_error("--hw {} and {}: both configs are named '{}'; dataset rows tell hardware apart by name",
                        at->second, f, base.name);
    std::vector<size_t> choice(overrides.size(), 0);
    for (;;) {
      out.push_back(apply_overrides(base, overrides, choice));
      for (size_t i = 0; i < overrides.size(); ++i)
        out.back().name += fmt::format("/{}={}", overrides[i].key, overrides[i].values[choice[i]]);
      size_t i = 0;
      for (; i < overrides.size(); ++i) {
        if (++choice[i] < overrides[i].values.size()) break;
        choice[i] = 0;
      }
      if (i == overrides.size()) break;
    }
  }
  return out;
}

int run_dataset(const DatasetOptions& o) {
  check_outputs({{"--out", o.out}});
  nas::SampleOptions s;
  s.progress = o.progress.mode();
  s.hws = hardware_points(o.hw, o.set);
  s.samples = o.samples;
  s.seed = o.seed;
  s.model_files = o.models;
  if (!o.layer_shapes.empty()) s.single_layers = nas::layer_shape_networks(o.layer_shapes);
  s.layer_samples = o.layer_samples;
  if (auto ex = exec::make_executor(o.jobs, "dataset sample"); ex->workers() > 1 || ex->distributed()) s.parallel = ex;
  if (s.model_files.empty()) {
    for (const auto& e : std::filesystem::directory_iterator(NESIM_SOURCE_DIR "/models"))
      if (e.path().extension() == ".yaml") s.model_files.push_back(e.path().string());
    std::sort(s.model_files.begin(), s.model_files.end());
  }
  nas::AdaptiveReport adaptive;
  std::vector<nas::KernelRow> rows = nas::adaptive_rows(s, o.adaptive, nas::FitOptions{}, &adaptive);
  nas::write_rows(o.out, rows);
  if (o.adaptive > 0)
    fmt::print("nesim: adaptive: worst of {} probe networks off by {:.2f}%; {} neighbour networks added\n",
               adaptive.probe_networks, 100 * adaptive.worst_probe_error, adaptive.added_networks);
  fmt::print("nesim: wrote {} kernels from {} networks and {} single layers on {} hardware points to {}\n",
             rows.size(), o.samples, o.layer_samples, s.hws.size(), o.out);
  return 0;
}

struct FitCliOptions {
  std::vector<std::string> data, eval;
  std::string out, report, holdout_model;
  nas::FitOptions fit;
  ProgressFlags progress;
};

// Kernel- and network-level accuracy of `reg` on `test` rows, printed and added to `report`.
void evaluate(const nas::Regressor& reg, const std::vector<nas::KernelRow>& test, const std::string& what,
              nlohmann::ordered_json& report) {
  std::vector<double> kernel_pred, kernel_sim;
  std::map<std::string, std::pair<double, double>> networks;
  for (const nas::KernelRow& r : test) {
    double p = reg.kernel_cycles(r.features, r.pipeline_cycles);
    kernel_pred.push_back(p);
    kernel_sim.push_back(static_cast<double>(r.cycles));
    auto& n = networks[r.model + "@" + r.hw];
    n.first += p;
    n.second += static_cast<double>(r.cycles);
  }
  std::vector<double> net_pred, net_sim;
  for (auto& [name, pa] : networks) net_pred.push_back(pa.first), net_sim.push_back(pa.second);
  for (auto [label, acc] : {std::pair{"kernel", nas::accuracy(kernel_pred, kernel_sim)},
                            std::pair{"network", nas::accuracy(net_pred, net_sim)}}) {
    fmt::print("{} {:8} n={:6}  MAPE {:6.2f}%  RMSPE {:6.2f}%  within 5% {:6.2f}%  within 10% {:6.2f}%  "
               "Spearman {:.4f}  Kendall {:.4f}\n",
               what, label, acc.n, acc.mape_pct, acc.rmspe_pct, acc.within_5_pct, acc.within_10_pct, acc.spearman,
               acc.kendall);
    report[what][label] = {{"n", acc.n}, {"mape_pct", acc.mape_pct}, {"rmspe_pct", acc.rmspe_pct},
                           {"within_5_pct", acc.within_5_pct}, {"within_10_pct", acc.within_10_pct},
                           {"spearman", acc.spearman}, {"kendall", acc.kendall}};
  }
}

int run_fit(const FitCliOptions& o) {
  const ProgressMode progress_style = o.progress.mode();
  check_outputs({{"--out", o.out}, {"--report", o.report}});
  std::vector<nas::KernelRow> rows;
  for (const std::string& f : o.data)
    for (nas::KernelRow& r : nas::read_rows(f)) rows.push_back(std::move(r));
  std::vector<std::vector<nas::KernelRow>> eval_rows;  // read up front: a bad --eval fails before any fit
  for (const std::string& f : o.eval) eval_rows.push_back(nas::read_rows(f));
  nlohmann::ordered_json report;
  std::vector<nas::KernelRow> train, test;
  if (!o.holdout_model.empty()) {
    // Leave one model family out: every network whose name starts with the prefix.
    for (const nas::KernelRow& r : rows) (r.model.rfind(o.holdout_model, 0) == 0 ? test : train).push_back(r);
    if (test.empty()) throw input_error("--holdout-model '{}': no network in the data starts with it", o.holdout_model);
  } else {
    // Held-out networks: every fifth (model, hardware) pair by name, never seen in training.
    std::map<std::string, int> index;
    for (const nas::KernelRow& r : rows) index.emplace(r.model + "@" + r.hw, 0);
    int i = 0;
    for (auto& [name, idx] : index) idx = i++;
    for (const nas::KernelRow& r : rows) (index[r.model + "@" + r.hw] % 5 == 4 ? test : train).push_back(r);
  }
  // Two fits, each o.fit.rounds rounds: the held-out check, then the saved regressor.
  const int fits = train.empty() ? 1 : 2;
  Progress progress("fit", static_cast<size_t>(fits * o.fit.rounds), "rounds", progress_style);
  int rounds_before = 0;
  nas::FitOptions fit = o.fit;
  fit.on_round = [&](int done) { progress.update(static_cast<size_t>(rounds_before + done)); };
  std::optional<nas::Regressor> held;
  if (!train.empty()) {
    held = nas::Regressor::fit(train, fit);
    rounds_before = o.fit.rounds;
  }
  if (!o.holdout_model.empty()) rows = train;  // the saved regressor never sees the family either
  nas::Regressor reg = nas::Regressor::fit(rows, fit);
  progress.finish();  // before the accuracy table, which a bar would otherwise run into
  if (held) {
    evaluate(*held, test, "held_out", report);
    for (size_t i = 0; i < o.eval.size(); ++i) evaluate(*held, eval_rows[i], "eval:" + o.eval[i], report);
  }
  OutputFiles out;
  if (!o.report.empty()) out.add(o.report, json_text(report, 2) + "\n");
  out.commit();
  reg.save(o.out);
  fmt::print("nesim: trained {} trees on {} kernels -> {}\n", reg.trees(), rows.size(), o.out);
  return 0;
}

struct PredictOptions {
  std::string regressor, model, hw, json;
};

int run_predict(const PredictOptions& o) {
  check_outputs({{"--json", o.json}});
  nas::Regressor reg = nas::Regressor::load(o.regressor);
  HwConfig hw = read_hw(o.hw);
  Network net = read_model(o.model);
  nas::NetworkPrediction p = reg.predict(compile(net, hw));
  nlohmann::ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["model"] = net.name;
  j["hw"] = hw.name;
  j["total_cycles"] = std::llround(p.total_cycles);
  j["latency_ms"] = p.latency_ms;
  j["kernels"] = nlohmann::json::array();
  for (const auto& k : p.kernels)
    j["kernels"].push_back({{"name", k.name}, {"layers", k.layers}, {"cycles", std::llround(k.cycles)}});
  if (!o.json.empty()) {
    OutputFiles out;
    out.add(o.json, json_text(j, 2) + "\n");
    out.commit();
  }
  if (o.json != "-")
    fmt::print("{} on {}: predicted {} cycles, {:.4f} ms ({} kernels)\n", net.name, hw.name,
               std::llround(p.total_cycles), p.latency_ms, p.kernels.size());
  return 0;
}

}  // namespace

Command add_dataset_command(CLI::App& parent) {
  auto o = std::make_shared<DatasetOptions>();
  CLI::App* app = parent.add_subcommand("dataset", "Sample networks, simulate them, write one row per compiled kernel");
  app->add_option("--hw", o->hw, "Hardware configs to sample from")->required();
  app->add_option("--set", o->set, "Grid of hardware keys, e.g. --set mac_array.pf=8,16,32 (repeatable)");
  app->add_option("--model,-m", o->models, "Model files to vary (default: every models/*.yaml)");
  app->add_option("--samples", o->samples, "Networks to simulate")->check(kPositive);
  app->add_option("--layer-shapes", o->layer_shapes,
                  "Folder of real-model layer shapes (conv.csv, dwconv.csv, fc.csv, pooling.csv), e.g. "
                  "../shared/data/layer_shapes");
  app->add_option("--layer-samples", o->layer_samples, "Single-layer networks to simulate from --layer-shapes")
      ->check(kNonNegative);
  app->add_option("--seed", o->seed, "Random seed (same seed, same file)");
  app->add_option("--adaptive", o->adaptive,
                  "After a first fit, simulate up to this many neighbours of the worst-predicted networks")
      ->check(kNonNegative);
  app->add_option("--jobs,-j", o->jobs, "Worker processes simulating samples (the file does not depend on it)")
      ->check(kPositive);
  app->add_option("--out", o->out, "Output CSV")->required();
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_dataset(*o); }};
}

Command add_fit_command(CLI::App& parent) {
  auto o = std::make_shared<FitCliOptions>();
  CLI::App* app = parent.add_subcommand("fit", "Train the latency regressor on kernel datasets; print held-out accuracy");
  app->add_option("--data", o->data, "Dataset CSVs from `nesim dataset`")->required();
  app->add_option("--out", o->out, "Regressor file to write (JSON)")->required();
  app->add_option("--report", o->report, "Also write the accuracy report as JSON");
  app->add_option("--eval", o->eval, "Datasets to evaluate on (e.g. a hardware config held out of training)");
  app->add_option("--holdout-model", o->holdout_model,
                  "Leave out every network whose name starts with this (a model family) and evaluate on it");
  app->add_option("--rounds", o->fit.rounds, "Boosting rounds")->check(kPositive);
  app->add_option("--max-depth", o->fit.max_depth, "Tree depth")->check(CLI::Range(1, 16));
  app->add_option("--seed", o->fit.seed, "Random seed");
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_fit(*o); }};
}

Command add_predict_command(CLI::App& parent) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* app = parent.add_subcommand("predict", "Predict a network's latency with a trained regressor");
  app->add_option("--regressor", o->regressor, "Regressor file from `nesim fit`")->required();
  app->add_option("--model,-m", o->model, "Model file")->required();
  app->add_option("--hw", o->hw, "Hardware config")->required();
  app->add_option("--json", o->json, "Write total_cycles, latency_ms and kernels as JSON ('-': stdout)");
  return {app, [o] { return run_predict(*o); }};
}

}  // namespace nesim::cli
