#include "nas/search/space.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/text.h"

namespace nesim::nas {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"name",        "base",     "channels",   "channel_step",
                                           "width_multiplier", "input_size", "output_size", "stages",
                                           "objectives",  "constraints"};
const std::vector<std::string> kStageKeys = {"type", "kernel", "expand", "repeat", "out"};
const std::vector<std::string> kOutputKeys = {"block", "sizes"};
const std::vector<std::string> kConstraintKeys = {"latency_ms", "memory_bytes", "accuracy"};
const std::vector<std::string> kObjectives = {"latency", "memory", "accuracy"};

// "file:line: key 'k'"
std::string at(const std::string& file, const YAML::Node& n, const std::string& key) {
  const int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
  return line > 0 ? fmt::format("{}:{}: key '{}'", file, line, key) : fmt::format("{}: key '{}'", file, key);
}

void reject_unknown(const std::string& file, const YAML::Node& map, const std::vector<std::string>& known,
                    const std::string& prefix) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw input_error("{}: unknown key (did you mean '{}'?); known keys: {}", at(file, kv.first, prefix + key),
                        nearest_name(key, known), fmt::join(known, ", "));
  }
}

double as_number(const std::string& file, const YAML::Node& n, const std::string& key) {
  try {
    if (n.IsScalar()) return n.as<double>();
  } catch (const YAML::Exception&) {
  }
  throw input_error("{}: expected a number, got '{}'", at(file, n, key), n.IsScalar() ? n.Scalar() : "a list or map");
}

int64_t as_positive_int(const std::string& file, const YAML::Node& n, const std::string& key) {
  const double v = as_number(file, n, key);
  if (v < 1 || v != std::floor(v) || v > 1e9)
    throw input_error("{}: expected a positive integer, got '{}'", at(file, n, key), n.Scalar());
  return static_cast<int64_t>(v);
}

// A non-empty list of positive numbers, sorted and without duplicates.
std::vector<double> number_list(const std::string& file, const YAML::Node& n, const std::string& key,
                                bool integers) {
  if (!n.IsSequence() || n.size() == 0)
    throw input_error("{}: expected a non-empty list of {}", at(file, n, key),
                      integers ? "positive integers" : "positive numbers");
  std::set<double> v;
  for (const YAML::Node& e : n) {
    const double x = integers ? static_cast<double>(as_positive_int(file, e, key)) : as_number(file, e, key);
    if (!(x > 0)) throw input_error("{}: expected positive numbers, got '{}'", at(file, e, key), e.Scalar());
    v.insert(x);
  }
  return {v.begin(), v.end()};
}

std::string num_label(double v) { return v == std::floor(v) ? fmt::format("{}", static_cast<int64_t>(v)) : fmt::format("{}", v); }

Decision numeric(DecisionKind kind, const std::string& name, int stage, std::vector<double> values) {
  Decision d{kind, name, stage, std::move(values), {}};
  for (double v : d.values) d.labels.push_back(num_label(v));
  return d;
}

// Parses "<= 5", ">= baseline", ">= 0.5" (or a bare number, meaning `default_op`).
std::pair<std::string, std::string> parse_bound(const std::string& file, const YAML::Node& n, const std::string& key,
                                                const std::string& expected_op) {
  if (!n.IsScalar()) throw input_error("{}: expected '{} <number>'", at(file, n, key), expected_op);
  std::string s = n.Scalar();
  s.erase(0, s.find_first_not_of(" \t"));
  std::string op = expected_op;
  if (s.rfind("<=", 0) == 0 || s.rfind(">=", 0) == 0) {
    op = s.substr(0, 2);
    s = s.substr(2);
    s.erase(0, s.find_first_not_of(" \t"));
  }
  if (op != expected_op)
    throw input_error("{}: expected '{} <value>', got '{}'", at(file, n, key), expected_op, n.Scalar());
  return {op, s};
}

double bound_number(const std::string& file, const YAML::Node& n, const std::string& key, const std::string& text) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw input_error("{}: expected a positive number after the operator, got '{}'", at(file, n, key), n.Scalar());
}

// Channel choices of a stage: curated = multiples of `pf` in [min, max] thinned to at most 6;
// fine = every multiple of `step` in [min, max]. A list gives the choices directly.
std::vector<double> channel_grid(const std::string& file, const YAML::Node& n, const std::string& key,
                                 const std::string& mode, int64_t pf, int64_t step) {
  if (n.IsSequence()) return number_list(file, n, key, true);
  if (!n.IsMap()) throw input_error("{}: expected {{min: <int>, max: <int>}} or a list of channel counts", at(file, n, key));
  reject_unknown(file, n, {"min", "max"}, key + ".");
  if (!n["min"] || !n["max"]) throw input_error("{}: expected both 'min' and 'max'", at(file, n, key));
  const int64_t lo = as_positive_int(file, n["min"], key + ".min"), hi = as_positive_int(file, n["max"], key + ".max");
  if (lo > hi) throw input_error("{}: min {} is above max {}", at(file, n, key), lo, hi);
  const int64_t unit = mode == "curated" ? pf : step;
  std::vector<double> grid;
  for (int64_t c = (lo + unit - 1) / unit * unit; c <= hi; c += unit) grid.push_back(static_cast<double>(c));
  if (grid.empty())
    throw input_error("{}: no multiple of {} in [{}, {}] ({} channels on this engine): the grid is empty",
                      at(file, n, key), unit, lo, hi, mode);
  if (mode == "curated" && grid.size() > 6) {
    std::vector<double> thin;
    for (size_t i = 0; i < 6; ++i) {
      const double v = grid[static_cast<size_t>(std::lround(static_cast<double>(i) * (grid.size() - 1) / 5.0))];
      if (thin.empty() || thin.back() != v) thin.push_back(v);
    }
    grid = thin;
  }
  return grid;
}

// The blocks of a stage, one per expanded copy: copies after the first get stride 1 and no name
// or explicit input, as expand() treats them.
std::vector<BlockSpec> flatten(const StageSpec& st) {
  std::vector<BlockSpec> out;
  for (const BlockSpec& b : st.blocks)
    for (int i = 0; i < b.repeat; ++i) {
      BlockSpec c = b;
      c.repeat = 1;
      if (i > 0) {
        c.name.clear();
        c.from.clear();
        if (c.stride) c.stride = 1;
      }
      out.push_back(c);
    }
  return out;
}

size_t closest(const std::vector<double>& values, double v) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (std::abs(values[i] - v) < std::abs(values[best] - v)) best = i;
  return best;
}

int64_t stage_copies(const StageSpec& st) {
  int64_t n = 0;
  for (const BlockSpec& b : st.blocks) n += b.repeat;
  return n;
}

}  // namespace

double SearchSpace::cardinality() const {
  double n = 1;
  for (const Decision& d : decisions) n = std::min(1e18, n * static_cast<double>(d.values.size()));
  return n;
}

SearchSpace load_space(const std::string& path, const HwConfig& hw, const SpaceOverrides& overrides) {
  return parse_space(read_input_file(path, "the search space"), path, hw, overrides);
}

namespace {

SearchSpace parse_space_yaml(const std::string& text, const std::string& path, const HwConfig& hw,
                             const SpaceOverrides& overrides);

}  // namespace

SearchSpace parse_space(const std::string& text, const std::string& path, const HwConfig& hw,
                        const SpaceOverrides& overrides) {
  text::require_utf8(text, path);
  // A map or list where the parser converts a plain value (a key, a name, a label) is the file's
  // fault, not an internal error (found by fuzz/fuzz_space.cpp).
  try {
    return parse_space_yaml(text, path, hw, overrides);
  } catch (const YAML::Exception& e) {
    throw input_error("{}:{}:{}: expected a plain value here, not a list or map ({})", path, e.mark.line + 1,
                      e.mark.column + 1, e.msg);
  }
}

namespace {

SearchSpace parse_space_yaml(const std::string& text, const std::string& path, const HwConfig& hw,
                             const SpaceOverrides& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw input_error("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg);
  }
  if (!root.IsMap()) throw input_error("{}: expected a map of search-space keys (name, base, stages, ...)", path);
  reject_unknown(path, root, kTopKeys, "");

  SearchSpace s;
  s.path = path;
  s.name = root["name"] ? root["name"].as<std::string>() : fs::path(path).stem().string();
  if (!root["base"] || !root["base"].IsScalar())
    throw input_error("{}: key 'base': missing (the base model file, relative to the space file)", path);
  s.base_path = (fs::path(path).parent_path() / root["base"].Scalar()).lexically_normal().string();
  std::error_code exists_error;  // a name too long for the file system is just not there
  if (!fs::exists(s.base_path, exists_error))
    throw input_error("{}: no model file '{}' (resolved to '{}')", at(path, root["base"], "base"), root["base"].Scalar(),
                      s.base_path);
  s.base = load_model_spec(s.base_path);

  if (root["channels"]) s.channels = root["channels"].as<std::string>();
  if (!overrides.channels.empty()) s.channels = overrides.channels;
  if (s.channels != "curated" && s.channels != "fine")
    throw input_error("{}: expected curated or fine, got '{}'", at(path, root["channels"], "channels"), s.channels);
  if (root["channel_step"]) s.channel_step = as_positive_int(path, root["channel_step"], "channel_step");
  const int64_t pf = hw.mac_array.kind == ArrayKind::Systolic ? hw.mac_array.cols : hw.mac_array.pf;
  s.channel_divisor = s.channels == "curated" ? pf : s.channel_step;

  if (root["width_multiplier"])
    s.decisions.push_back(numeric(DecisionKind::Width, "width", -1,
                                  number_list(path, root["width_multiplier"], "width_multiplier", false)));
  if (root["input_size"])
    s.decisions.push_back(numeric(DecisionKind::Input, "input", -1, number_list(path, root["input_size"], "input_size", true)));
  if (const YAML::Node o = root["output_size"]) {
    if (!o.IsMap()) throw input_error("{}: expected {{block: <resize block name>, sizes: [...]}}", at(path, o, "output_size"));
    reject_unknown(path, o, kOutputKeys, "output_size.");
    if (!o["block"] || !o["sizes"]) throw input_error("{}: expected both 'block' and 'sizes'", at(path, o, "output_size"));
    s.output_block = o["block"].as<std::string>();
    std::vector<std::string> resizes;
    bool found = false;
    for (const BlockSpec& b : s.base.head)
      if (b.type == "resize") {
        resizes.push_back(b.name);
        found = found || b.name == s.output_block;
      }
    if (!found)
      throw input_error("{}: no resize block named '{}' in the head of {} (resize blocks: {})",
                        at(path, o["block"], "output_size.block"), s.output_block, s.base_path,
                        resizes.empty() ? "none" : fmt::format("{}", fmt::join(resizes, ", ")));
    s.decisions.push_back(numeric(DecisionKind::Output, "output", -1, number_list(path, o["sizes"], "output_size.sizes", true)));
  }

  if (const YAML::Node st = root["stages"]) {
    if (!st.IsMap()) throw input_error("{}: expected a map from stage name (or 1-based index) to choices", at(path, st, "stages"));
    std::vector<std::string> names;
    for (size_t i = 0; i < s.base.stages.size(); ++i)
      names.push_back(s.base.stages[i].name.empty() ? fmt::format("s{}", i + 1) : s.base.stages[i].name);
    std::set<int> seen;
    for (const auto& kv : st) {
      const std::string sname = kv.first.as<std::string>();
      int idx = -1;
      for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == sname || std::to_string(i + 1) == sname) idx = static_cast<int>(i);
      if (idx < 0)
        throw input_error("{}: unknown stage of {} (did you mean '{}'?); stages: {}", at(path, kv.first, "stages." + sname),
                          s.base_path, nearest_name(sname, names), fmt::join(names, ", "));
      if (!seen.insert(idx).second) throw input_error("{}: stage given twice", at(path, kv.first, "stages." + sname));
      const std::string pre = "stages." + sname + ".";
      const YAML::Node c = kv.second;
      if (!c.IsMap()) throw input_error("{}: expected a map of choices (type, kernel, expand, repeat, out)", at(path, c, pre));
      reject_unknown(path, c, kStageKeys, pre);
      const std::string sn = names[idx];
      const StageSpec& stage = s.base.stages[idx];
      const bool all_ibn = std::all_of(stage.blocks.begin(), stage.blocks.end(), [](const BlockSpec& b) {
        return b.type == "ibn" || b.type == "fused_ibn";
      });
      if ((c["type"] || c["expand"]) && !all_ibn)
        throw input_error("{}: type and expand choices need a stage of ibn / fused_ibn blocks", at(path, c, pre + (c["type"] ? "type" : "expand")));
      if (const YAML::Node t = c["type"]) {
        if (!t.IsSequence() || t.size() == 0) throw input_error("{}: expected a non-empty list of ibn, fused_ibn", at(path, t, pre + "type"));
        Decision d{DecisionKind::Type, sn + ".type", idx, {}, {}};
        for (const YAML::Node& e : t) {
          const std::string v = e.as<std::string>();
          if (v != "ibn" && v != "fused_ibn")
            throw input_error("{}: expected ibn or fused_ibn, got '{}'", at(path, e, pre + "type"), v);
          if (std::find(d.labels.begin(), d.labels.end(), v) != d.labels.end()) continue;
          d.values.push_back(static_cast<double>(d.labels.size()));
          d.labels.push_back(v);
        }
        s.decisions.push_back(d);
      }
      if (c["kernel"]) {
        std::vector<double> k = number_list(path, c["kernel"], pre + "kernel", true);
        for (double v : k)
          if (static_cast<int64_t>(v) % 2 == 0) throw input_error("{}: expected odd kernel sizes, got {}", at(path, c["kernel"], pre + "kernel"), v);
        s.decisions.push_back(numeric(DecisionKind::Kernel, sn + ".kernel", idx, k));
      }
      if (c["expand"]) s.decisions.push_back(numeric(DecisionKind::Expand, sn + ".expand", idx, number_list(path, c["expand"], pre + "expand", false)));
      if (c["repeat"]) {
        std::vector<double> r = number_list(path, c["repeat"], pre + "repeat", true);
        // Named copies are referenced from elsewhere (heads read them): a repeat must keep them.
        const std::vector<BlockSpec> flat = flatten(stage);
        for (size_t i = 0; i < flat.size(); ++i)
          if (!flat[i].name.empty() && r.front() < static_cast<double>(i + 1))
            throw input_error("{}: repeat {} would drop block '{}' (block {} of the stage); the smallest repeat is {}",
                              at(path, c["repeat"], pre + "repeat"), r.front(), flat[i].name, i + 1, i + 1);
        s.decisions.push_back(numeric(DecisionKind::Repeat, sn + ".repeat", idx, r));
      }
      if (c["out"]) {
        for (const BlockSpec& b : stage.blocks)
          if (!find_block_type(b.type) ||
              std::find_if(find_block_type(b.type)->keys.begin(), find_block_type(b.type)->keys.end(),
                           [](const char* k) { return std::string(k) == "out"; }) == find_block_type(b.type)->keys.end())
            throw input_error("{}: block type '{}' of stage {} has no output channels to choose",
                              at(path, c["out"], pre + "out"), b.type, sn);
        s.decisions.push_back(numeric(DecisionKind::Out, sn + ".out", idx,
                                      channel_grid(path, c["out"], pre + "out", s.channels, pf, s.channel_step)));
      }
    }
    // Genes in model order, whatever order the file lists the stages in.
    std::stable_sort(s.decisions.begin(), s.decisions.end(),
                     [](const Decision& a, const Decision& b) { return a.stage < b.stage; });
  }
  if (s.decisions.empty())
    throw input_error("{}: the space has no decisions (give width_multiplier, input_size, output_size or stages)", path);

  if (const YAML::Node o = root["objectives"]) {
    if (!o.IsSequence() || o.size() == 0) throw input_error("{}: expected a non-empty list of latency, memory, accuracy", at(path, o, "objectives"));
    s.objectives.clear();
    for (const YAML::Node& e : o) {
      const std::string v = e.as<std::string>();
      if (std::find(kObjectives.begin(), kObjectives.end(), v) == kObjectives.end())
        throw input_error("{}: unknown objective '{}' (did you mean '{}'?); known: latency, memory, accuracy",
                          at(path, e, "objectives"), v, nearest_name(v, kObjectives));
      if (std::find(s.objectives.begin(), s.objectives.end(), v) == s.objectives.end()) s.objectives.push_back(v);
    }
  }
  if (const YAML::Node c = root["constraints"]) {
    if (!c.IsMap()) throw input_error("{}: expected a map (latency_ms, memory_bytes, accuracy)", at(path, c, "constraints"));
    reject_unknown(path, c, kConstraintKeys, "constraints.");
    if (c["latency_ms"]) {
      auto [op, v] = parse_bound(path, c["latency_ms"], "constraints.latency_ms", "<=");
      s.constraints.latency_ms_max = bound_number(path, c["latency_ms"], "constraints.latency_ms", v);
    }
    if (c["memory_bytes"]) {
      auto [op, v] = parse_bound(path, c["memory_bytes"], "constraints.memory_bytes", "<=");
      s.constraints.memory_bytes_max = bound_number(path, c["memory_bytes"], "constraints.memory_bytes", v);
    }
    if (c["accuracy"]) {
      auto [op, v] = parse_bound(path, c["accuracy"], "constraints.accuracy", ">=");
      if (v == "baseline") s.constraints.accuracy_at_least_baseline = true;
      else s.constraints.accuracy_min = bound_number(path, c["accuracy"], "constraints.accuracy", v);
    }
  }

  // Every decision must keep the model valid: the base choices and both corners must expand.
  std::vector<Arch> probes = {base_arch(s), Arch{std::vector<int>(s.decisions.size(), 0)}, Arch{}};
  for (const Decision& d : s.decisions) probes.back().genes.push_back(static_cast<int>(d.values.size()) - 1);
  for (const Arch& a : probes) {
    try {
      expand(to_model_spec(s, a), s.name);
    } catch (const InputError& e) {
      throw input_error("{}: the candidate '{}' of this space is not a valid model: {}", path, describe(s, a), e.what());
    }
  }
  return s;
}

}  // namespace

Arch random_arch(const SearchSpace& s, std::mt19937_64& rng) {
  Arch a;
  for (const Decision& d : s.decisions) a.genes.push_back(rand_below(rng, static_cast<int>(d.values.size())));
  return a;
}

Arch base_arch(const SearchSpace& s) {
  Arch a;
  const ModelSpec& m = s.base;
  for (const Decision& d : s.decisions) {
    double v = d.values.front();
    const StageSpec* st = d.stage >= 0 ? &m.stages[d.stage] : nullptr;
    const BlockSpec* first = st && !st->blocks.empty() ? &st->blocks.front() : nullptr;
    switch (d.kind) {
      case DecisionKind::Width: v = m.width_multiplier; break;
      case DecisionKind::Input: v = static_cast<double>(m.input.h); break;
      case DecisionKind::Output:
        for (const BlockSpec& b : m.head)
          if (b.name == s.output_block && b.size) v = static_cast<double>((*b.size)[0]);
        break;
      case DecisionKind::Type:
        v = first && first->type == "fused_ibn" && d.labels.size() > 1 && d.labels[1] == "fused_ibn" ? 1 : 0;
        if (first && d.labels.front() == first->type) v = 0;
        break;
      case DecisionKind::Kernel: v = static_cast<double>(first && first->kernel ? *first->kernel : m.defaults.kernel.value_or(3)); break;
      case DecisionKind::Expand: v = first && first->expand ? *first->expand : m.defaults.expand.value_or(6.0); break;
      case DecisionKind::Repeat: v = static_cast<double>(stage_copies(*st)); break;
      case DecisionKind::Out: v = st->blocks.back().out ? static_cast<double>(*st->blocks.back().out) : v; break;
    }
    a.genes.push_back(static_cast<int>(closest(d.values, v)));
  }
  return a;
}

Arch mutate(const SearchSpace& s, const Arch& a, std::mt19937_64& rng, int genes) {
  Arch m = a;
  std::vector<int> open;
  for (size_t i = 0; i < s.decisions.size(); ++i)
    if (s.decisions[i].values.size() > 1) open.push_back(static_cast<int>(i));
  for (int k = 0; k < genes && !open.empty(); ++k) {
    const int j = rand_below(rng, static_cast<int>(open.size()));
    const int g = open[j];
    open.erase(open.begin() + j);
    const int n = static_cast<int>(s.decisions[g].values.size());
    m.genes[g] = (m.genes[g] + 1 + rand_below(rng, n - 1)) % n;  // any other choice
  }
  return m;
}

Arch crossover(const Arch& a, const Arch& b, std::mt19937_64& rng) {
  Arch c = a;
  for (size_t i = 0; i < c.genes.size() && i < b.genes.size(); ++i)
    if (rng() & 1) c.genes[i] = b.genes[i];
  return c;
}

void check_arch(const SearchSpace& s, const Arch& a) {
  if (a.genes.size() != s.decisions.size())
    throw input_error("{}: architecture '{}' has {} genes; the space has {} decisions", s.path, arch_key(a),
                      a.genes.size(), s.decisions.size());
  for (size_t i = 0; i < a.genes.size(); ++i)
    if (a.genes[i] < 0 || a.genes[i] >= static_cast<int>(s.decisions[i].values.size()))
      throw input_error("{}: architecture '{}': gene {} ({}) is {}; expected 0 to {}", s.path, arch_key(a), i,
                        s.decisions[i].name, a.genes[i], s.decisions[i].values.size() - 1);
}

ModelSpec to_model_spec(const SearchSpace& s, const Arch& a) {
  check_arch(s, a);
  ModelSpec m = s.base;
  m.channel_divisor = s.channel_divisor;
  // Per-stage edits are collected first: repeat changes the block list the others then edit.
  std::map<int, std::vector<const Decision*>> per_stage;
  std::map<const Decision*, double> value;
  std::optional<int64_t> input, output;
  for (size_t i = 0; i < s.decisions.size(); ++i) {
    const Decision& d = s.decisions[i];
    const double v = d.values[a.genes[i]];
    value[&d] = v;
    if (d.kind == DecisionKind::Width) m.width_multiplier = v;
    else if (d.kind == DecisionKind::Input) input = static_cast<int64_t>(v);
    else if (d.kind == DecisionKind::Output) output = static_cast<int64_t>(v);
    else per_stage[d.stage].push_back(&d);
  }
  for (const auto& [idx, ds] : per_stage) {
    StageSpec& st = m.stages[idx];
    for (const Decision* d : ds)
      if (d->kind == DecisionKind::Repeat) {
        std::vector<BlockSpec> flat = flatten(st);
        const size_t n = static_cast<size_t>(value[d]);
        BlockSpec extra = flat.back();  // more copies repeat the last one: stride 1, unnamed
        extra.name.clear();
        extra.from.clear();
        if (extra.stride) extra.stride = 1;
        flat.resize(std::min(n, flat.size()));
        while (flat.size() < n) flat.push_back(extra);
        st.blocks = flat;
      }
    for (BlockSpec& b : st.blocks)
      for (const Decision* d : ds) {
        const double v = value[d];
        switch (d->kind) {
          case DecisionKind::Type: b.type = d->labels[static_cast<size_t>(v)]; break;
          case DecisionKind::Kernel: b.kernel = static_cast<int64_t>(v); break;
          case DecisionKind::Expand:
            b.expand = v;
            b.expand_channels.reset();
            break;
          case DecisionKind::Out: b.out = static_cast<int64_t>(v); break;
          default: break;
        }
      }
  }
  // A head that reads a block's expansion ("layer_15.expand", SSDLite) follows it into the fused
  // conv when the block becomes a fused IBN, and back.
  std::map<std::string, std::string> renamed;
  for (const StageSpec& st : m.stages)
    for (const BlockSpec& b : st.blocks)
      if (!b.name.empty()) {
        if (b.type == "fused_ibn") renamed[b.name + ".expand"] = b.name + ".fused";
        if (b.type == "ibn") renamed[b.name + ".fused"] = b.name + ".expand";
      }
  auto rename = [&](std::vector<std::string>& refs) {
    for (std::string& r : refs)
      if (auto it = renamed.find(r); it != renamed.end()) r = it->second;
  };
  for (StageSpec& st : m.stages)
    for (BlockSpec& b : st.blocks) rename(b.from);
  for (BlockSpec& b : m.head) rename(b.from);
  rename(m.outputs);
  if (input) {
    const int64_t old = m.input.h;
    m.input.h = m.input.w = *input;
    // Fixed-size resizes (other than the searched head) follow the input resolution.
    for (BlockSpec& b : m.head)
      if (b.type == "resize" && b.size && b.name != s.output_block)
        for (int64_t& x : *b.size) x = std::max<int64_t>(1, (x * *input + old / 2) / old);
    if (s.output_block.empty())
      for (BlockSpec& b : m.head)
        if (b.type == "resize" && b.size && b.name == "out") b.size = std::array<int64_t, 2>{*input, *input};
  }
  if (output)
    for (BlockSpec& b : m.head)
      if (b.name == s.output_block) {
        b.size = std::array<int64_t, 2>{*output, *output};
        b.scale.reset();
        b.like.reset();
      }
  return m;
}

std::string describe(const SearchSpace& s, const Arch& a) {
  std::string global, stages;
  int cur = -2;
  for (size_t i = 0; i < s.decisions.size() && i < a.genes.size(); ++i) {
    const Decision& d = s.decisions[i];
    const int g = a.genes[i];
    const std::string& l = g >= 0 && g < static_cast<int>(d.labels.size()) ? d.labels[g] : "?";
    switch (d.kind) {
      case DecisionKind::Width: global += fmt::format("{}w={}", global.empty() ? "" : " ", l); continue;
      case DecisionKind::Input: global += fmt::format("{}in={}", global.empty() ? "" : " ", l); continue;
      case DecisionKind::Output: global += fmt::format("{}out={}", global.empty() ? "" : " ", l); continue;
      default: break;
    }
    const std::string sn = d.name.substr(0, d.name.find('.'));
    if (d.stage != cur) {
      stages += fmt::format("{}{}:", stages.empty() && global.empty() ? "" : " ", sn);
      cur = d.stage;
    } else {
      stages += ",";
    }
    switch (d.kind) {
      case DecisionKind::Type: stages += l; break;
      case DecisionKind::Kernel: stages += "k" + l; break;
      case DecisionKind::Expand: stages += "e" + l; break;
      case DecisionKind::Repeat: stages += "x" + l; break;
      case DecisionKind::Out: stages += "c" + l; break;
      default: break;
    }
  }
  return global + stages;
}

std::string arch_key(const Arch& a) { return fmt::format("{}", fmt::join(a.genes, ".")); }

Arch parse_arch_key(const std::string& key) {
  Arch a;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) a.genes.push_back(std::stoi(part));
  return a;
}

}  // namespace nesim::nas
