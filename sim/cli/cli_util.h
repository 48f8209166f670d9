#pragma once
// What the `nesim` commands share: how a command plugs into main, reading the two kinds of input
// file, and parsing `--set key=value` overrides.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "nas/accuracy/scorer.h"
#include "sim/graph/network.h"
#include "sim/hw/hw_config.h"
#include "sim/util/progress.h"

namespace nesim::cli {

// A subcommand: its CLI11 parser and what runs when it was selected (returns the exit status).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_info_command(CLI::App& parent);
Command add_simulate_command(CLI::App& parent);
Command add_sweep_command(CLI::App& parent);
Command add_hwconfig_doc_command(CLI::App& parent);
Command add_dataset_command(CLI::App& parent);
Command add_fit_command(CLI::App& parent);
Command add_predict_command(CLI::App& parent);
Command add_check_command(CLI::App& parent);
Command add_accuracy_command(CLI::App& parent);
Command add_proxy_eval_command(CLI::App& parent);
Command add_reference_command(CLI::App& parent);
Command add_supernet_command(CLI::App& parent);
Command add_advise_command(CLI::App& parent);
Command add_search_command(CLI::App& parent);
Command add_experiment_command(CLI::App& parent);
Command add_import_command(CLI::App& parent);
Command add_export_command(CLI::App& parent);

// Number checks whose message a user can read ("expected a number > 0, got '0'"), in place of
// CLI11's PositiveNumber / NonNegativeNumber, which print the whole of DBL_MAX as the bound.
extern const CLI::Validator kPositive;     // > 0
extern const CLI::Validator kNonNegative;  // >= 0

// --progress and --quiet, with the same help text on every long command (docs: README, "Progress
// and logs"). mode() applies progress_mode(): both flags are an InputError.
struct ProgressFlags {
  bool progress = false, quiet = false;
  ProgressMode mode() const { return progress_mode(progress, quiet); }
};
void add_progress_flags(CLI::App* app, ProgressFlags& flags);

// The proxy task and the trainer's options (--input-size, --skip-strides, --batch, --train-batch,
// --lr, --eval-images, --threads, --data-dir) and --seed: `accuracy`, `proxy-eval`, `reference`.
struct ScoringFlags {
  nas::ScorerOptions scorer;
  uint64_t seed = 1;
};
void add_scoring_flags(CLI::App* app, ScoringFlags& flags);

// Where the default accuracy signal looks for a space's supernet (search, experiment):
// $NESIM_SUPERNET_DIR, else `root`/supernets (where `make supernets` writes).
std::string supernet_dir(const std::string& root);

// Loads a model (.yaml block format, SCALE-Sim .csv or .onnx); a missing file is an InputError.
Network read_model(const std::string& path);
// Loads a hardware config (.yaml or SCALE-Sim .cfg); a missing file is an InputError.
HwConfig read_hw(const std::string& path);

// `--set mac_array.pf=8,16,32` -> {"mac_array.pf", {"8", "16", "32"}}.
struct HwOverride {
  std::string key;
  std::vector<std::string> values;
};
// Parses every --set argument and checks each key and value on a default HwConfig, so that a
// typo fails before any file is read. Throws InputError naming the argument.
std::vector<HwOverride> parse_overrides(const std::vector<std::string>& args, bool allow_lists);
// Applies one value per override (values[choice[i]] of override i) and validates the result.
HwConfig apply_overrides(HwConfig hw, const std::vector<HwOverride>& overrides,
                         const std::vector<size_t>& choice);

// Checks output paths up front: writable, and no file named twice (only one may be "-").
void check_outputs(const std::vector<std::pair<std::string, std::string>>& flag_and_path);

// Creates the folder `dir` (and its parents) that the option `flag` names; InputError "FLAG DIR:
// cannot create the folder: WHY" when it cannot, or when a file or device is there instead.
void create_output_folder(const std::string& flag, const std::string& dir);

Precision parse_precision(const std::string& s);

}  // namespace nesim::cli
