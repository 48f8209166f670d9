#pragma once
// A NAS search space: a base model (models/*.yaml) plus a list of decisions, each a short list of
// choices (block type, kernel, expansion, repeat and channels per stage, a global width multiplier,
// input and head resolution). A candidate (Arch) is one choice index per decision; to_model_spec()
// turns it into a ModelSpec that expands, compiles and can be written with to_yaml().
// The file format is in docs/search.md; example: nas/spaces/detector.yaml.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

enum class DecisionKind { Width, Input, Output, Type, Kernel, Expand, Repeat, Out };

// One gene: what it changes and its choices. Numeric choices are in `values`; for Type,
// values[i] indexes `labels` ("ibn", "fused_ibn").
struct Decision {
  DecisionKind kind;
  std::string name;              // "width", "input", "output", "s2.type", "s2.out", ...
  int stage = -1;                // index into base.stages for the per-stage kinds
  std::vector<double> values;
  std::vector<std::string> labels;  // printable form of each choice
};

// A constraint on one objective; unset fields are not constrained.
struct Constraints {
  std::optional<double> latency_ms_max;
  std::optional<double> memory_bytes_max;
  std::optional<double> accuracy_min;   // an absolute score under the run's scorer
  bool accuracy_at_least_baseline = false;  // ">= baseline": no worse than the base model
};

struct SearchSpace {
  std::string name;
  std::string path;              // the space file
  std::string base_path;         // the base model file, resolved against the space file
  ModelSpec base;                // as loaded: the baseline of every comparison
  std::string channels = "curated";  // curated | fine
  int64_t channel_step = 1;      // fine mode
  int64_t channel_divisor = 8;   // what candidates round channels to (PF in curated mode)
  std::string output_block;      // the resize block that the "output" decision sizes
  std::vector<Decision> decisions;
  std::vector<std::string> objectives = {"latency", "memory"};  // latency | memory | accuracy
  Constraints constraints;

  // Number of distinct architectures (saturates at 1e18).
  double cardinality() const;
};

// Overrides applied to a space file when it is loaded (the CLI's --channels).
struct SpaceOverrides {
  std::string channels;  // "" = as the file says; else curated | fine
};

// Parses and resolves a space file against an engine: curated channel grids are multiples of
// the engine's PF (systolic: columns). InputError naming the file, line and key on bad files.
// Example: SearchSpace s = load_space("nas/spaces/detector.yaml", read_hw("hwconfigs/ne-pf16.yaml"));
SearchSpace load_space(const std::string& path, const HwConfig& hw, const SpaceOverrides& overrides = {});
// The same from the file's text; `path` names it in messages and resolves its base model.
SearchSpace parse_space(const std::string& text, const std::string& path, const HwConfig& hw,
                        const SpaceOverrides& overrides = {});

struct Arch {
  std::vector<int> genes;  // one choice index per decision, in SearchSpace::decisions order
  bool operator==(const Arch&) const = default;
  bool operator<(const Arch& o) const { return genes < o.genes; }
};

Arch random_arch(const SearchSpace& s, std::mt19937_64& rng);  // uniform per gene
Arch base_arch(const SearchSpace& s);  // the base model's own choices (closest grid point)
// Changes `genes` distinct genes to a different choice each (genes with one choice are skipped).
Arch mutate(const SearchSpace& s, const Arch& a, std::mt19937_64& rng, int genes = 1);
// Uniform crossover: each gene from a or b with probability 1/2.
Arch crossover(const Arch& a, const Arch& b, std::mt19937_64& rng);
// InputError unless `a` has one in-range gene per decision.
void check_arch(const SearchSpace& s, const Arch& a);

// The candidate as a block-level model; expand() accepts it (every decision keeps the model valid).
ModelSpec to_model_spec(const SearchSpace& s, const Arch& a);
// One line, e.g. "w=0.75 in=256 s2:fused_ibn,k3,e4,x2,c32 s3:ibn,c48".
std::string describe(const SearchSpace& s, const Arch& a);
// "3.0.1.2": the genes joined by '.', the key of caches and journals.
std::string arch_key(const Arch& a);
Arch parse_arch_key(const std::string& key);

// Uniform integer in [0, n) from the 64-bit generator, identical on every platform.
inline int rand_below(std::mt19937_64& rng, int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); }

}  // namespace nesim::nas
