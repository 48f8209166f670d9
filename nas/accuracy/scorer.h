#pragma once
// The accuracy signal of the search: one interface over every way nesim can judge whether a
// candidate network will still learn. Built in (plain C++, always available): `params`, `macs`
// and `entropy`. With NESIM_WITH_TORCH: zero-shot proxies (naswot, synflow, grad_norm, snip) and
// short training on Fashion-MNIST (`train`). Users plug in their own trainer with `cmd`.
// Higher is better for every scorer; scores of different scorers are not comparable.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nas/accuracy/classifier_net.h"
#include "sim/graph/network.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

struct AccuracyResult {
  bool ok = true;       // false: the trial failed (timeout, crash, unreadable score); not fatal
  double score = 0;     // meaningful only when ok
  std::string error;    // why it failed, one line
};

// Options shared by the scorers; each reads what it needs.
struct ScorerOptions {
  // The proxy task (ClassifierShape, docs/accuracy.md): every scorer sees classifier_network() at
  // these, the parameter-free ones (params, macs, entropy) included.
  int input_size = 56;          // H = W; Fashion-MNIST's 28 x 28 resized bilinearly to it
  int in_channels = 1;          // Fashion-MNIST is grey
  int classes = 10;
  int skip_strides = 0;         // the first N downsampling steps run at stride 1
  int batch = 32;               // proxy minibatch
  int train_steps = 120;        // `train` budget in SGD steps (MobileNetV2 at 32x32: ~50 s on 2 cores)
  int threads = 2;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string command;          // `cmd`: 'CMD {arch} {seed}'
  double timeout_s = 600;       // `cmd`
  std::string work_dir;         // `cmd` writes candidate YAMLs in a mkdtemp directory under this ("" = $TMPDIR)
  int train_batch = 64;         // `train` minibatch
  double learning_rate = 0.05;  // `train`: SGD, momentum 0.9, cosine decay to 0 over train_steps
  int eval_images = 2000;       // `train` scores on the first eval_images of the 10k test set
  std::string supernet;         // `supernet`: the trained weights (nesim supernet --out)
  int oracle_images = 1000;     // `supernet`: test images a candidate is scored on: 1,000 contested ones
                                // rank as the whole test set does (docs/accuracy.md, "Contested test images")
  int calibration_batches = 4;  // `supernet`: training batches that re-estimate BN statistics
  // `supernet`: which test images: "contested" (those its probe candidates disagree on, as the
  // weights file lists them), "first" (the first oracle_images of the test set), or "auto"
  // (contested where the file lists them, else first).
  std::string oracle_subset = "auto";
  // `train`: called after each SGD step in the process that scores (the CLI's progress; may be empty).
  std::function<void(int steps_done)> on_train_step;
};

// The trained reference's budget, which training checks and case-study trainings share
// (docs/accuracy.md, "The trained reference"): one epoch of Fashion-MNIST's 60,000 training
// images. A second epoch cut the seed noise and the architectures' spread alike (single-seed
// reliability 0.49 at one epoch, 0.44 at two, same ten architectures), so at its double cost more
// seeds, not more epochs, are what make the reference's mean reliable (kReferenceSeeds).
inline constexpr double kReferenceEpochs = 1;
inline constexpr int kReferenceSeeds = 4;
inline constexpr int kTrainImages = 60000;

// SGD steps of `epochs` epochs at minibatch `batch` (at least one).
inline int epoch_steps(double epochs, int batch) {
  return std::max(1, static_cast<int>(std::ceil(epochs * kTrainImages / batch)));
}

// The proxy task's network shape these options describe.
inline ClassifierShape classifier_shape(const ScorerOptions& o) {
  return {o.in_channels, o.input_size, o.classes, o.skip_strides};
}

class AccuracyScorer {
 public:
  virtual ~AccuracyScorer() = default;
  virtual std::string name() const = 0;
  // `spec` is the block-level candidate (what an external trainer receives as YAML); `net` is its
  // expansion at the model's own input size. Deterministic for a given seed.
  virtual AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const = 0;
  // True when score() is a closed form (microseconds, no model is built or run): a search then
  // evaluates candidates in its own process, where the latency oracle's plan cache lasts,
  // rather than in forked workers that would each start it over.
  virtual bool closed_form() const { return false; }
};

// A scorer by name: "params", "macs", "entropy" (of the proxy task's network, classifier_network()
// at the options' shape: what is trained, not the deployed network), and where built "naswot", "synflow",
// "grad_norm", "snip", "train", and "cmd" (needs options.command). InputError listing the
// available names when `name` is unknown or unavailable in this build.
std::unique_ptr<AccuracyScorer> make_scorer(const std::string& name, const ScorerOptions& options);
// What make_scorer() would throw for `name` (unknown, unavailable, TorchScorerNeeded), without
// making the scorer: commands check it before they start anything (a run directory, MPI).
void check_scorer(const std::string& name);
std::vector<std::string> scorer_names();  // available in this build, sorted
// The scorer used when none is named: the one that ranked short-trained accuracy best in
// docs/benchmarks.md ("Accuracy proxies"). Measured: no zero-shot proxy beat #params there, so
// it is "params" (available in every build).
std::string default_proxy();

// The scorers that need libtorch ("grad_norm", "naswot", "snip", "supernet", "synflow", "train"), sorted.
const std::vector<std::string>& torch_scorer_names();

// Thrown by make_scorer() for a libtorch scorer in a process that has none linked but knows a
// companion executable that has (see delegate_torch_scorers): the caller re-runs the whole
// command there. Thrown before the command has written anything.
class TorchScorerNeeded : public std::runtime_error {
 public:
  explicit TorchScorerNeeded(const std::string& scorer)
      : std::runtime_error("accuracy scorer '" + scorer + "' runs in nesim-torch") {}
};

// `nesim` itself links no libtorch, so that every call starts in milliseconds; `nesim-torch`
// does. With `available`, the libtorch scorers are listed by scorer_names() and make_scorer()
// throws TorchScorerNeeded for them; without, make_scorer() names the build option instead.
void delegate_torch_scorers(bool available);

// Registration, for scorers that live in optional translation units (the libtorch ones).
using ScorerFactory = std::function<std::unique_ptr<AccuracyScorer>(const ScorerOptions&)>;
bool register_scorer(const std::string& name, ScorerFactory factory);

// The built-in data-free proxy, after MAE-DET's network entropy (Sun et al., ICML 2022): the sum
// over conv and FC layers of log(fan-in) = log(C_in/groups * K_h * K_w), plus log(C * H * W) of
// each final feature map (the input of a global pool, and every spatial network output). It is
// the log of the output variance tracked by the expressivity argument for a randomly initialised
// ReLU network: depth, width and resolution all raise it. A fused-IBN conv (K x K over C) scores
// the same as the expand 1x1 (C) plus depthwise K x K it replaces, so fusion is neither rewarded
// nor penalised; narrower layers and smaller inputs lower it.
double entropy_score(const Network& net);

}  // namespace nesim::nas
