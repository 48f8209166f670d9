#pragma once
// The trained reference (docs/accuracy.md, "The trained reference"): architectures of a search
// space, spread over its size range, each trained on the proxy task with several seeds and tested
// on the whole test set. It is the ground truth every accuracy signal is scored against (the
// signal table, the supernet oracle's validation). Plain C++: the training itself is the "train"
// scorer's, run by `nesim reference`.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/accuracy/classifier_net.h"
#include "nas/accuracy/rank_stats.h"
#include "nas/search/space.h"

namespace nesim::nas {

struct ReferenceArch {
  std::string key;   // arch_key()
  std::string desc;  // describe()
  int64_t params = 0, macs = 0;  // of the trained network (classifier_network at the proxy task)
};

// `count` distinct architectures of `space` spread over its size range: `pool` seeded random
// candidates (distinct keys) sorted by the trained network's parameters (ties by key), taken at
// `count` evenly spaced ranks, smallest and largest included. InputError when the space holds
// fewer than `count` distinct candidates among the pool.
std::vector<ReferenceArch> spread_archs(const SearchSpace& space, const std::string& where, const ClassifierShape& shape,
                                        int count, int pool, uint64_t seed);

// One finished training run: a line of the builder's journal (runs.jsonl).
struct ReferenceRun {
  std::string key;
  uint64_t seed = 0;
  bool ok = false;
  double accuracy = 0;  // top-1 on the test images, in [0, 1], when ok
  double seconds = 0;   // wall time of the run
  std::string error;    // why it failed, when !ok
  std::string trainer;  // who trained it: "nesim" (libtorch here) or what scripts/train_reference.py wrote
};
std::string to_journal_line(const ReferenceRun& r);
// InputError "<where>: ..." on anything but a complete run line.
ReferenceRun parse_reference_run(const std::string& line, const std::string& where);

// How much of the reference's spread is the architectures' and how much is seed noise: a one-way
// random-effects analysis of variance over the archs with at least two successful seeds (Shrout &
// Fleiss, 1979). Single-seed reliability icc1 is what the seed-to-seed test-retest estimates;
// icc_mean that of the mean over the seeds the archs have, against which signals are scored, so a
// perfect signal's correlation with it is at most sqrt(icc_mean) (the noise ceiling). Estimates
// from one sample of archs, with the uncertainty that carries; NaN where they are undefined.
struct SeedNoise {
  size_t archs = 0;
  double seeds_per_arch = 0;     // k0, the mean group size corrected for imbalance
  double arch_sd = 0;            // sd of the archs' true (noise-free) accuracies
  double seed_sd = 0;            // pooled sd between seeds of one arch
  double icc1 = 0, icc_mean = 0;
  double noise_ceiling = 0;      // sqrt(icc_mean)
  // Seeds per arch whose mean would reach reliability 0.8 (Spearman-Brown); NaN when icc1 <= 0.
  double seeds_for_0_8 = 0;
};

// The runs of a reference, by (key, seed).
struct ReferenceTable {
  std::vector<ReferenceArch> archs;
  std::vector<uint64_t> seeds;
  std::map<std::pair<std::string, uint64_t>, ReferenceRun> runs;

  const ReferenceRun* run(const std::string& key, uint64_t seed) const;
  // Mean accuracy over the seeds that succeeded; NaN when none did.
  double mean_accuracy(const std::string& key) const;
  // Test-retest: agreement of the first two seeds' accuracies over the archs that have both.
  RankAgreement test_retest(uint64_t bootstrap_seed) const;
  // Split-half test-retest of the reference's means: the mean over the first half of the seeds
  // against the mean over the second half (seeds 1, 2 against 3, 4 of four), over the archs where
  // all of them succeeded. n = 0 with fewer than four seeds.
  RankAgreement test_retest_of_means(uint64_t bootstrap_seed) const;
  SeedNoise seed_noise() const;
  // reference.csv: header, then one row per arch (docs/outputs.md).
  std::string csv() const;
  // The per-arch part of reference.json: [{index, key, arch, params, macs, accuracy: {seed: acc},
  // mean, sd, seconds}].
  nlohmann::ordered_json archs_json() const;
};

// A reference folder's reference.json read back (what `nesim proxy-eval --reference` scores
// signals against): one entry per arch with at least one successful run, mean accuracy over seeds.
// InputError naming the file and key.
struct ReferenceAccuracy {
  std::string key, desc;
  int64_t params = 0, macs = 0;
  double accuracy = 0;
};
// noise_ceiling is its seed_noise.noise_ceiling, the highest rank agreement a signal can show
// against its means: NaN where the file predates the figure or its runs cannot tell.
struct ReferenceFile {
  std::vector<ReferenceAccuracy> archs;
  double noise_ceiling = 0;
};
ReferenceFile read_reference(const std::string& path);

// {archs, seeds_per_arch, arch_sd, seed_sd, icc1, icc_mean, noise_ceiling, seeds_for_0_8}, NaN as null.
nlohmann::ordered_json seed_noise_json(const SeedNoise& n);

}  // namespace nesim::nas
