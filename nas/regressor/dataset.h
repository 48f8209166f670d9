#pragma once
// Training data for the latency regressor: compiled kernels with their simulated cycles.
// Kernels are taken from whole networks (zoo models at sampled widths and input sizes) so that
// each one is simulated in the context that decides its cost: where its input lives, what the
// previous kernel left in SRAM, the barrier before it.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sim/graph/network.h"
#include "sim/hw/hw_config.h"
#include "sim/exec/executor.h"
#include "sim/util/progress.h"

namespace nesim::nas {

struct KernelRow {
  std::string model, hw, kernel, kind;
  std::vector<float> features;     // kernel_features(), feature_names() order
  double pipeline_cycles = 0;
  int64_t cycles = 0;              // simulated: the kernel's span on the engine
};

// Compiles and simulates `net` on `hw`; one row per kernel.
std::vector<KernelRow> kernel_rows(const Network& net, const HwConfig& hw);

// One-layer networks (a conv with BN and ReLU, a depthwise conv, an FC, a max pool) from the
// real-model shape prior in `dir` (conv.csv, dwconv.csv, fc.csv, pooling.csv; see its README).
// InputError naming the file and line on a malformed row.
std::vector<Network> layer_shape_networks(const std::string& dir);

struct SampleOptions {
  std::vector<std::string> model_files;  // block-format YAML (the zoo by default)
  std::vector<HwConfig> hws;             // every hardware point to sample from
  int samples = 200;                     // networks simulated
  uint64_t seed = 1;
  std::vector<Network> single_layers;    // layer_shape_networks(); drawn from after the networks
  int layer_samples = 0;                 // single-layer networks simulated
  ParallelMap parallel;                  // simulates samples (sim/exec: workers or MPI ranks); null = here
  ProgressMode progress = ProgressMode::Quiet;  // networks simulated, on stderr
};
// One network of the sample space, by index into SampleOptions: a zoo model (model_files) at a
// width multiplier and input size from fixed ladders, or a prior layer (single_layers), on hws[hw].
struct Sample {
  int model = -1, width = 0, size = 0;
  int layer = -1;  // >= 0: a single-layer network
  int hw = 0;
};
// opt.samples zoo variants, then opt.layer_samples prior layers, uniformly; seeded.
std::vector<Sample> draw_samples(const SampleOptions& opt);
// The samples next to `s`: the next width and input size up and down (or the prior's next layer
// up and down), and the same network on a random other hardware point.
std::vector<Sample> neighbours(const SampleOptions& opt, const Sample& s, std::mt19937_64& rng);
// Compiles and simulates each sample; sample_of_row (if given) gets each row's sample index.
// Samples that do not compile or map are skipped. Progress goes to stderr as opt.progress says.
std::vector<KernelRow> simulate_samples(const SampleOptions& opt, const std::vector<Sample>& samples,
                                        std::vector<size_t>* sample_of_row = nullptr);
// simulate_samples(draw_samples(opt)). Deterministic: the same options give the same rows.
std::vector<KernelRow> sample_rows(const SampleOptions& opt);

// The header line of the dataset CSV (the first line), without its newline; it names the
// features, so a dataset from a nesim with other features is refused.
std::string dataset_csv_header();
// The header, then one row per kernel; read_rows checks the header and every cell (InputError
// naming the file and line) and skips the legacy "# nesim-kernels schema_version=1" first line.
void write_rows(const std::string& path, const std::vector<KernelRow>& rows);
std::vector<KernelRow> read_rows(const std::string& path);

}  // namespace nesim::nas
