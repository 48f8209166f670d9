#include "sim/modelfmt/model_spec.h"

#include "sim/util/text.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sim/graph/limits.h"
#include "sim/modelfmt/network_spec.h"
#include "sim/modelfmt/onnx_import.h"
#include "sim/modelfmt/spec_sites.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

namespace nesim {

const std::vector<BlockKey>& block_keys() {
  using B = BlockSpec;
  using R = KeyRange;
  constexpr double kDim = limits::kMaxDimension, kWin = limits::kMaxWindow, kRatio = limits::kMaxRatio;
  static const std::vector<BlockKey> keys = {
      {"out", &B::out, R::Positive, kDim, "output channels (scaled by the width multiplier)"},
      {"mid", &B::mid, R::Positive, kDim, "bottleneck channels (scaled)"},
      {"expand", &B::expand, R::Positive, kRatio, "expansion ratio of the input channels"},
      {"expand_channels", &B::expand_channels, R::Positive, kDim, "absolute expanded channels (scaled)"},
      {"kernel", &B::kernel, R::Positive, kWin, "square kernel size"},
      {"stride", &B::stride, R::Positive, kWin, "stride of the first copy"},
      {"padding", &B::padding, R::NonNegative, kWin, "padding on every side"},
      {"dilation", &B::dilation, R::Positive, kWin, "kernel dilation"},
      {"groups", &B::groups, R::Positive, kDim, "convolution groups"},
      {"act", &B::act, R::Any, 0, "activation"},
      {"pw_act", &B::pw_act, R::Any, 0, "activation of dwsep's pointwise conv"},
      {"bn", &B::bn, R::Any, 0, "batch norm folded into the conv"},
      {"bias", &B::bias, R::Any, 0, "a real bias vector"},
      {"se", &B::se, R::NonNegative, kRatio, "squeeze-and-excite ratio (0 = none)"},
      {"se_channels", &B::se_channels, R::Positive, kDim, "absolute squeeze channels"},
      {"se_base", &B::se_base, R::Any, 0, "what the SE ratio multiplies: expanded | input"},
      {"se_act", &B::se_act, R::Any, 0, "activation after the squeeze conv"},
      {"se_gate", &B::se_gate, R::Any, 0, "gate after the excite conv"},
      {"se_divisor", &B::se_divisor, R::Positive, kDim, "rounding of SE channels (1 = none)"},
      {"residual", &B::residual, R::Any, 0, "residual add (default: when possible)"},
      {"scale", &B::scale, R::Positive, kRatio, "resize factor"},
      {"size", &B::size, R::Positive, kDim, "resize target [h, w]"},
      {"like", &B::like, R::Any, 0, "resize to the H x W of this block or layer"},
      {"mode", &B::mode, R::Any, 0, "resize interpolation: nearest | bilinear"},
      {"ceil_mode", &B::ceil_mode, R::Any, 0, "pooling output extent rounds up (torch's ceil_mode)"},
      {"begin", &B::begin, R::NonNegative, kDim, "first channel of a channel_slice"},
      {"end", &B::end, R::Positive, kDim, "one past the last channel of a channel_slice"},
      {"of", &B::of, R::Positive, kDim, "channel_slice: the input's channel count begin and end refer to"},
      {"fixed", &B::fixed, R::Any, 0, "ignore the width multiplier"},
      {"width_min", &B::width_min, R::Positive, kRatio, "lower bound of the channel scale"},
  };
  return keys;
}

const std::vector<BlockType>& block_types() {
  static const std::vector<const char*> ibn_keys = {
      "out", "expand", "expand_channels", "kernel", "stride", "dilation", "act", "se",
      "se_base", "se_act", "se_gate", "se_divisor", "residual"};
  static const std::vector<BlockType> types = {
      {"conv", {"out", "kernel", "stride", "padding", "dilation", "groups", "act", "bn", "bias"},
       {"out"}, "conv+BN+act"},
      {"dwconv", {"kernel", "stride", "dilation", "act"}, {}, "depthwise conv+BN+act"},
      {"dwsep", {"out", "kernel", "stride", "act", "pw_act"}, {"out"},
       "depthwise k x k + pointwise 1x1"},
      {"ibn", ibn_keys, {"out"}, "inverted bottleneck (MobileNetV2/V3, EfficientNet MBConv)"},
      {"fused_ibn", ibn_keys, {"out"}, "fused inverted bottleneck (EfficientNetV2, EdgeTPU)"},
      {"basic", {"out", "stride"}, {"out"}, "ResNet basic block"},
      {"bottleneck", {"out", "mid", "stride"}, {"out"}, "ResNet bottleneck block"},
      {"maxpool", {"kernel", "stride", "padding", "ceil_mode"}, {"kernel"}, "max pooling"},
      {"avgpool", {"kernel", "stride", "padding", "ceil_mode"}, {"kernel"}, "average pooling"},
      {"global_pool", {}, {}, "global average pooling"},
      {"fc", {"out", "bias", "act"}, {"out"}, "fully connected"},
      {"add", {"act"}, {}, "elementwise add"},
      {"mul", {}, {}, "elementwise multiply"},
      {"concat", {}, {}, "channel concatenation"},
      {"resize", {"scale", "size", "like", "mode"}, {}, "upsampling"},
      {"activation", {"act"}, {"act"}, "standalone activation"},
      {"se", {"se_channels", "se", "se_divisor", "se_act", "se_gate"}, {},
       "standalone squeeze-and-excite"},
      {"batchnorm", {"act"}, {}, "standalone batch norm (scale and shift per channel)"},
      {"layernorm", {}, {}, "layer norm over the channels at each position"},
      {"channel_scale", {}, {}, "learned per-channel scale (layer scale)"},
      {"channel_shuffle", {"groups"}, {"groups"}, "ShuffleNet channel shuffle"},
      {"channel_slice", {"begin", "end", "of"}, {"begin", "end"}, "channels [begin, end) of the input"},
  };
  return types;
}

const BlockType* find_block_type(const std::string& name) {
  for (const BlockType& t : block_types())
    if (name == t.name) return &t;
  return nullptr;
}

int64_t make_divisible(double v, int64_t divisor) {
  int64_t new_v = std::max<int64_t>(
      divisor, static_cast<int64_t>(std::floor(v + static_cast<double>(divisor) / 2.0)) / divisor * divisor);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}

std::string nearest_name(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  // A candidate that starts the key ("act" for "activation", "stride" for "strides") wins.
  for (const std::string& c : candidates)
    if (!c.empty() && key.rfind(c, 0) == 0 && c.size() > best.size()) best = c;
  if (!best.empty()) return best;
  size_t best_d = SIZE_MAX;
  for (const std::string& c : candidates)
    if (size_t d = text::edit_distance(key, c); d < best_d) best_d = d, best = c;
  return best;
}

namespace {

const char* se_base_name(SeBase b) { return b == SeBase::Expanded ? "expanded" : "input"; }
const char* mode_name(ResizeMode m) { return m == ResizeMode::Nearest ? "nearest" : "bilinear"; }

const char* const kTopKeys[] = {"name",     "source", "input", "width_multiplier", "channel_divisor",
                                "batch",    "defaults", "stem", "stages",          "head", "outputs"};
const char* const kCommonKeys[] = {"type", "name", "from", "repeat", "fixed", "width_min"};

std::string describe(const YAML::Node& n) {
  if (!n || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return fmt::format("'{}'", n.Scalar());
}

// Reads YAML into a ModelSpec; every message names the file, line, section, block and key.
class Parser {
 public:
  explicit Parser(std::string where) : where_(std::move(where)) {}

  ModelSpec parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      throw input_error("{}:{}: YAML syntax error: {}", where_, e.mark.line + 1, e.msg);
    }
    if (!root || root.IsNull()) throw input_error("{}: empty model file", where_);
    if (!root.IsMap())
      fail(root, "model", fmt::format("expected a mapping of model keys ({}), got {}",
                                      fmt::join(kTopKeys, ", "), describe(root)));
    ModelSpec spec;
    spec.name = std::filesystem::path(where_).stem().string();
    std::set<std::string> seen;
    bool has_input = false;
    for (const auto& kv : root) {
      const std::string key = scalar_key(kv.first, "model");
      const YAML::Node& v = kv.second;
      if (!seen.insert(key).second) fail(kv.first, fmt::format("key '{}'", key), "given twice");
      const std::string ctx = fmt::format("key '{}'", key);
      if (key == "name") {
        spec.name = read_name(v, ctx);
      } else if (key == "source") {
        spec.source = read_string(v, ctx);
      } else if (key == "input") {
        if (!v.IsSequence() || v.size() != 3)
          fail(v, ctx, fmt::format("expected [C, H, W] (three positive integers), got {}", describe(v)));
        constexpr double kDim = limits::kMaxDimension;
        spec.input = {read_int(v[0], ctx, KeyRange::Positive, kDim), read_int(v[1], ctx, KeyRange::Positive, kDim),
                      read_int(v[2], ctx, KeyRange::Positive, kDim)};
        has_input = true;
      } else if (key == "width_multiplier") {
        spec.width_multiplier = read_double(v, ctx, KeyRange::Positive, limits::kMaxRatio);
      } else if (key == "channel_divisor") {
        spec.channel_divisor = read_int(v, ctx, KeyRange::Positive, limits::kMaxDimension);
      } else if (key == "batch") {
        spec.batch = read_int(v, ctx, KeyRange::Positive, limits::kMaxBatch);
      } else if (key == "defaults") {
        spec.defaults = parse_defaults(v);
      } else if (key == "stem" || key == "head") {
        int counter = 0;
        auto& list = key == "stem" ? spec.stem : spec.head;
        for (size_t i : indices(v, ctx, "a list of blocks"))
          list.push_back(parse_block(v[i], fmt::format("{}[{}]", key, i), key, counter));
      } else if (key == "stages") {
        for (size_t i : indices(v, ctx, "a list of stages")) spec.stages.push_back(parse_stage(v[i], i));
      } else if (key == "outputs") {
        spec.outputs = read_names(v, ctx);
      } else {
        std::vector<std::string> known(std::begin(kTopKeys), std::end(kTopKeys));
        fail(kv.first, ctx, fmt::format("unknown model key (did you mean '{}'?)", nearest_name(key, known)));
      }
    }
    if (!has_input) fail(root, "key 'input'", "missing: expected [C, H, W]");
    return spec;
  }

 private:
  std::string where_;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& ctx, const std::string& msg) const {
    const YAML::Mark m = at.Mark();
    if (m.line >= 0) throw input_error("{}:{}: {}: {}", where_, m.line + 1, ctx, msg);
    throw input_error("{}: {}: {}", where_, ctx, msg);
  }

  std::vector<size_t> indices(const YAML::Node& v, const std::string& ctx, const char* what) const {
    if (v.IsNull()) return {};
    if (!v.IsSequence()) fail(v, ctx, fmt::format("expected {}, got {}", what, describe(v)));
    std::vector<size_t> idx(v.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    return idx;
  }

  std::string scalar_key(const YAML::Node& k, const std::string& ctx) const {
    if (!k.IsScalar()) fail(k, ctx, fmt::format("expected a key name, got {}", describe(k)));
    return k.Scalar();
  }

  std::string read_string(const YAML::Node& v, const std::string& ctx) const {
    if (!v.IsScalar()) fail(v, ctx, fmt::format("expected a string, got {}", describe(v)));
    return v.Scalar();
  }

  std::string read_name(const YAML::Node& v, const std::string& ctx) const {
    std::string s = read_string(v, ctx);
    if (s.empty()) fail(v, ctx, "expected a non-empty name, got ''");
    return s;
  }

  std::vector<std::string> read_names(const YAML::Node& v, const std::string& ctx) const {
    if (v.IsScalar()) return {read_name(v, ctx)};
    if (!v.IsSequence() || v.size() == 0)
      fail(v, ctx, fmt::format("expected a name or a non-empty list of names, got {}", describe(v)));
    std::vector<std::string> names;
    for (size_t i = 0; i < v.size(); ++i) names.push_back(read_name(v[i], ctx));
    return names;
  }

  // `max` > 0: the largest accepted value (sim/graph/limits.h).
  int64_t read_int(const YAML::Node& v, const std::string& ctx, KeyRange range, double max = 0) const {
    int64_t x = 0;
    try {
      if (!v.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "");
      x = v.as<int64_t>();
    } catch (const YAML::Exception&) {
      fail(v, ctx, fmt::format("expected an integer, got {}", describe(v)));
    }
    if (x > INT32_MAX) fail(v, ctx, fmt::format("expected an integer below 2^31, got {}", x));
    if (range == KeyRange::Positive && x <= 0)
      fail(v, ctx, fmt::format("expected a positive integer, got {}", x));
    if (range == KeyRange::NonNegative && x < 0)
      fail(v, ctx, fmt::format("expected a non-negative integer, got {}", x));
    if (max > 0 && static_cast<double>(x) > max)
      fail(v, ctx, fmt::format("expected at most {} (docs/model-format.md, Limits), got {}", max, x));
    return x;
  }

  double read_double(const YAML::Node& v, const std::string& ctx, KeyRange range, double max = 0) const {
    double x = 0;
    try {
      if (!v.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "");
      x = v.as<double>();
    } catch (const YAML::Exception&) {
      fail(v, ctx, fmt::format("expected a number, got {}", describe(v)));
    }
    if (!std::isfinite(x)) fail(v, ctx, fmt::format("expected a finite number, got {}", describe(v)));
    if (range == KeyRange::Positive && x <= 0)
      fail(v, ctx, fmt::format("expected a positive number, got {}", describe(v)));
    if (range == KeyRange::NonNegative && x < 0)
      fail(v, ctx, fmt::format("expected a non-negative number, got {}", describe(v)));
    if (max > 0 && x > max)
      fail(v, ctx, fmt::format("expected at most {} (docs/model-format.md, Limits), got {}", max, describe(v)));
    return x;
  }

  bool read_bool(const YAML::Node& v, const std::string& ctx) const {
    try {
      if (v.IsScalar()) return v.as<bool>();
    } catch (const YAML::Exception&) {
    }
    fail(v, ctx, fmt::format("expected true or false, got {}", describe(v)));
  }

  template <typename T>
  T read_choice(const YAML::Node& v, const std::string& ctx, std::vector<std::pair<std::string, T>> choices) const {
    std::vector<std::string> names;
    for (const auto& [n, value] : choices) {
      if (v.IsScalar() && v.Scalar() == n) return value;
      names.push_back(n);
    }
    fail(v, ctx, fmt::format("expected one of {}, got {}", fmt::join(names, ", "), describe(v)));
  }

  Act read_act(const YAML::Node& v, const std::string& ctx) const {
    std::vector<std::pair<std::string, Act>> acts;
    for (Act a : {Act::None, Act::Relu, Act::Relu6, Act::HSwish, Act::HSigmoid, Act::Sigmoid, Act::Swish, Act::Gelu})
      acts.emplace_back(act_name(a), a);
    return read_choice(v, ctx, acts);
  }

  void read_field(BlockSpec& b, const BlockKey& key, const YAML::Node& v, const std::string& ctx) const {
    std::visit(
        [&](auto ptr) {
          using T = typename std::remove_reference_t<decltype(b.*ptr)>::value_type;
          if constexpr (std::is_same_v<T, int64_t>) {
            b.*ptr = read_int(v, ctx, key.range, key.max);
          } else if constexpr (std::is_same_v<T, double>) {
            b.*ptr = read_double(v, ctx, key.range, key.max);
          } else if constexpr (std::is_same_v<T, bool>) {
            b.*ptr = read_bool(v, ctx);
          } else if constexpr (std::is_same_v<T, Act>) {
            b.*ptr = read_act(v, ctx);
          } else if constexpr (std::is_same_v<T, SeBase>) {
            b.*ptr = read_choice<SeBase>(v, ctx, {{"expanded", SeBase::Expanded}, {"input", SeBase::Input}});
          } else if constexpr (std::is_same_v<T, std::string>) {
            b.*ptr = read_name(v, ctx);
          } else if constexpr (std::is_same_v<T, ResizeMode>) {
            b.*ptr = read_choice<ResizeMode>(v, ctx, {{"nearest", ResizeMode::Nearest},
                                                      {"bilinear", ResizeMode::Bilinear}});
          } else {
            if (!v.IsSequence() || v.size() != 2)
              fail(v, ctx, fmt::format("expected [h, w] (two positive integers), got {}", describe(v)));
            b.*ptr = T{read_int(v[0], ctx, key.range, key.max), read_int(v[1], ctx, key.range, key.max)};
          }
        },
        key.field);
  }

  static const BlockKey* find_key(const std::string& name) {
    for (const BlockKey& k : block_keys())
      if (name == k.name) return &k;
    return nullptr;
  }

  BlockSpec parse_block(const YAML::Node& n, const std::string& section, const std::string& prefix, int& counter) {
    BlockSpec b;
    b.line = n.Mark().line + 1;
    if (!n.IsMap()) fail(n, section, fmt::format("expected a block mapping {{type: ..., ...}}, got {}", describe(n)));
    if (n["name"]) b.name = read_name(n["name"], section + ": key 'name'");
    if (n["repeat"])
      b.repeat = static_cast<int>(read_int(n["repeat"], section + ": key 'repeat'", KeyRange::Positive,
                                           static_cast<double>(limits::kMaxRepeat)));
    const std::string label = fmt::format("{} (block '{}')", section, copy_names(b, prefix, counter).front());

    std::vector<std::string> type_names;
    for (const BlockType& t : block_types()) type_names.push_back(t.name);
    if (!n["type"]) fail(n, label + ": key 'type'", fmt::format("missing (one of {})", fmt::join(type_names, ", ")));
    b.type = read_string(n["type"], label + ": key 'type'");
    const BlockType* type = find_block_type(b.type);
    if (!type)
      fail(n["type"], label + ": key 'type'",
           fmt::format("unknown block type '{}' (did you mean '{}'?); known types: {}", b.type,
                       nearest_name(b.type, type_names), fmt::join(type_names, ", ")));

    std::vector<std::string> accepted(std::begin(kCommonKeys), std::end(kCommonKeys));
    for (const char* k : type->keys) accepted.push_back(k);
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = scalar_key(kv.first, label);
      const std::string ctx = fmt::format("{}: key '{}'", label, key);
      if (!seen.insert(key).second) fail(kv.first, ctx, "given twice");
      if (key == "type" || key == "name" || key == "repeat") continue;
      if (key == "from") {
        b.from = read_names(kv.second, ctx);
        continue;
      }
      if (std::find(accepted.begin(), accepted.end(), key) == accepted.end()) {
        if (find_key(key))
          fail(kv.first, ctx, fmt::format("not accepted by block type '{}' (accepted: {})", b.type,
                                          fmt::join(accepted, ", ")));
        fail(kv.first, ctx, fmt::format("unknown key for block type '{}' (did you mean '{}'?)", b.type,
                                        nearest_name(key, accepted)));
      }
      read_field(b, *find_key(key), kv.second, ctx);
    }
    return b;
  }

  BlockSpec parse_defaults(const YAML::Node& n) {
    BlockSpec d;
    if (n.IsNull()) return d;
    if (!n.IsMap()) fail(n, "key 'defaults'", fmt::format("expected a mapping of block keys, got {}", describe(n)));
    std::vector<std::string> known;
    for (const BlockKey& k : block_keys()) known.push_back(k.name);
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = scalar_key(kv.first, "defaults");
      const std::string ctx = fmt::format("defaults: key '{}'", key);
      if (!seen.insert(key).second) fail(kv.first, ctx, "given twice");
      if (key == "type" || key == "name" || key == "from" || key == "repeat" || key == "fixed" || key == "width_min")
        fail(kv.first, ctx, "cannot have a model-wide default");
      const BlockKey* bk = find_key(key);
      if (!bk) fail(kv.first, ctx, fmt::format("unknown block key (did you mean '{}'?)", nearest_name(key, known)));
      read_field(d, *bk, kv.second, ctx);
    }
    return d;
  }

  StageSpec parse_stage(const YAML::Node& n, size_t index) {
    const std::string section = fmt::format("stages[{}]", index);
    if (!n.IsMap()) fail(n, section, fmt::format("expected a stage mapping {{name: ..., blocks: [...]}}, got {}", describe(n)));
    StageSpec stage;
    if (n["name"]) stage.name = read_name(n["name"], section + ": key 'name'");
    for (const auto& kv : n) {
      const std::string key = scalar_key(kv.first, section);
      if (key != "name" && key != "blocks")
        fail(kv.first, fmt::format("{}: key '{}'", section, key),
             fmt::format("unknown stage key (did you mean '{}'?)", nearest_name(key, {"name", "blocks"})));
    }
    const YAML::Node blocks = n["blocks"];
    if (!blocks || !blocks.IsSequence() || blocks.size() == 0)
      fail(blocks ? blocks : n, section + ": key 'blocks'",
           fmt::format("expected a non-empty list of blocks, got {}", describe(blocks)));
    int counter = 0;
    const std::string prefix = stage_name(stage, index) + "b";
    for (size_t j = 0; j < blocks.size(); ++j)
      stage.blocks.push_back(parse_block(blocks[j], fmt::format("{}.blocks[{}]", section, j), prefix, counter));
    return stage;
  }
};

// Shortest form that reads back exactly; `point` keeps "1.0" for values people read as ratios.
std::string format_double(double v, bool point) {
  std::string s = fmt::format("{}", v);
  if (point && s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

void emit_block(YAML::Emitter& out, const BlockSpec& b, bool with_type) {
  out << YAML::Flow << YAML::BeginMap;
  if (with_type) out << YAML::Key << "type" << YAML::Value << b.type;
  if (!b.name.empty()) out << YAML::Key << "name" << YAML::Value << b.name;
  if (b.from.size() == 1) out << YAML::Key << "from" << YAML::Value << b.from[0];
  if (b.from.size() > 1) out << YAML::Key << "from" << YAML::Value << YAML::Flow << b.from;
  for (const BlockKey& key : block_keys()) {
    std::visit(
        [&](auto ptr) {
          const auto& opt = b.*ptr;
          if (!opt) return;
          using T = typename std::remove_reference_t<decltype(opt)>::value_type;
          out << YAML::Key << key.name << YAML::Value;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
            out << *opt;
          } else if constexpr (std::is_same_v<T, double>) {
            out << format_double(*opt, key.name == std::string("width_min"));
          } else if constexpr (std::is_same_v<T, Act>) {
            out << act_name(*opt);
          } else if constexpr (std::is_same_v<T, SeBase>) {
            out << se_base_name(*opt);
          } else if constexpr (std::is_same_v<T, ResizeMode>) {
            out << mode_name(*opt);
          } else {
            out << YAML::Flow << YAML::BeginSeq << (*opt)[0] << (*opt)[1] << YAML::EndSeq;
          }
        },
        key.field);
  }
  if (b.repeat != 1) out << YAML::Key << "repeat" << YAML::Value << b.repeat;
  out << YAML::EndMap;
}

void emit_blocks(YAML::Emitter& out, const std::vector<BlockSpec>& blocks) {
  out << YAML::Block << YAML::BeginSeq;
  for (const BlockSpec& b : blocks) emit_block(out, b, true);
  out << YAML::EndSeq;
}

}  // namespace

ModelSpec parse_model_yaml(const std::string& text, const std::string& where) {
  text::require_utf8(text, where);
  return Parser(where).parse(text);
}

ModelSpec load_model_spec(const std::string& path) {
  // An ONNX graph is one block per layer (network_spec.h), so `advise` and a search space's base
  // take .onnx as they take .yaml.
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".onnx") return network_to_spec(load_onnx(path), path);
  return parse_model_yaml(read_input_file(path, "the model"), path);
}

std::string to_yaml(const ModelSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!spec.name.empty()) out << YAML::Key << "name" << YAML::Value << spec.name;
  if (!spec.source.empty()) out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << spec.source;
  out << YAML::Key << "input" << YAML::Value << YAML::Flow << YAML::BeginSeq << spec.input.c << spec.input.h
      << spec.input.w << YAML::EndSeq;
  out << YAML::Key << "width_multiplier" << YAML::Value << format_double(spec.width_multiplier, true);
  out << YAML::Key << "channel_divisor" << YAML::Value << spec.channel_divisor;
  if (spec.batch != 1) out << YAML::Key << "batch" << YAML::Value << spec.batch;
  bool any_default = false;
  for (const BlockKey& key : block_keys())
    std::visit([&](auto ptr) { any_default |= (spec.defaults.*ptr).has_value(); }, key.field);
  if (any_default) {
    out << YAML::Key << "defaults" << YAML::Value;
    emit_block(out, spec.defaults, false);
  }
  if (!spec.stem.empty()) {
    out << YAML::Key << "stem" << YAML::Value;
    emit_blocks(out, spec.stem);
  }
  if (!spec.stages.empty()) {
    out << YAML::Key << "stages" << YAML::Value << YAML::BeginSeq;
    for (const StageSpec& stage : spec.stages) {
      out << YAML::BeginMap;
      if (!stage.name.empty()) out << YAML::Key << "name" << YAML::Value << stage.name;
      out << YAML::Key << "blocks" << YAML::Value;
      emit_blocks(out, stage.blocks);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!spec.head.empty()) {
    out << YAML::Key << "head" << YAML::Value;
    emit_blocks(out, spec.head);
  }
  if (!spec.outputs.empty()) out << YAML::Key << "outputs" << YAML::Value << YAML::Flow << spec.outputs;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace nesim
