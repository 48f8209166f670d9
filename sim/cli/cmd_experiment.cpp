// `nesim experiment NAME`: one case study of accelerator-aware NAS end to end (nas/experiments),
// its tables in OUT/report.md and OUT/summary.json; `make experiments` runs them all.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nas/experiments/experiments.h"
#include "sim/cli/cli_util.h"
#include "sim/exec/executor.h"

namespace nesim::cli {

Command add_experiment_command(CLI::App& parent) {
  auto o = std::make_shared<nas::ExperimentOptions>();
  auto progress = std::make_shared<ProgressFlags>();
  o->root = NESIM_SOURCE_DIR;
  CLI::App* app = parent.add_subcommand(
      "experiment", "Run one case study end to end: " + fmt::format("{}", fmt::join(nas::experiment_names(), " | ")) +
                        " (docs/case-studies.md)");
  app->add_option("name", o->name, "Which case study")->required()->check(CLI::IsMember(nas::experiment_names()));
  app->add_option("--out", o->out_dir, "Output directory (summary.json, report.md, one folder per search)")->required();
  app->add_option("--seed", o->seed, "Random seed (same seed, same result)")->capture_default_str();
  app->add_option("--budget", o->budget, "Evaluations per search (default: each study's own)")
      ->check(kPositive);
  app->add_option("--seeds", o->seeds, "Seeds per search: every study runs NAS and random search on each and reports median and range")->capture_default_str()
      ->check(kPositive);
  app->add_option("--jobs,-j", o->jobs, "Worker processes (results do not depend on it)")->capture_default_str()
      ->check(kPositive);
  auto epochs = std::make_shared<double>(nas::kReferenceEpochs);
  app->add_option("--train-seeds", o->training.seeds,
                  "Train baseline, each winner and its matched scaled control this many times on the proxy task "
                  "(0: report the accuracy signal only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app->add_option("--train-epochs", *epochs, "Their budget in epochs of Fashion-MNIST (the reference's)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--data-dir", o->training.trainer.data_dir, "Fashion-MNIST folder for the trainings")
      ->capture_default_str();
  app->add_option("--accuracy", o->accuracy,
                  "Accuracy signal of the searches, controls and advisor: auto (the supernet oracle where the study's "
                  "space has one, else entropy, as nesim search chooses) or a scorer name")
      ->capture_default_str();
  app->add_option("--supernet", o->supernet, "Supernet weights for the study's space (default: supernets/<space>.bin)");
  app->add_option("--root", o->root, "Repository root holding nas/spaces, hwconfigs and traces")->capture_default_str();
  app->add_flag("--resume", o->resume, "Continue the searches journalled under --out");
  add_progress_flags(app, *progress);
  app->footer("Example:\n  nesim experiment detector --out runs/detector --jobs 2");
  return {app, [o, progress, epochs] {
            o->progress = progress->mode();
            o->supernet_dir = supernet_dir(o->root);
            o->training.first_seed = o->seed;
            o->training.trainer.eval_images = 10000;
            o->training.trainer.train_steps = nas::epoch_steps(*epochs, o->training.trainer.train_batch);
            o->parallel = exec::make_executor(o->jobs, "search job");
            const nas::ExperimentResult r = nas::run_experiment(*o);
            std::cout << r.markdown << fmt::format("\nwrote {}/summary.json and {}/report.md\n", o->out_dir, o->out_dir);
            return 0;
          }};
}

}  // namespace nesim::cli
