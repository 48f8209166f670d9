#pragma once
// The block-level model: what models/*.yaml say, before expansion into layers. The NAS driver
// edits these structs (block types, kernels, expand ratios, repeats, channels, width, input size)
// and writes them back with to_yaml(); expand() (model_expand.h) turns them into a Network.
// The format is specified in docs/model-format.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/graph/network.h"

namespace nesim {

enum class SeBase { Expanded, Input };

// One block as written. Unset optionals take the model's `defaults`, then the block type's
// default, when the model is expanded; to_yaml() writes only what is set.
struct BlockSpec {
  std::string type;               // "conv", "ibn", ... (see block_types())
  std::string name;               // "" = positional default (stem0, s2b1, head0, ...)
  std::vector<std::string> from;  // block or layer names; empty = the previous block's output
  int repeat = 1;

  std::optional<bool> fixed;      // ignore the width multiplier
  std::optional<double> width_min;
  std::optional<int64_t> out, mid, expand_channels, se_channels;  // channels
  std::optional<int64_t> kernel, stride, padding, dilation, groups, se_divisor;
  std::optional<double> expand, se, scale;  // ratios
  std::optional<Act> act, pw_act, se_act, se_gate;
  std::optional<SeBase> se_base;
  std::optional<bool> bn, bias, residual, ceil_mode;
  std::optional<int64_t> begin, end;           // channel_slice's channel range
  std::optional<int64_t> of;                   // channel_slice: the input channels begin/end count in
  std::optional<std::array<int64_t, 2>> size;  // resize target [h, w]
  std::optional<std::string> like;             // resize to this block's / layer's H x W
  std::optional<ResizeMode> mode;

  int line = 0;                   // 1-based line in the YAML source, 0 when built in code
};

struct StageSpec {
  std::string name;               // "" = s<i+1>
  std::vector<BlockSpec> blocks;
};

struct ModelSpec {
  std::string name;
  std::string source;             // where the architecture and its published numbers come from
  Shape input;                    // C x H x W
  double width_multiplier = 1.0;
  int64_t channel_divisor = 8;
  int64_t batch = 1;               // images per run: the compiler runs every kernel on each (batch.h)
  BlockSpec defaults;             // type is empty; only keys some block type accepts
  std::vector<BlockSpec> stem;
  std::vector<StageSpec> stages;
  std::vector<BlockSpec> head;
  std::vector<std::string> outputs;  // empty = the last block
};

// The key table, declared once: the parser, to_yaml() and the docs test all read it.
using BlockField = std::variant<
    std::optional<int64_t> BlockSpec::*, std::optional<double> BlockSpec::*,
    std::optional<bool> BlockSpec::*, std::optional<Act> BlockSpec::*,
    std::optional<SeBase> BlockSpec::*, std::optional<ResizeMode> BlockSpec::*,
    std::optional<std::array<int64_t, 2>> BlockSpec::*, std::optional<std::string> BlockSpec::*>;

enum class KeyRange { Any, Positive, NonNegative };

struct BlockKey {
  const char* name;
  BlockField field;
  KeyRange range;
  double max;               // largest accepted value of a numeric key (sim/graph/limits.h); 0: none
  const char* description;
};

struct BlockType {
  const char* name;
  std::vector<const char*> keys;      // accepted besides type, name, from, repeat, fixed, width_min
  std::vector<const char*> required;
  const char* description;
};

const std::vector<BlockKey>& block_keys();
const std::vector<BlockType>& block_types();
const BlockType* find_block_type(const std::string& name);  // nullptr when unknown

// Parses a model. `where` names the source in messages (a file path). Throws InputError.
// Example: ModelSpec m = parse_model_yaml("input: [3, 32, 32]\nstem: [{type: conv, out: 8}]\n", "t.yaml");
ModelSpec parse_model_yaml(const std::string& text, const std::string& where);
ModelSpec load_model_spec(const std::string& path);  // .onnx: network_to_spec(load_onnx(path))

// Writes `spec` in the format parse_model_yaml() reads; parse(to_yaml(s)) expands identically to s.
std::string to_yaml(const ModelSpec& spec);

// torchvision's _make_divisible(v, divisor, min_value=divisor).
int64_t make_divisible(double v, int64_t divisor);

// Levenshtein-nearest of `candidates` to `key` ("" when there are none).
std::string nearest_name(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace nesim
