#include "nas/regressor/dataset.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "nas/regressor/features.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

namespace nesim::nas {

namespace {
constexpr const char* kSchemaLine = "# nesim-kernels schema_version=1";
constexpr int kFixedColumns = 6;  // model, hw, kernel, kind, pipeline_cycles, cycles
}  // namespace

std::vector<KernelRow> kernel_rows(const Network& net, const HwConfig& hw) {
  Program p = compile(net, hw);
  SimResult r = Engine::instance().run(p);
  std::map<std::string, int64_t> span;
  for (const LayerRecord& l : r.layers) span[l.kernel] += l.total_cycles;
  std::vector<KernelRow> rows;
  for (const Kernel& k : p.kernels) {
    if (k.tiles.empty()) continue;  // takes no time (a concat written in place)
    KernelFeatures f = kernel_features(k, hw);
    rows.push_back({net.name, hw.name, k.name, k.kind, std::move(f.values), f.pipeline_cycles, span[k.name]});
  }
  return rows;
}

std::vector<KernelRow> sample_rows(const SampleOptions& opt) {
  std::vector<ModelSpec> specs;
  for (const std::string& f : opt.model_files) specs.push_back(load_model_spec(f));
  if (specs.empty() || opt.hws.empty()) throw input_error("dataset: need at least one model and one hardware config");
  std::mt19937_64 rng(opt.seed);
  const double widths[] = {0.35, 0.5, 0.75, 1.0, 1.25};
  const int64_t sizes[] = {96, 128, 160, 192, 224, 256};
  std::vector<KernelRow> rows;
  for (int i = 0; i < opt.samples; ++i) {
    ModelSpec spec = specs[rng() % specs.size()];
    const HwConfig& hw = opt.hws[rng() % opt.hws.size()];
    double width = widths[rng() % std::size(widths)];
    int64_t size = sizes[rng() % std::size(sizes)];
    // Keep each model near its own resolution: detectors and segmenters scale from theirs.
    spec.input.h = spec.input.w = spec.input.h * size / 224;
    spec.width_multiplier *= width;
    spec.name = fmt::format("{}_w{}_r{}", spec.name, width, spec.input.h);
    try {
      for (KernelRow& r : kernel_rows(expand(spec, spec.name), hw)) rows.push_back(std::move(r));
    } catch (const InputError&) {
      // A variant whose shapes do not work out (too small an input for its strides): skip it.
    }
    if ((i + 1) % 50 == 0 || i + 1 == opt.samples)
      fmt::print(stderr, "\rdataset: {}/{} networks, {} kernels", i + 1, opt.samples, rows.size());
  }
  fmt::print(stderr, "\n");
  return rows;
}

void write_rows(const std::string& path, const std::vector<KernelRow>& rows) {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw input_error("cannot write '{}'", path);
  fmt::print(f, "{}\nmodel,hw,kernel,kind,pipeline_cycles,cycles", kSchemaLine);
  for (const std::string& n : feature_names()) fmt::print(f, ",{}", n);
  fmt::print(f, "\n");
  for (const KernelRow& r : rows) {
    fmt::print(f, "{},{},{},{},{},{}", r.model, r.hw, r.kernel, r.kind, r.pipeline_cycles, r.cycles);
    for (float v : r.features) fmt::print(f, ",{}", v);
    fmt::print(f, "\n");
  }
  bool ok = std::fclose(f) == 0;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw input_error("cannot write '{}'", path);
  }
}

std::vector<KernelRow> read_rows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("{}: cannot open the dataset file", path);
  std::string line;
  if (!std::getline(in, line) || line != kSchemaLine)
    throw input_error("{}:1: expected '{}', got '{}'", path, kSchemaLine, line);
  std::string header = "model,hw,kernel,kind,pipeline_cycles,cycles";
  for (const std::string& n : feature_names()) header += "," + n;
  if (!std::getline(in, line) || line != header)
    throw input_error("{}:2: the header does not match this nesim's features (regenerate with `nesim dataset`)", path);
  std::vector<KernelRow> rows;
  for (int lineno = 3; std::getline(in, line); ++lineno) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    size_t want = kFixedColumns + feature_names().size();
    if (cells.size() != want)
      throw input_error("{}:{}: expected {} columns, got {}", path, lineno, want, cells.size());
    KernelRow r{cells[0], cells[1], cells[2], cells[3], {}, 0, 0};
    try {
      size_t used = 0;
      r.pipeline_cycles = std::stod(cells[4], &used);
      r.cycles = std::stoll(cells[5]);
      for (size_t i = kFixedColumns; i < cells.size(); ++i) r.features.push_back(std::stof(cells[i]));
    } catch (const std::exception&) {
      throw input_error("{}:{}: expected numbers in columns 5 onwards", path, lineno);
    }
    if (r.cycles <= 0 || r.pipeline_cycles <= 0)
      throw input_error("{}:{}: expected positive cycles, got {}", path, lineno, r.cycles);
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw input_error("{}: no rows", path);
  return rows;
}

}  // namespace nesim::nas
