// `nesim search`: neural architecture search for an engine (nas/search). A strategy proposes
// candidates from a search space, the regressor scores them, the simulator checks the top ones,
// and the result is written to --out (docs/search.md).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "nas/search/driver.h"
#include "nas/search/signal_choice.h"
#include "sim/cli/cli_util.h"
#include "sim/exec/executor.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

struct SearchCliOptions {
  nas::SearchOptions search;
  std::string space, hw, root = NESIM_SOURCE_DIR;
  double train_epochs = nas::kReferenceEpochs;
  int train_every = -1;  // -1: kOracleTrainEvery with the supernet oracle, else never
  ProgressFlags progress;
};

int run_search_command(SearchCliOptions& o) {
  nas::SearchOptions s = o.search;
  s.progress = o.progress.mode();
  s.space_path = o.space;
  s.hw_path = o.hw;
  s.hw = read_hw(o.hw);
  if (s.regressor_path.empty()) s.regressor_path = o.root + "/traces/regressor-ne-pf.json";
  if (!std::filesystem::exists(s.regressor_path))
    throw input_error("--regressor: no file '{}' (train one with `nesim fit`)", s.regressor_path);
  const nas::SignalChoice signal =
      nas::choose_accuracy_signal(s.accuracy, s.scorer.supernet, o.space, supernet_dir(o.root));
  s.accuracy = signal.signal;
  s.scorer.supernet = signal.supernet;
  s.accuracy_chosen_by = signal.chosen_by;
  s.train_every = o.train_every >= 0 ? o.train_every : signal.signal == "supernet" ? nas::kOracleTrainEvery : 0;
  if (signal.fallback && s.progress != ProgressMode::Quiet) std::cerr << "nesim search: accuracy: " << signal.chosen_by << "\n";
  if (s.accuracy == "cmd" && s.scorer.command.empty())
    throw input_error("--accuracy cmd needs --accuracy-cmd 'TRAINER {{arch}} {{seed}}'");
  s.trainer.train_steps = nas::epoch_steps(o.train_epochs, s.trainer.train_batch);
  s.trainer.data_dir = s.scorer.data_dir;
  s.parallel = exec::make_executor(s.jobs, "search job");
  const nas::SearchResult r = nas::run_search(s);
  const nlohmann::json& j = r.summary;
  std::cout << fmt::format("baseline  {:.4f} ms  {} bytes  accuracy {:.4f}\n", j["baseline"]["latency_ms"].get<double>(),
                           j["baseline"]["memory_bytes"].get<int64_t>(), j["baseline"]["accuracy_score"].get<double>());
  std::cout << fmt::format("best      {:.4f} ms  {} bytes  accuracy {:.4f}  ({})\n", j["best"]["latency_ms"].get<double>(),
                           j["best"]["memory_bytes"].get<int64_t>(), j["best"]["accuracy_score"].get<double>(),
                           j["best"]["feasible"].get<bool>() ? "feasible" : "INFEASIBLE: no candidate met the constraints");
  std::cout << fmt::format("latency reduction {:.1f} %, memory reduction {:.1f} %; {} evaluations, {} simulations, {:.1f} s\n",
                           j["latency_reduction_pct"].get<double>(), j["memory_reduction_pct"].get<double>(),
                           j["evaluations"].get<int>(), j["simulations"].get<int>(), r.wall_s);
  std::cout << fmt::format("best: {}\nwrote {}/{{candidates.csv, pareto.csv, best.yaml, best.py, best.onnx, summary.json, report.html}}\n",
                           r.candidates[r.best_id].description, s.out_dir);
  return 0;
}

}  // namespace

Command add_search_command(CLI::App& parent) {
  auto o = std::make_shared<SearchCliOptions>();
  nas::SearchOptions& s = o->search;
  CLI::App* app = parent.add_subcommand(
      "search", "Search a space of networks for the fastest on an engine (regressor-scored, simulator-verified)");
  app->add_option("--space", o->space, "Search space file (nas/spaces/*.yaml)")->required();
  app->add_option("--hw", o->hw, "Hardware config")->required();
  app->add_option("--out", s.out_dir, "Output directory (candidates.csv, pareto.csv, best.yaml, best.py, best.onnx, summary.json, "
                                      "report.html, journal.jsonl)")->required();
  app->add_option("--budget", s.budget, "Distinct candidates to evaluate (base architecture included)")
      ->capture_default_str()->check(kPositive);
  app->add_option("--seed", s.seed, "Random seed (same seed, same result)")->capture_default_str();
  app->add_option("--jobs,-j", s.jobs, "Worker processes for evaluations and simulations (results do not depend on it)")
      ->capture_default_str()->check(kPositive);
  app->add_flag("--resume", s.resume, "Continue the run in --out (after a crash or kill); same flags required");
  app->add_option("--strategy", s.strategy, "auto | random | evolution | nsga2 | zeroshot (auto: nsga2 when the space has several objectives, else evolution)")->capture_default_str();
  app->add_option("--channels", s.channels, "Override the space's channel mode: curated | fine")
      ->check(CLI::IsMember({"curated", "fine"}));
  app->add_option("--regressor", s.regressor_path, "Latency regressor (default: traces/regressor-ne-pf.json)");
  s.accuracy = "auto";
  app->add_option("--accuracy", s.accuracy,
                  "Accuracy signal (nas/accuracy): auto = the space's supernet oracle (--supernet, else "
                  "supernets/<space>.bin) or, where none is built, entropy with a note; or entropy, params, naswot, "
                  "train, supernet, cmd, ...")
      ->capture_default_str();
  app->add_option("--accuracy-cmd", s.scorer.command, "External trainer for --accuracy cmd: 'CMD {arch} {seed}' ({pytorch}, {onnx}: the candidate as net.py, net.onnx)");
  app->add_option("--supernet", s.scorer.supernet, "Supernet weights for --accuracy supernet (nesim supernet --out)");
  app->add_option("--accuracy-timeout", s.scorer.timeout_s, "Seconds per external trainer run")->capture_default_str();
  app->add_option("--batch", s.batch, "Candidates proposed per round")->capture_default_str()->check(kPositive);
  app->add_option("--population", s.strategy_options.population, "evolution / nsga2 population size")
      ->capture_default_str();
  app->add_option("--sample", s.strategy_options.sample, "evolution tournament size")->capture_default_str();
  app->add_option("--screen", s.strategy_options.screen, "zeroshot: candidates screened per one evaluated")
      ->capture_default_str();
  app->add_option("--sim-every", s.sim_every, "Simulate the top candidates every this many evaluations")
      ->capture_default_str()->check(kPositive);
  app->add_option("--sim-top", s.sim_top, "How many top candidates each check simulates")
      ->capture_default_str()->check(kPositive);
  app->add_option("--refine-threshold", s.refine_threshold_pct,
                  "Refine the latency oracle when a check's mean error is above this (%)")->capture_default_str();
  app->add_option("--train-every", o->train_every,
                  fmt::format("Train the top candidates for real every this many evaluations (0: never; default {} with "
                              "the supernet oracle, else 0); logs the accuracy signal's agreement", nas::kOracleTrainEvery))
      ->check(CLI::NonNegativeNumber);
  app->add_option("--train-top", s.train_top, "Candidates each training check trains")->capture_default_str()->check(kPositive);
  app->add_option("--train-seeds", s.train_seeds, "Seeds per trained candidate")->capture_default_str()->check(kPositive);
  app->add_option("--train-epochs", o->train_epochs, "Training checks' budget in epochs of Fashion-MNIST (the reference's)")
      ->capture_default_str()
      ->check(kPositive);
  add_progress_flags(app, o->progress);
  app->footer(
      "Example:\n  nesim search --space nas/spaces/detector.yaml --hw hwconfigs/ne-pf16.yaml --out runs/det "
      "--budget 500 --seed 1 --jobs 2\n  (kill it at any time, then add --resume to continue)");
  return {app, [o] { return run_search_command(*o); }};
}

}  // namespace nesim::cli
