// `nesim supernet`: trains the weight-sharing supernet of a search space on the proxy task
// (nas/accuracy/supernet.h); `--accuracy supernet --supernet FILE` then scores candidates from it.
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "nas/accuracy/supernet.h"
#include "nas/search/space.h"
#include "sim/cli/cli_util.h"
#include "sim/report/output_file.h"
#include "sim/report/run_files.h"
#include "sim/util/hash.h"
#include "sim/util/input_file.h"
#include "sim/util/error.h"

namespace nesim::cli {
namespace {

namespace fs = std::filesystem;

struct SupernetCliOptions {
  std::string space, hw, out, checkpoint;
  bool snapshot = false;
  nas::SupernetOptions train;
  ScoringFlags flags;
  ProgressFlags progress;
};

int run_supernet(SupernetCliOptions o) {
  const ProgressMode progress_style = o.progress.mode();
  nas::check_scorer("supernet");  // re-runs the command in nesim-torch before anything is written
  check_outputs({{"--out", o.out}});
  const nas::SearchSpace space = nas::load_space(o.space, read_hw(o.hw));
  o.train.task = o.flags.scorer;
  o.train.seed = o.flags.seed;
  Progress progress("supernet", static_cast<size_t>(o.train.steps), "steps", progress_style);
  o.train.on_step = [&](int done, double loss) {
    progress.update(static_cast<size_t>(done), fmt::format("loss {:.3f}", loss));
  };
  // --checkpoint DIR: DIR/state.bin, rewritten atomically every --checkpoint-every steps; the same
  // command continues from it. The space and engine files are named by their contents' hashes.
  // --snapshot reads the state without the lock: a trainer holds it, and rewrites the state by
  // renaming a complete file over it.
  std::unique_ptr<RunLock> lock;
  o.train.snapshot = o.snapshot;
  if (o.snapshot && o.checkpoint.empty()) throw input_error("--snapshot: expected --checkpoint DIR, the state to read");
  if (!o.checkpoint.empty()) {
    const fs::path dir(o.checkpoint);
    refuse_symlink(dir, "--checkpoint");
    const std::string state = (dir / "state.bin").string();
    if (o.snapshot && !fs::is_regular_file(state))
      throw input_error("--snapshot: no training state '{}' to read (written by a training with --checkpoint {})", state,
                        o.checkpoint);
    if (!o.snapshot) {
      create_output_folder("--checkpoint", o.checkpoint);
      lock = std::make_unique<RunLock>(dir, "nesim supernet training");
    }
    refuse_symlink(state, "--checkpoint");
    o.train.identity = fmt::format("space {:016x}, engine {:016x}", fnv1a64(read_input_file(o.space, "search space")),
                                   fnv1a64(read_input_file(o.hw, "hardware config")));
    if (fs::exists(state)) {
      o.train.resume_state = read_input_file(state, "supernet training state", int64_t{4} << 30);
      o.train.resume_where = state;
    }
    o.train.on_resume = [&](int done) { progress.resume(static_cast<size_t>(done)); };
    o.train.on_checkpoint = [state](const std::string& bytes) {
      OutputFiles out;
      out.add(state, bytes);
      out.commit();
    };
  }
  const nas::SupernetReport r = nas::train_supernet(space, o.space, o.train);
  OutputFiles out;
  out.add(o.out, r.weights);
  out.commit();
  if (o.snapshot)
    progress.finish(fmt::format("supernet: the weights after step {} of {} (a snapshot, loss {:.3f})", r.steps_done,
                                o.train.steps, r.final_loss));
  else
    progress.finish(fmt::format("supernet: {} steps in {:.1f} s, final loss {:.3f}; {} shared tensors, {} parameters",
                                o.train.steps, r.seconds, r.final_loss, r.tensors, r.parameters));
  fmt::print("wrote {} ({:.1f} MB; {} contested test images)\n", o.out, static_cast<double>(r.weights.size()) / 1e6,
             r.contested_images);
  return 0;
}

}  // namespace

Command add_supernet_command(CLI::App& parent) {
  auto o = std::make_shared<SupernetCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "supernet", "Train the weight-sharing supernet of a search space (the single-shot accuracy oracle)");
  app->add_option("--space", o->space, "Search space file, e.g. nas/spaces/classifier.yaml")->required();
  app->add_option("--hw", o->hw, "Engine the space's channel grid is resolved against")
      ->default_val(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
  app->add_option("--out", o->out, "Weights file (read back by --supernet)")->required();
  app->add_option("--steps", o->train.steps, "Sandwich steps (largest, smallest and two random candidates each)")
      ->capture_default_str()->check(CLI::Range(1, 10000000));
  app->add_option("--pool", o->train.pool, "Random candidates scanned for every layer's largest shape")
      ->capture_default_str()->check(CLI::Range(2, 1000000));
  app->add_flag("--distill", o->train.distill,
               "In-place distillation (BigNAS): the smaller candidates of each step learn the largest's predictions "
               "instead of the labels");
  app->add_option("--checkpoint", o->checkpoint,
                  "Folder for the training state (DIR/state.bin): rewritten every --checkpoint-every steps, and the "
                  "same command continues from it after a kill");
  app->add_flag("--snapshot", o->snapshot,
               "Write the weights of the --checkpoint state as they stand to --out and exit, without training (also "
               "while a training runs; same flags as the training)");
  app->add_option("--selection-images", o->train.selection_images,
                  "After training: the first N test images are scored by probe candidates, and those they disagree "
                  "on are listed in --out for the oracle to score on (0: none)")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  app->add_option("--checkpoint-every", o->train.checkpoint_every, "Steps between training states (with --checkpoint)")
      ->default_val(100)->check(CLI::Range(1, 10000000));
  add_scoring_flags(app, o->flags);
  add_progress_flags(app, o->progress);
  app->footer("Example:\n  nesim supernet --space nas/spaces/classifier.yaml --out supernet-classifier.bin --steps 3000 "
              "--checkpoint supernet-classifier.ckpt\n"
              "  nesim accuracy --model cand.yaml --proxy supernet --supernet supernet-classifier.bin");
  return {app, [o] { return run_supernet(*o); }};
}

}  // namespace nesim::cli
