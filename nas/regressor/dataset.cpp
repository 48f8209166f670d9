#include "nas/regressor/dataset.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "nas/regressor/features.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"
#include "sim/util/text.h"

namespace nesim::nas {

namespace {

constexpr int kFixedColumns = 6;  // model, hw, kernel, kind, pipeline_cycles, cycles

// One row as a CSV line (no newline): numbers in fmt's shortest form, which reads back exactly.
std::string row_csv(const KernelRow& r) {
  std::string line = fmt::format("{},{},{},{},{},{}", r.model, r.hw, r.kernel, r.kind, r.pipeline_cycles, r.cycles);
  for (float v : r.features) fmt::format_to(std::back_inserter(line), ",{}", v);
  return line;
}

// The inverse of row_csv(); `where` ("file:line") prefixes the InputError of a malformed line.
KernelRow parse_row(const std::string& line, const std::string& where) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
  size_t want = kFixedColumns + feature_names().size();
  if (cells.size() != want) throw input_error("{}: expected {} columns, got {}", where, want, cells.size());
  KernelRow r{cells[0], cells[1], cells[2], cells[3], {}, 0, 0};
  try {
    r.pipeline_cycles = std::stod(cells[4]);
    r.cycles = std::stoll(cells[5]);
    for (size_t i = kFixedColumns; i < cells.size(); ++i) r.features.push_back(std::stof(cells[i]));
  } catch (const std::exception&) {
    throw input_error("{}: expected numbers in columns 5 onwards", where);
  }
  if (r.cycles <= 0 || r.pipeline_cycles <= 0)
    throw input_error("{}: kernel {} of {} on {}: expected positive cycles, got {} (pipeline estimate {})", where, r.kernel,
                      r.model, r.hw, r.cycles, r.pipeline_cycles);
  return r;
}

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

namespace {

// Rows of one shape-prior CSV as integers, the header checked against `columns`.
std::vector<std::vector<int64_t>> read_shape_csv(const std::string& path, const std::string& columns) {
  std::ifstream in(path);
  if (!in) throw input_error("{}: cannot open the layer-shape file", path);
  std::string line;
  if (!std::getline(in, line) || line != columns)
    throw input_error("{}:1: expected the header '{}', got '{}'", path, columns, line);
  std::vector<std::vector<int64_t>> rows;
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    std::vector<int64_t> row;
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');  // the model it came from
    for (; std::getline(ss, cell, ',');) {
      std::optional<int64_t> v = text::parse_int(cell);
      if (!v || *v < 1) throw input_error("{}:{}: expected positive integers after the model name, got '{}'", path, lineno, cell);
      row.push_back(*v);
    }
    if (row.size() + 1 != static_cast<size_t>(std::count(columns.begin(), columns.end(), ',') + 1))
      throw input_error("{}:{}: expected the columns {}", path, lineno, columns);
    rows.push_back(std::move(row));
  }
  return rows;
}

Network one_layer(const std::string& name, Shape in, Layer layer) {
  Network net;
  net.name = name;
  Layer input;
  input.name = "input";
  input.op = Op::Input;
  input.out = in;
  net.add(input);
  layer.name = "layer";
  layer.inputs = {0};
  net.add(layer);
  net.infer_shapes(name);
  return net;
}

}  // namespace

std::vector<Network> layer_shape_networks(const std::string& dir) {
  std::vector<Network> nets;
  const std::string conv_columns = "model,input_h,input_w,cin,cout,ks,stride,groups";
  for (const char* file : {"conv", "dwconv"}) {
    for (const auto& r : read_shape_csv(dir + "/" + file + ".csv", conv_columns)) {
      Layer l;
      l.op = Op::Conv2d;
      l.kernel_h = l.kernel_w = static_cast<int>(r[4]);
      l.stride_h = l.stride_w = static_cast<int>(r[5]);
      l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = static_cast<int>(r[4] / 2);
      l.groups = static_cast<int>(r[6]);
      l.out_channels = r[3];
      l.batch_norm = true;
      l.act = Act::Relu;
      nets.push_back(one_layer(fmt::format("{}_{}x{}x{}_k{}s{}g{}_o{}", file, r[2], r[0], r[1], r[4], r[5], r[6], r[3]),
                               {r[2], r[0], r[1]}, l));
    }
  }
  for (const auto& r : read_shape_csv(dir + "/fc.csv", "model,cin,cout")) {
    Layer l;
    l.op = Op::FullyConnected;
    l.out_channels = r[1];
    l.bias = true;
    nets.push_back(one_layer(fmt::format("fc_{}_o{}", r[0], r[1]), {r[0], 1, 1}, l));
  }
  for (const auto& r : read_shape_csv(dir + "/pooling.csv", "model,input_h,input_w,cin,cout,ks,stride")) {
    Layer l;
    l.op = Op::MaxPool;
    l.kernel_h = l.kernel_w = static_cast<int>(r[4]);
    l.stride_h = l.stride_w = static_cast<int>(r[5]);
    nets.push_back(one_layer(fmt::format("pool_{}x{}x{}_k{}s{}", r[2], r[0], r[1], r[4], r[5]), {r[2], r[0], r[1]}, l));
  }
  return nets;
}

namespace {
constexpr double kWidths[] = {0.35, 0.5, 0.75, 1.0, 1.25};
constexpr int64_t kSizes[] = {96, 128, 160, 192, 224, 256};
}  // namespace

std::vector<Sample> draw_samples(const SampleOptions& opt) {
  if (opt.model_files.empty() || opt.hws.empty()) throw input_error("dataset: need at least one model and one hardware config");
  if (opt.layer_samples > 0 && opt.single_layers.empty())
    throw input_error("dataset: single-layer samples asked for, but no layer shapes given");
  std::mt19937_64 rng(opt.seed);
  auto pick = [&](size_t n) { return static_cast<int>(rng() % n); };
  std::vector<Sample> out;
  for (int i = 0; i < opt.samples; ++i) {
    Sample s;
    s.model = pick(opt.model_files.size());
    s.hw = pick(opt.hws.size());
    s.width = pick(std::size(kWidths));
    s.size = pick(std::size(kSizes));
    out.push_back(s);
  }
  for (int i = 0; i < opt.layer_samples; ++i) {
    Sample s;
    s.layer = pick(opt.single_layers.size());
    s.hw = pick(opt.hws.size());
    out.push_back(s);
  }
  return out;
}

std::vector<Sample> neighbours(const SampleOptions& opt, const Sample& s, std::mt19937_64& rng) {
  std::vector<Sample> out;
  Sample other_hw = s;
  other_hw.hw = static_cast<int>(rng() % opt.hws.size());
  if (other_hw.hw != s.hw) out.push_back(other_hw);
  auto step = [&](int Sample::*field, int size) {
    for (int d : {-1, 1}) {
      Sample n = s;
      n.*field += d;
      if (n.*field >= 0 && n.*field < size) out.push_back(n);
    }
  };
  if (s.layer >= 0) {
    step(&Sample::layer, static_cast<int>(opt.single_layers.size()));  // the prior lists a network's layers in order
  } else {
    step(&Sample::width, static_cast<int>(std::size(kWidths)));
    step(&Sample::size, static_cast<int>(std::size(kSizes)));
  }
  return out;
}

std::vector<KernelRow> simulate_samples(const SampleOptions& opt, const std::vector<Sample>& samples,
                                        std::vector<size_t>* sample_of_row) {
  std::vector<ModelSpec> specs;
  for (const std::string& f : opt.model_files) specs.push_back(load_model_spec(f));
  auto rows_of = [&](size_t i) -> std::vector<KernelRow> {
    const Sample& s = samples[i];
    const HwConfig& hw = opt.hws.at(static_cast<size_t>(s.hw));
    try {
      if (s.layer >= 0) return kernel_rows(opt.single_layers.at(static_cast<size_t>(s.layer)), hw);
      ModelSpec spec = specs.at(static_cast<size_t>(s.model));
      double width = kWidths[s.width];
      // Keep each model near its own resolution: detectors and segmenters scale from theirs.
      spec.input.h = spec.input.w = spec.input.h * kSizes[s.size] / 224;
      spec.width_multiplier *= width;
      spec.name = fmt::format("{}_w{}_r{}", spec.name, width, spec.input.h);
      return kernel_rows(expand(spec, spec.name), hw);
    } catch (const InputError&) {
      // A variant whose shapes do not work out (too small an input for its strides), or a layer
      // this engine cannot map: not a training row.
      return {};
    }
  };
  Progress reporter("dataset", samples.size(), "networks simulated", opt.progress);
  auto progress = [&](size_t done) { reporter.update(done); };
  std::vector<std::vector<KernelRow>> per_sample(samples.size());
  if (opt.parallel && (samples.size() > 1 || opt.parallel->distributed())) {
    // Rows travel from the workers as the CSV lines write_rows() writes, which read back exactly
    // (shortest round-trip numbers), so the file does not depend on the number of workers.
    std::vector<std::string> texts = opt.parallel->map(
        samples.size(),
        [&](size_t i) {
          std::string text;
          for (const KernelRow& r : rows_of(i)) text += row_csv(r) + "\n";
          return text;
        },
        [&](const exec::JobDone& d) { progress(d.done); });
    for (size_t i = 0; i < texts.size(); ++i) {
      std::stringstream in(texts[i]);
      for (std::string line; std::getline(in, line);)
        per_sample[i].push_back(parse_row(line, fmt::format("worker result for sample {}", i)));
    }
  } else {
    for (size_t i = 0; i < samples.size(); ++i) {
      per_sample[i] = rows_of(i);
      progress(i + 1);
    }
  }
  std::vector<KernelRow> rows;
  for (size_t i = 0; i < per_sample.size(); ++i)
    for (KernelRow& r : per_sample[i]) {
      rows.push_back(std::move(r));
      if (sample_of_row) sample_of_row->push_back(i);
    }
  reporter.finish(fmt::format("dataset: {} networks simulated, {} kernels", samples.size(), rows.size()));
  return rows;
}

std::vector<KernelRow> sample_rows(const SampleOptions& opt) { return simulate_samples(opt, draw_samples(opt)); }

std::string dataset_csv_header() {
  std::string header = "model,hw,kernel,kind,pipeline_cycles,cycles";
  for (const std::string& n : feature_names()) header += "," + n;
  return header;
}

void write_rows(const std::string& path, const std::vector<KernelRow>& rows) {
  std::string text = dataset_csv_header() + "\n";
  for (const KernelRow& r : rows) text += row_csv(r) + "\n";
  OutputFiles out;  // all or nothing: a failed write leaves no partial file
  out.add(path, text);
  out.commit();
}

std::vector<KernelRow> read_rows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("{}: cannot open the dataset file", path);
  std::string line;
  int lineno = 1;
  bool got = static_cast<bool>(std::getline(in, line));
  if (got && is_legacy_schema_line(line, "kernels")) {  // written by an older nesim: same columns
    got = static_cast<bool>(std::getline(in, line));
    ++lineno;
  }
  if (!got) throw input_error("{}: empty; expected the kernel dataset header '{}'", path, dataset_csv_header());
  if (line != dataset_csv_header()) {
    if (line.rfind("model,hw,kernel,kind,", 0) == 0)
      throw input_error("{}:{}: the header does not match this nesim's features (regenerate with `nesim dataset`)",
                        path, lineno);
    throw input_error("{}:{}: expected the kernel dataset header 'model,hw,kernel,kind,pipeline_cycles,cycles,...' "
                      "(a `nesim dataset` file), got '{}'",
                      path, lineno, line.substr(0, 60));
  }
  std::vector<KernelRow> rows;
  for (++lineno; std::getline(in, line); ++lineno) rows.push_back(parse_row(line, fmt::format("{}:{}", path, lineno)));
  if (rows.empty()) throw input_error("{}: no rows", path);
  return rows;
}

}  // namespace nesim::nas
