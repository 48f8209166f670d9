#pragma once
// Training data for the latency regressor: compiled kernels with their simulated cycles.
// Kernels are taken from whole networks (zoo models at sampled widths and input sizes) so that
// each one is simulated in the context that decides its cost: where its input lives, what the
// previous kernel left in SRAM, the barrier before it.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph/network.h"
#include "sim/hw/hw_config.h"

namespace nesim::nas {

struct KernelRow {
  std::string model, hw, kernel, kind;
  std::vector<float> features;     // kernel_features(), feature_names() order
  double pipeline_cycles = 0;
  int64_t cycles = 0;              // simulated: the kernel's span on the engine
};

// Compiles and simulates `net` on `hw`; one row per kernel.
std::vector<KernelRow> kernel_rows(const Network& net, const HwConfig& hw);

struct SampleOptions {
  std::vector<std::string> model_files;  // block-format YAML (the zoo by default)
  std::vector<HwConfig> hws;             // every hardware point to sample from
  int samples = 200;                     // networks simulated
  uint64_t seed = 1;
};
// Deterministic: the same options give the same rows. Progress goes to stderr.
std::vector<KernelRow> sample_rows(const SampleOptions& opt);

// CSV with a schema-version line; read_rows checks the header and every cell (InputError
// naming the file and line).
void write_rows(const std::string& path, const std::vector<KernelRow>& rows);
std::vector<KernelRow> read_rows(const std::string& path);

}  // namespace nesim::nas
