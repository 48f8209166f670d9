#include "sim/modelfmt/model_expand.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/graph/limits.h"
#include "sim/modelfmt/spec_sites.h"
#include "sim/util/error.h"

namespace nesim {
namespace {

const char* key_name(const BlockField& field) {
  for (const BlockKey& k : block_keys())
    if (k.field == field) return k.name;
  return "?";
}

// torchvision MobileNetV3 / EfficientNet squeeze width: floor(ratio * base), then rounded to the
// divisor (or at least 1 when the divisor is 1).
int64_t squeeze_channels(double ratio, int64_t base, int64_t divisor) {
  const auto v = static_cast<int64_t>(std::floor(ratio * static_cast<double>(base) + 1e-9));
  return divisor <= 1 ? std::max<int64_t>(1, v) : make_divisible(static_cast<double>(v), divisor);
}

// One repeat copy of one block: resolves keys (the block's own value, then the model's
// `defaults`, then the type's default) and appends the copy's layers to the network.
class BlockExpander {
 public:
  using Resolver = std::function<int(const std::string& ref, const std::string& key)>;

  BlockExpander(Network& net, const ModelSpec& spec, const BlockSpec& b, const BlockType& type,
                std::string name, int copy, std::vector<int> inputs, std::string ctx, Resolver resolve)
      : net_(net), spec_(spec), b_(b), type_(type), name_(std::move(name)), copy_(copy),
        inputs_(std::move(inputs)), ctx_(std::move(ctx)), resolve_(std::move(resolve)) {}

  const BlockSpec& block() const { return b_; }
  const std::vector<int>& inputs() const { return inputs_; }
  const Shape& in(size_t k = 0) const { return net_.layers.at(inputs_.at(k)).out; }
  // The shape of a block or layer named by `key` (e.g. resize's `like`).
  const Shape& shape_of(const std::string& ref, const std::string& key) const {
    return net_.layers.at(resolve_(ref, key)).out;
  }
  int input() const { return inputs_.at(0); }

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw input_error("{}: key '{}': {}", ctx_, key, msg);
  }
  [[noreturn]] void over_limit(const std::string& key, int64_t value, int64_t limit) const {
    fail(key, fmt::format("gives {} {}, over the limit of {} (docs/model-format.md, Limits)", key, value, limit));
  }

  // Whether the model's `defaults` fill `key` for this block (docs/model-format.md, "Defaults").
  bool takes_default(const std::string& key) const {
    const std::string type = type_.name;
    if (key == "act" && (type == "fc" || type == "add" || type == "activation" || type == "batchnorm")) return false;
    return std::any_of(type_.keys.begin(), type_.keys.end(), [&](const char* k) { return key == k; });
  }

  // The block's value, else the model default.
  template <typename T>
  std::optional<T> find(std::optional<T> BlockSpec::*f) const {
    if (b_.*f) return b_.*f;
    if (takes_default(key_name(f))) return spec_.defaults.*f;
    return std::nullopt;
  }
  template <typename T>
  T get(std::optional<T> BlockSpec::*f, T dflt) const {
    return find(f).value_or(dflt);
  }
  template <typename T>
  T require(std::optional<T> BlockSpec::*f) const {
    if (auto v = find(f)) return *v;
    fail(key_name(f), fmt::format("missing (required by block type '{}')", type_.name));
  }
  // `stride` applies to the first copy; later copies run at stride 1.
  int64_t stride(int64_t dflt = 1) const { return copy_ == 0 ? get(&BlockSpec::stride, dflt) : 1; }
  int64_t divisor() const { return spec_.channel_divisor; }

  // A channel count as the width multiplier and the block's fixed / width_min make it.
  int64_t channels(int64_t c) const {
    const bool fixed = b_.fixed.value_or(b_.type == "fc");
    const double s = fixed ? 1.0 : std::max(b_.width_min.value_or(0.0), spec_.width_multiplier);
    if (s == 1.0) return c;
    const double scaled = static_cast<double>(c) * s;
    if (!(scaled <= static_cast<double>(limits::kMaxDimension)))
      fail("out", fmt::format("scales {} channels by {} to {}, over the limit of {} (docs/model-format.md, Limits)", c,
                              s, scaled, limits::kMaxDimension));
    return make_divisible(scaled, spec_.channel_divisor);
  }

  Layer make(const std::string& part, Op op, std::vector<int> inputs) const {
    Layer l;
    l.name = part.empty() ? name_ : fmt::format("{}.{}", name_, part);
    l.op = op;
    l.inputs = std::move(inputs);
    l.block = name_;
    l.block_type = b_.type;
    return l;
  }
  int push(Layer l) { return net_.add(std::move(l)); }

  int conv(const std::string& part, int input, int64_t out_c, int64_t k, int64_t s, int64_t d,
           int64_t groups, Act act, bool bn = true, bool bias = false, int64_t pad = -1) {
    if (pad < 0) pad = d * (k - 1) / 2;
    // Checked before narrowing to the layer's int fields, so a huge value is named, not wrapped.
    const std::pair<const char*, int64_t> window[] = {{"kernel", k}, {"stride", s}, {"dilation", d}, {"padding", pad}};
    for (const auto& [key, value] : window)
      if (value > limits::kMaxWindow) over_limit(key, value, limits::kMaxWindow);
    if (groups > limits::kMaxDimension) over_limit("groups", groups, limits::kMaxDimension);
    if (out_c > limits::kMaxDimension) over_limit("out", out_c, limits::kMaxDimension);
    Layer l = make(part, Op::Conv2d, {input});
    l.kernel_h = l.kernel_w = static_cast<int>(k);
    l.stride_h = l.stride_w = static_cast<int>(s);
    l.dilation_h = l.dilation_w = static_cast<int>(d);
    l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = static_cast<int>(pad);
    l.groups = static_cast<int>(groups);
    l.out_channels = out_c;
    l.act = act;
    l.batch_norm = bn;
    l.bias = bias;
    return push(std::move(l));
  }

  int se(const std::string& part, int input, int64_t se_channels) {
    Layer l = make(part, Op::SqueezeExcite, {input});
    l.se_channels = se_channels;
    l.se_act = get(&BlockSpec::se_act, Act::Relu);
    l.se_gate = get(&BlockSpec::se_gate, Act::Sigmoid);
    l.bias = true;
    return push(std::move(l));
  }

  int add(const std::string& part, std::vector<int> inputs, Act act) {
    Layer l = make(part, Op::Add, std::move(inputs));
    l.act = act;
    return push(std::move(l));
  }

 private:
  Network& net_;
  const ModelSpec& spec_;
  const BlockSpec& b_;
  const BlockType& type_;
  std::string name_;
  int copy_;
  std::vector<int> inputs_;
  std::string ctx_;
  Resolver resolve_;
};

using B = BlockSpec;

void expand_conv(BlockExpander& x) {
  const int64_t k = x.get(&B::kernel, int64_t{3}), d = x.get(&B::dilation, int64_t{1});
  x.conv("", x.input(), x.channels(x.require(&B::out)), k, x.stride(), d, x.get(&B::groups, int64_t{1}),
         x.get(&B::act, Act::Relu), x.get(&B::bn, true), x.get(&B::bias, false), x.get(&B::padding, d * (k - 1) / 2));
}

void expand_dwconv(BlockExpander& x) {
  const int64_t c = x.in().c;
  x.conv("", x.input(), c, x.get(&B::kernel, int64_t{3}), x.stride(), x.get(&B::dilation, int64_t{1}), c,
         x.get(&B::act, Act::Relu));
}

void expand_dwsep(BlockExpander& x) {
  const int64_t c = x.in().c;
  const Act act = x.get(&B::act, Act::Relu);
  const int dw = x.conv("dw", x.input(), c, x.get(&B::kernel, int64_t{3}), x.stride(), 1, c, act);
  x.conv("pw", dw, x.channels(x.require(&B::out)), 1, 1, 1, 1, x.get(&B::pw_act, act));
}

void expand_ibn(BlockExpander& x, bool fused) {
  const BlockSpec& b = x.block();
  const int64_t in = x.in().c, out = x.channels(x.require(&B::out));
  if (b.expand && b.expand_channels) x.fail("expand_channels", "give either 'expand' or 'expand_channels', not both");
  int64_t expanded = 0;
  if (b.expand_channels || (!b.expand && x.find(&B::expand_channels))) {
    expanded = x.channels(*x.find(&B::expand_channels));
  } else {
    const double ratio = x.get(&B::expand, 6.0);
    const double product = std::nearbyint(static_cast<double>(in) * ratio);
    if (!(product <= static_cast<double>(limits::kMaxDimension)))
      x.fail("expand", fmt::format("expands {} input channels by {} to {}, over the limit of {} channels "
                                   "(docs/model-format.md, Limits)", in, ratio, product, limits::kMaxDimension));
    expanded = static_cast<int64_t>(product);
    if (expanded < 1) x.fail("expand", fmt::format("expands {} input channels to {}; expected at least 1", in, expanded));
  }
  const int64_t k = x.get(&B::kernel, int64_t{3}), s = x.stride(), d = x.get(&B::dilation, int64_t{1});
  const Act act = x.get(&B::act, Act::Relu);
  const bool has_expand = expanded != in;

  int y = x.input();
  if (fused) {
    y = x.conv("fused", y, has_expand ? expanded : out, k, s, d, 1, act);
  } else {
    if (has_expand) y = x.conv("expand", y, expanded, 1, 1, 1, 1, act);
    y = x.conv("dw", y, expanded, k, s, d, expanded, act);
  }
  const double se = x.get(&B::se, 0.0);
  if (se > 0) {
    const bool on_input = x.get(&B::se_base, SeBase::Expanded) == SeBase::Input;
    y = x.se("se", y, squeeze_channels(se, on_input ? in : expanded, x.get(&B::se_divisor, x.divisor())));
  }
  if (!fused || has_expand) y = x.conv("project", y, out, 1, 1, 1, 1, Act::None);

  const bool can_add = s == 1 && in == out;
  if (b.residual == true && !can_add)
    x.fail("residual", fmt::format("expected a block with stride 1 and input channels == out, got stride {}, {} -> {} channels", s, in, out));
  if (can_add && x.get(&B::residual, true)) x.add("add", {x.input(), y}, Act::None);
}

void expand_basic(BlockExpander& x) {
  const int64_t in = x.in().c, out = x.channels(x.require(&B::out)), s = x.stride();
  const int c1 = x.conv("conv1", x.input(), out, 3, s, 1, 1, Act::Relu);
  const int c2 = x.conv("conv2", c1, out, 3, 1, 1, 1, Act::None);
  const int id = (s != 1 || in != out) ? x.conv("down", x.input(), out, 1, s, 1, 1, Act::None) : x.input();
  x.add("add", {id, c2}, Act::Relu);
}

void expand_bottleneck(BlockExpander& x) {
  const int64_t in = x.in().c, out = x.channels(x.require(&B::out)), s = x.stride();
  const int64_t mid = x.block().mid ? x.channels(*x.block().mid) : out / 4;
  if (mid < 1) x.fail("mid", fmt::format("expected at least 1 channel, got {} (out {} / 4)", mid, out));
  const int c1 = x.conv("conv1", x.input(), mid, 1, 1, 1, 1, Act::Relu);
  const int c2 = x.conv("conv2", c1, mid, 3, s, 1, 1, Act::Relu);
  const int c3 = x.conv("conv3", c2, out, 1, 1, 1, 1, Act::None);
  const int id = (s != 1 || in != out) ? x.conv("down", x.input(), out, 1, s, 1, 1, Act::None) : x.input();
  x.add("add", {id, c3}, Act::Relu);
}

void expand_pool(BlockExpander& x, Op op) {
  const int64_t k = x.require(&B::kernel);
  const int64_t pad = x.get(&B::padding, int64_t{0}), stride = x.stride(k);
  const std::pair<const char*, int64_t> window[] = {{"kernel", k}, {"stride", stride}, {"padding", pad}};
  for (const auto& [key, value] : window)
    if (value > limits::kMaxWindow) x.over_limit(key, value, limits::kMaxWindow);
  Layer l = x.make("", op, {x.input()});
  l.kernel_h = l.kernel_w = static_cast<int>(k);
  l.stride_h = l.stride_w = static_cast<int>(stride);
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = static_cast<int>(pad);
  l.ceil_mode = x.get(&B::ceil_mode, false);
  x.push(std::move(l));
}

void expand_fc(BlockExpander& x) {
  Layer l = x.make("", Op::FullyConnected, {x.input()});
  l.out_channels = x.channels(x.require(&B::out));
  l.bias = x.get(&B::bias, true);
  l.act = x.get(&B::act, Act::None);
  x.push(std::move(l));
}

void expand_merge(BlockExpander& x, Op op) {
  Layer l = x.make("", op, x.inputs());
  if (op == Op::Add) l.act = x.get(&B::act, Act::None);
  x.push(std::move(l));
}

void expand_resize(BlockExpander& x) {
  const std::optional<double> scale = x.find(&B::scale);
  std::optional<std::array<int64_t, 2>> size = x.find(&B::size);
  const std::optional<std::string> like = x.find(&B::like);
  const int given = scale.has_value() + size.has_value() + like.has_value();
  if (given != 1)
    x.fail(like ? "like" : size ? "size" : "scale", "expected exactly one of 'scale', 'size' and 'like'");
  if (like) {
    const Shape& target = x.shape_of(*like, "like");
    size = {target.h, target.w};
  }
  if (scale && !(static_cast<double>(std::max(x.in().h, x.in().w)) * *scale <= limits::kMaxDimension))
    x.fail("scale", fmt::format("resizes {}x{} by {}, over the limit of {} per side (docs/model-format.md, Limits)",
                                x.in().h, x.in().w, *scale, limits::kMaxDimension));
  Layer l = x.make("", Op::Resize, {x.input()});
  l.out_h = size ? (*size)[0] : static_cast<int64_t>(std::floor(static_cast<double>(x.in().h) * *scale));
  l.out_w = size ? (*size)[1] : static_cast<int64_t>(std::floor(static_cast<double>(x.in().w) * *scale));
  if (l.out_h < 1 || l.out_w < 1)
    x.fail("scale", fmt::format("resizes {}x{} to {}x{}; expected at least 1x1", x.in().h, x.in().w, l.out_h, l.out_w));
  l.resize_mode = x.get(&B::mode, ResizeMode::Nearest);
  x.push(std::move(l));
}

void expand_activation(BlockExpander& x) {
  Layer l = x.make("", Op::Activation, {x.input()});
  l.act = x.require(&B::act);
  x.push(std::move(l));
}

void expand_se(BlockExpander& x) {
  const std::optional<int64_t> channels = x.find(&B::se_channels);
  const std::optional<double> ratio = x.find(&B::se);
  if (channels.has_value() == (ratio.has_value() && *ratio > 0))
    x.fail(channels ? "se" : "se_channels", "expected exactly one of 'se_channels' and a positive 'se' ratio");
  x.se("", x.input(), channels ? *channels : squeeze_channels(*ratio, x.in().c, x.get(&B::se_divisor, x.divisor())));
}

void expand_channel_op(BlockExpander& x, Op op) {
  Layer l = x.make("", op, {x.input()});
  if (op == Op::BatchNorm) l.act = x.get(&B::act, Act::None);
  if (op == Op::ChannelShuffle) {
    const int64_t groups = x.require(&B::groups);
    if (groups > limits::kMaxDimension) x.over_limit("groups", groups, limits::kMaxDimension);
    l.groups = static_cast<int>(groups);
  }
  if (op == Op::ChannelSlice) {
    l.slice_begin = x.require(&B::begin);
    l.slice_end = x.require(&B::end);
    // `of` names the input width the range was written for; a scaled input (a width multiplier)
    // scales the range with it, so ShuffleNetV2's halves stay halves.
    if (const std::optional<int64_t> of = x.find(&B::of); of && *of != x.in().c) {
      if (l.slice_end > *of) x.fail("end", fmt::format("{} is past 'of' ({} channels)", l.slice_end, *of));
      auto scale = [&](int64_t v) { return (v * x.in().c + *of / 2) / *of; };
      l.slice_begin = scale(l.slice_begin), l.slice_end = scale(l.slice_end);
    }
  }
  x.push(std::move(l));
}

using ExpandFn = void (*)(BlockExpander&);

const std::map<std::string, ExpandFn>& expanders() {
  static const std::map<std::string, ExpandFn> fns = {
      {"conv", expand_conv},
      {"dwconv", expand_dwconv},
      {"dwsep", expand_dwsep},
      {"ibn", [](BlockExpander& x) { expand_ibn(x, false); }},
      {"fused_ibn", [](BlockExpander& x) { expand_ibn(x, true); }},
      {"basic", expand_basic},
      {"bottleneck", expand_bottleneck},
      {"maxpool", [](BlockExpander& x) { expand_pool(x, Op::MaxPool); }},
      {"avgpool", [](BlockExpander& x) { expand_pool(x, Op::AvgPool); }},
      {"global_pool", [](BlockExpander& x) { x.push(x.make("", Op::GlobalAvgPool, {x.input()})); }},
      {"fc", expand_fc},
      {"add", [](BlockExpander& x) { expand_merge(x, Op::Add); }},
      {"mul", [](BlockExpander& x) { expand_merge(x, Op::Mul); }},
      {"concat", [](BlockExpander& x) { expand_merge(x, Op::Concat); }},
      {"resize", expand_resize},
      {"activation", expand_activation},
      {"se", expand_se},
      {"batchnorm", [](BlockExpander& x) { expand_channel_op(x, Op::BatchNorm); }},
      {"layernorm", [](BlockExpander& x) { expand_channel_op(x, Op::LayerNorm); }},
      {"channel_scale", [](BlockExpander& x) { expand_channel_op(x, Op::ChannelScale); }},
      {"channel_shuffle", [](BlockExpander& x) { expand_channel_op(x, Op::ChannelShuffle); }},
      {"channel_slice", [](BlockExpander& x) { expand_channel_op(x, Op::ChannelSlice); }},
  };
  return fns;
}

bool is_merge(const std::string& type) { return type == "add" || type == "mul" || type == "concat"; }

// Checks what the parser checks, for specs built or edited in code: known type, accepted keys.
const BlockType& check_block(const BlockSpec& b, const std::string& ctx) {
  const BlockType* type = find_block_type(b.type);
  if (!type) {
    std::vector<std::string> names;
    for (const BlockType& t : block_types()) names.push_back(t.name);
    throw input_error("{}: key 'type': unknown block type '{}' (did you mean '{}'?); known types: {}", ctx, b.type,
                      nearest_name(b.type, names), fmt::join(names, ", "));
  }
  for (const BlockKey& key : block_keys()) {
    const bool set = std::visit([&](auto ptr) { return (b.*ptr).has_value(); }, key.field);
    const std::string name = key.name;
    const bool accepted = name == "fixed" || name == "width_min" ||
                          std::any_of(type->keys.begin(), type->keys.end(), [&](const char* k) { return name == k; });
    if (set && !accepted)
      throw input_error("{}: key '{}': not accepted by block type '{}'", ctx, name, b.type);
  }
  if (b.repeat < 1 || b.repeat > limits::kMaxRepeat)
    throw input_error("{}: key 'repeat': expected an integer in 1..{} (docs/model-format.md, Limits), got {}", ctx,
                      limits::kMaxRepeat, b.repeat);
  if (is_merge(b.type) && b.from.size() < 2)
    throw input_error("{}: key 'from': expected a list of at least 2 inputs for block type '{}', got {}", ctx,
                      b.type, b.from.size());
  if (b.type == "mul" && b.from.size() != 2)
    throw input_error("{}: key 'from': expected exactly 2 inputs for block type 'mul', got {}", ctx, b.from.size());
  if (!is_merge(b.type) && b.from.size() > 1)
    throw input_error("{}: key 'from': block type '{}' reads one input, got {}", ctx, b.type, b.from.size());
  return *type;
}

}  // namespace

Network expand(const ModelSpec& spec, const std::string& where) {
  if (spec.input.c < 1 || spec.input.h < 1 || spec.input.w < 1)
    throw input_error("{}: key 'input': expected [C, H, W] (three positive integers), got [{}, {}, {}]", where,
                      spec.input.c, spec.input.h, spec.input.w);
  if (std::max({spec.input.c, spec.input.h, spec.input.w}) > limits::kMaxDimension)
    throw input_error("{}: key 'input': expected each of C, H, W at most {} (docs/model-format.md, Limits), got "
                      "[{}, {}, {}]", where, limits::kMaxDimension, spec.input.c, spec.input.h, spec.input.w);
  if (!(spec.width_multiplier > 0 && spec.width_multiplier <= limits::kMaxRatio))
    throw input_error("{}: key 'width_multiplier': expected a number in (0, {}], got {}", where, limits::kMaxRatio,
                      spec.width_multiplier);
  if (spec.channel_divisor < 1 || spec.channel_divisor > limits::kMaxDimension)
    throw input_error("{}: key 'channel_divisor': expected an integer in 1..{}, got {}", where,
                      limits::kMaxDimension, spec.channel_divisor);
  // Repeats are checked before block_sites() names every copy.
  auto check_repeats = [&](const std::vector<BlockSpec>& blocks, const std::string& section) {
    for (size_t i = 0; i < blocks.size(); ++i)
      if (blocks[i].repeat < 1 || blocks[i].repeat > limits::kMaxRepeat)
        throw input_error("{}: {}[{}]: key 'repeat': expected an integer in 1..{} (docs/model-format.md, Limits), "
                          "got {}", where, section, i, limits::kMaxRepeat, blocks[i].repeat);
  };
  check_repeats(spec.stem, "stem");
  for (size_t s = 0; s < spec.stages.size(); ++s)
    check_repeats(spec.stages[s].blocks, fmt::format("stages[{}].blocks", s));
  check_repeats(spec.head, "head");

  if (spec.batch < 1 || spec.batch > limits::kMaxBatch)
    throw input_error("{}: key 'batch': expected an integer in 1..{}, got {}", where, limits::kMaxBatch, spec.batch);
  Network net;
  net.name = spec.name.empty() ? std::filesystem::path(where).stem().string() : spec.name;
  net.batch = spec.batch;
  Layer input;
  input.name = "input";
  input.op = Op::Input;
  input.out = spec.input;
  net.add(input);
  net.infer_shapes(where);  // the input alone; each block then infers only its own layers

  std::map<std::string, int> names = {{"input", 0}};  // block and layer names -> layer index
  std::map<std::string, std::string> block_origin;    // block name -> its context, for duplicates
  auto all_names = [&] {
    std::vector<std::string> v;
    for (const auto& [n, i] : names) v.push_back(n);
    return v;
  };
  auto resolve = [&](const std::string& ref, const std::string& ctx, const std::string& key) {
    auto it = names.find(ref);
    if (it == names.end())
      throw input_error("{}: key '{}': no block or layer named '{}' defined before this block (did you mean '{}'?)",
                        ctx, key, ref, nearest_name(ref, all_names()));
    return it->second;
  };

  const std::vector<BlockSite> sites = block_sites(spec);
  if (sites.empty()) throw input_error("{}: the model has no blocks (stem, stages and head are empty)", where);
  int prev = 0;
  for (const BlockSite& site : sites) {
    const BlockSpec& b = *site.block;
    for (size_t copy = 0; copy < site.names.size(); ++copy) {
      const std::string& name = site.names[copy];
      const std::string ctx = block_context(where, b.line, site.section, name);
      const BlockType& type = check_block(b, ctx);
      if (name.find('.') != std::string::npos || name == "input")
        throw input_error("{}: key 'name': expected a name without '.' other than 'input', got '{}'", ctx, name);
      if (auto it = block_origin.find(name); it != block_origin.end())
        throw input_error("{}: key 'name': '{}' is already the name of {}", ctx, name, it->second);
      block_origin[name] = site.section;

      std::vector<int> inputs;
      if (copy == 0 && !b.from.empty()) {
        for (const std::string& ref : b.from) inputs.push_back(resolve(ref, ctx, "from"));
      } else {
        inputs.push_back(prev);
      }
      const size_t first_layer = net.layers.size();
      BlockExpander x(net, spec, b, type, name, static_cast<int>(copy), inputs, ctx,
                      [&](const std::string& ref, const std::string& key) { return resolve(ref, ctx, key); });
      for (const char* key : type.required) {
        const auto it = std::find_if(block_keys().begin(), block_keys().end(),
                                     [&](const BlockKey& k) { return std::string(k.name) == key; });
        const bool set = std::visit([&](auto ptr) { return x.find(ptr).has_value(); }, it->field);
        if (!set) x.fail(key, fmt::format("missing (required by block type '{}')", b.type));
      }
      expanders().at(b.type)(x);
      if (static_cast<int64_t>(net.layers.size()) > limits::kMaxLayers)
        throw input_error("{}: the model expands to more than {} layers (docs/model-format.md, Limits)", ctx,
                          limits::kMaxLayers);
      // Only this copy's layers: the earlier ones' shapes are known (re-inferring the whole network
      // per block made `repeat: 10000` take minutes).
      net.infer_shapes(ctx, first_layer);
      for (size_t i = first_layer; i < net.layers.size(); ++i) names[net.layers[i].name] = static_cast<int>(i);
      prev = static_cast<int>(net.layers.size()) - 1;
      names[name] = prev;
    }
  }

  for (size_t i = 0; i < spec.outputs.size(); ++i)
    net.outputs.push_back(resolve(spec.outputs[i], fmt::format("{}: outputs[{}]", where, i), "outputs"));
  net.infer_shapes(where);
  return net;
}

}  // namespace nesim
