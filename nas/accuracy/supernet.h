#pragma once
// The single-shot accuracy oracle (docs/accuracy.md, "The supernet oracle"): one weight-sharing
// supernet per search space, trained once on the proxy task with the sandwich rule (the largest,
// the smallest and two random candidates per step, as once-for-all and BigNAS do); a candidate is
// then scored from inherited weights with re-calibrated batch norm, in a fraction of a second.
// Plain C++ surface; the libtorch side (nas/torch/supernet.cpp) registers itself.
//
// Weight sharing is by layer: every conv, BN, FC and SE weight of a candidate's proxy-task network
// is a slice of one tensor per layer name, sized for the largest shape any candidate gives that
// layer: leading channels for out/in, the centre of the kernel for K x K (OFA's elastic kernel,
// without its transform matrices). Depth is the first blocks of a stage, width the first channels.
#include <cstdint>
#include <functional>
#include <string>

#include "nas/accuracy/scorer.h"
#include "nas/search/space.h"

namespace nesim::nas {

struct SupernetOptions {
  ScorerOptions task;   // the proxy task and the trainer's batch, learning rate, threads, data
  int steps = 1000;     // sandwich steps (each trains 4 candidates on one minibatch)
  int pool = 2000;      // random candidates scanned for every layer's largest shape
  uint64_t seed = 1;
  // In-place distillation (BigNAS): the smallest and the random candidates learn the largest's
  // predicted distribution (its softmax, not back-propagated into) instead of the labels; the
  // largest still learns the labels.
  bool distill = false;
  // After training (and in a snapshot): the test images the probe candidates disagree on, over the
  // first selection_images of the test set, written into the weights file; 0 = no selection.
  int selection_images = 10000;
  // Called after each step with the steps done and that step's mean loss (the CLI's progress).
  std::function<void(int steps_done, double loss)> on_step;

  // Resumable training (`nesim supernet --checkpoint DIR`). Every `checkpoint_every` steps and
  // after the last, on_checkpoint() gets the whole training state (weights, the optimiser's
  // momentum, the sampler's random state, the step) for the caller to keep; training continued
  // from those bytes (`resume_state`) gives the same weights, byte for byte, as training that was
  // never stopped (same libtorch threads). A state written with other settings (the trainer's
  // own, plus `identity`, the caller's name for its inputs, such as the space file's hash) is an
  // input error naming `resume_where`.
  std::string identity;
  int checkpoint_every = 0;  // 0: no checkpoints
  std::function<void(const std::string& state)> on_checkpoint;
  std::string resume_state, resume_where;
  std::function<void(int steps_done)> on_resume;  // called once when training continues from a state
  // Only read resume_state's weights back, as they stand at its step, without training on (the
  // report's steps_done says where): a supernet still training can be scored along the way.
  bool snapshot = false;
};

struct SupernetReport {
  std::string weights;  // the serialized supernet (what --supernet reads back)
  size_t tensors = 0;   // shared weight tensors
  int64_t parameters = 0;
  double seconds = 0;
  double final_loss = 0;
  int steps_done = 0;  // training steps behind the weights
  int64_t contested_images = 0;  // test images the probes disagree on (the oracle scores on these)
};

// Trains the supernet of `space`. TorchScorerNeeded in a process without libtorch that can
// delegate (as make_scorer does); InputError where libtorch is not built in.
SupernetReport train_supernet(const SearchSpace& space, const std::string& where, const SupernetOptions& options);

// Registration by nas/torch/supernet.cpp.
using SupernetTrainer = std::function<SupernetReport(const SearchSpace&, const std::string&, const SupernetOptions&)>;
bool register_supernet_trainer(SupernetTrainer trainer);

}  // namespace nesim::nas
