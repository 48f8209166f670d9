// Which accuracy signal a search uses when its user names none (issue 10). No cheap signal ranks
// trained accuracy well enough to qualify (docs/accuracy.md, the signal table), so the default is
// the single-shot oracle: the space's trained supernet. Its weights are a build product (64 MB,
// hours to train), so where none has been built the search says so and falls back to the zero-cost
// signal it used before, recorded as what it is in summary.json.
#pragma once

#include <string>

namespace nesim::nas {

struct SignalChoice {
  std::string signal;     // a scorer name (nas/accuracy/scorer.h)
  std::string supernet;   // its weights where signal is "supernet"
  std::string chosen_by;  // one sentence: why this signal (summary.json: accuracy.chosen_by)
  bool fallback = false;  // the default wanted the oracle and found no supernet
};

// The oracle's weights for a space, by convention: DIR/<space file stem>.bin
// (`make supernets` trains them there).
std::string default_supernet_path(const std::string& space_path, const std::string& supernet_dir);

// `requested` is --accuracy: "auto" (the default), "supernet" or any scorer name;
// `supernet_flag` is --supernet ("" when not given). "supernet" without a file anywhere is an
// input error naming both places.
SignalChoice choose_accuracy_signal(const std::string& requested, const std::string& supernet_flag,
                                    const std::string& space_path, const std::string& supernet_dir);

// The zero-cost signal a default search falls back to without a supernet.
inline constexpr const char* kFallbackSignal = "entropy";

// Evaluations between training checks when the oracle is the signal and --train-every is not given.
inline constexpr int kOracleTrainEvery = 1000;

}  // namespace nesim::nas
