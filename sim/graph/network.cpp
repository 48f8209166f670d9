#include "sim/graph/network.h"

#include <algorithm>
#include <array>
#include <utility>

#include "sim/graph/limits.h"
#include "sim/graph/stats.h"
#include "sim/util/checked.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

constexpr std::array<std::pair<Op, const char*>, 17> kOpNames = {{
    {Op::Input, "input"},
    {Op::Conv2d, "conv2d"},
    {Op::FullyConnected, "fc"},
    {Op::MaxPool, "maxpool"},
    {Op::AvgPool, "avgpool"},
    {Op::GlobalAvgPool, "global_avgpool"},
    {Op::Add, "add"},
    {Op::Mul, "mul"},
    {Op::Concat, "concat"},
    {Op::Resize, "resize"},
    {Op::SqueezeExcite, "se"},
    {Op::Activation, "activation"},
    {Op::BatchNorm, "batchnorm"},
    {Op::LayerNorm, "layernorm"},
    {Op::ChannelScale, "channel_scale"},
    {Op::ChannelShuffle, "channel_shuffle"},
    {Op::ChannelSlice, "channel_slice"},
}};

constexpr std::array<std::pair<Act, const char*>, 8> kActNames = {{
    {Act::None, "none"},
    {Act::Relu, "relu"},
    {Act::Relu6, "relu6"},
    {Act::HSwish, "hswish"},
    {Act::HSigmoid, "hsigmoid"},
    {Act::Sigmoid, "sigmoid"},
    {Act::Swish, "swish"},
    {Act::Gelu, "gelu"},
}};

template <typename E, size_t N>
const char* name_of(const std::array<std::pair<E, const char*>, N>& table, E e) {
  for (const auto& [value, name] : table)
    if (value == e) return name;
  return "?";
}

template <typename E, size_t N>
std::optional<E> parse(const std::array<std::pair<E, const char*>, N>& table, const std::string& s) {
  for (const auto& [value, name] : table)
    if (s == name) return value;
  return std::nullopt;
}

std::string str(const Shape& s) { return fmt::format("{}x{}x{}", s.c, s.h, s.w); }

// Output extent of a sliding window: floor((in + pads - dilation*(k-1) - 1) / stride) + 1, or with
// `ceil` rounded up, less a last window that would start in the bottom/right padding (torch's rule).
int64_t window_out(int64_t in, int pad_lo, int pad_hi, int kernel, int stride, int dilation, bool ceil = false) {
  const int64_t span = in + pad_lo + pad_hi - int64_t{dilation} * (kernel - 1) - 1;
  if (span < 0) return 0;
  if (!ceil) return span / stride + 1;
  int64_t out = (span + stride - 1) / stride + 1;
  if ((out - 1) * stride >= in + pad_lo) --out;
  return out;
}

// Infers one layer's output; `fail` formats an InputError naming the layer.
class ShapeChecker {
 public:
  ShapeChecker(const Network& net, const std::string& where, int index)
      : net_(net), l_(net.layers[index]), where_(where), index_(index) {}

  template <typename... Args>
  InputError fail(fmt::format_string<Args...> f, Args&&... args) const {
    const std::string who = l_.name.empty() ? fmt::format("layer #{}", index_) : fmt::format("layer '{}'", l_.name);
    return input_error("{}: {}: {}", where_, who, fmt::format(f, std::forward<Args>(args)...));
  }

  Shape infer() const {
    switch (l_.op) {
      case Op::Input: return l_.out;  // shape given, checked by infer_shapes
      case Op::Conv2d: return conv();
      case Op::FullyConnected: {
        arity(1, 1);
        if (l_.out_channels < 1) throw fail("expected out_channels >= 1, got {}", l_.out_channels);
        return {l_.out_channels, 1, 1};
      }
      case Op::MaxPool:
      case Op::AvgPool: return pool();
      case Op::GlobalAvgPool: arity(1, 1); return {in(0).c, 1, 1};
      case Op::Add: return add();
      case Op::Mul: return mul();
      case Op::Concat: return concat();
      case Op::Resize: {
        arity(1, 1);
        if (l_.out_h < 1 || l_.out_w < 1) throw fail("expected out_h and out_w >= 1, got {}x{}", l_.out_h, l_.out_w);
        return {in(0).c, l_.out_h, l_.out_w};
      }
      case Op::SqueezeExcite:
        arity(1, 1);
        if (l_.se_channels < 1) throw fail("expected se_channels >= 1, got {}", l_.se_channels);
        return in(0);
      case Op::Activation:
      case Op::BatchNorm:
      case Op::LayerNorm:
      case Op::ChannelScale: arity(1, 1); return in(0);
      case Op::ChannelShuffle:
        arity(1, 1);
        if (l_.groups < 1 || in(0).c % l_.groups != 0)
          throw fail("expected groups to divide the input's {} channels, got groups {}", in(0).c, l_.groups);
        return in(0);
      case Op::ChannelSlice:
        arity(1, 1);
        if (l_.slice_begin < 0 || l_.slice_end <= l_.slice_begin || l_.slice_end > in(0).c)
          throw fail("expected a channel range 0 <= begin < end <= {}, got [{}, {})", in(0).c, l_.slice_begin,
                     l_.slice_end);
        return {l_.slice_end - l_.slice_begin, in(0).h, in(0).w};
    }
    throw fail("unknown op {}", static_cast<int>(l_.op));
  }

 private:
  const Shape& in(int k) const { return net_.layers[l_.inputs[k]].out; }
  std::string in_desc(int k) const {
    return fmt::format("{} ('{}')", str(in(k)), net_.layers[l_.inputs[k]].name);
  }

  void arity(size_t lo, size_t hi) const {
    const size_t n = l_.inputs.size();
    if (n >= lo && n <= hi) return;
    if (lo == hi) throw fail("expected exactly {} input{} for {}, got {}", lo, lo == 1 ? "" : "s", op_name(l_.op), n);
    throw fail("expected at least {} inputs for {}, got {}", lo, op_name(l_.op), n);
  }

  // Kernel, stride and padding checks shared by convolution and pooling; returns the output H x W.
  std::pair<int64_t, int64_t> window(int dil_h, int dil_w) const {
    if (l_.kernel_h < 1 || l_.kernel_w < 1) throw fail("expected kernel >= 1, got {}x{}", l_.kernel_h, l_.kernel_w);
    if (l_.stride_h < 1 || l_.stride_w < 1) throw fail("expected stride >= 1, got {}x{}", l_.stride_h, l_.stride_w);
    if (dil_h < 1 || dil_w < 1) throw fail("expected dilation >= 1, got {}x{}", dil_h, dil_w);
    if (std::min({l_.pad_top, l_.pad_bottom, l_.pad_left, l_.pad_right}) < 0)
      throw fail("expected padding >= 0, got top {} bottom {} left {} right {}", l_.pad_top, l_.pad_bottom,
                 l_.pad_left, l_.pad_right);
    const std::pair<const char*, int> geometry[] = {
        {"kernel", std::max(l_.kernel_h, l_.kernel_w)}, {"stride", std::max(l_.stride_h, l_.stride_w)},
        {"dilation", std::max(dil_h, dil_w)},
        {"padding", std::max({l_.pad_top, l_.pad_bottom, l_.pad_left, l_.pad_right})}};
    for (const auto& [key, value] : geometry)
      if (value > limits::kMaxWindow)
        throw fail("{} {} is over the limit of {} (docs/model-format.md, Limits)", key, value, limits::kMaxWindow);
    const Shape& s = in(0);
    const int64_t h = window_out(s.h, l_.pad_top, l_.pad_bottom, l_.kernel_h, l_.stride_h, dil_h, l_.ceil_mode);
    const int64_t w = window_out(s.w, l_.pad_left, l_.pad_right, l_.kernel_w, l_.stride_w, dil_w, l_.ceil_mode);
    if (h < 1 || w < 1)
      throw fail("expected an output of at least 1x1, got {}x{} (input {}, kernel {}x{}, dilation {}x{})", h, w, str(s),
                 l_.kernel_h, l_.kernel_w, dil_h, dil_w);
    return {h, w};
  }

  Shape conv() const {
    arity(1, 1);
    if (l_.out_channels < 1) throw fail("expected out_channels >= 1, got {}", l_.out_channels);
    const int64_t c = in(0).c;
    if (l_.groups < 1 || c % l_.groups != 0 || l_.out_channels % l_.groups != 0)
      throw fail("expected groups to divide input channels {} and out_channels {}, got groups {}", c, l_.out_channels,
                 l_.groups);
    const auto [h, w] = window(l_.dilation_h, l_.dilation_w);
    return {l_.out_channels, h, w};
  }

  Shape pool() const {
    arity(1, 1);
    const auto [h, w] = window(1, 1);
    return {in(0).c, h, w};
  }

  Shape add() const {
    arity(2, SIZE_MAX);
    for (size_t k = 1; k < l_.inputs.size(); ++k)
      if (in(k) != in(0))
        throw fail("expected inputs of equal shape, got {} and {}", in_desc(0), in_desc(static_cast<int>(k)));
    return in(0);
  }

  // Equal shapes, or one operand C x 1 x 1 broadcast over the other's H x W (SE-style gating).
  Shape mul() const {
    arity(2, 2);
    const Shape &a = in(0), &b = in(1);
    const auto gate_of = [](const Shape& x, const Shape& g) { return g.c == x.c && g.h == 1 && g.w == 1; };
    if (a == b || gate_of(a, b)) return a;
    if (gate_of(b, a)) return b;
    throw fail("expected inputs of equal shape or one of C x 1 x 1 with the same C, got {} and {}", in_desc(0),
               in_desc(1));
  }

  Shape concat() const {
    arity(2, SIZE_MAX);
    Shape out = in(0);
    for (size_t k = 1; k < l_.inputs.size(); ++k) {
      if (in(k).h != out.h || in(k).w != out.w)
        throw fail("expected inputs with equal H and W, got {} and {}", in_desc(0), in_desc(static_cast<int>(k)));
      out.c += in(k).c;
    }
    return out;
  }

 public:
  // The inferred output and the layer's counts are inside limits.h, so nothing derived later
  // (bytes, MACs, tiles, cycles) can overflow.
  void check_limits(const Shape& out) const {
    const std::pair<const char*, int64_t> sizes[] = {{"out_channels", l_.out_channels},
                                                     {"se_channels", l_.se_channels},
                                                     {"out_h", l_.out_h},
                                                     {"out_w", l_.out_w},
                                                     {"output channels", out.c},
                                                     {"output height", out.h},
                                                     {"output width", out.w}};
    for (const auto& [what, value] : sizes)
      if (value > limits::kMaxDimension)
        throw fail("{} {} is over the limit of {} (docs/model-format.md, Limits)", what, value,
                   limits::kMaxDimension);
    const std::optional<int64_t> elements = checked::mul(out.c, out.h, out.w);
    if (!elements || *elements > limits::kMaxTensorElements)
      throw fail("output {} has more than {} elements (docs/model-format.md, Limits)", str(out),
                 limits::kMaxTensorElements);
    const LayerCounts counts = try_layer_counts(net_, l_);
    if (!counts.params || *counts.params > limits::kMaxLayerWeights)
      throw fail("more than {} parameters (docs/model-format.md, Limits)", limits::kMaxLayerWeights);
    if (!counts.macs || *counts.macs > limits::kMaxLayerMacs)
      throw fail("more than {} MACs (docs/model-format.md, Limits)", limits::kMaxLayerMacs);
    if (!counts.vector_ops || *counts.vector_ops > limits::kMaxLayerMacs)
      throw fail("more than {} vector operations (docs/model-format.md, Limits)", limits::kMaxLayerMacs);
  }

 private:
  const Network& net_;
  const Layer& l_;
  const std::string& where_;
  int index_;
};

}  // namespace

const char* op_name(Op op) { return name_of(kOpNames, op); }
const char* act_name(Act act) { return name_of(kActNames, act); }
std::optional<Op> parse_op(const std::string& s) { return parse(kOpNames, s); }
std::optional<Act> parse_act(const std::string& s) { return parse(kActNames, s); }

int Network::add(Layer layer) {
  const int index = static_cast<int>(layers.size());
  index_.emplace(layer.name, index);
  layers.push_back(std::move(layer));
  return index;
}

int Network::find(const std::string& layer_name) const {
  if (auto it = index_.find(layer_name); it != index_.end()) {
    const size_t i = static_cast<size_t>(it->second);
    if (i < layers.size() && layers[i].name == layer_name) return it->second;
  }
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == layer_name) return static_cast<int>(i);
  return -1;
}

void Network::infer_shapes(const std::string& where, size_t first_new) {
  if (layers.empty()) throw input_error("{}: the network has no layers (expected an 'input' layer first)", where);
  if (static_cast<int64_t>(layers.size()) > limits::kMaxLayers)
    throw input_error("{}: {} layers is over the limit of {} (docs/model-format.md, Limits)", where, layers.size(),
                      limits::kMaxLayers);
  if (first_new == 0) index_.clear();
  for (size_t i = first_new; i < layers.size(); ++i) {
    Layer& l = layers[i];
    const int index = static_cast<int>(i);
    const ShapeChecker check(*this, where, index);
    if (l.name.empty()) throw check.fail("expected a non-empty name");
    if (auto [it, fresh] = index_.emplace(l.name, index); !fresh && it->second != index)
      throw check.fail("expected a unique name, but layer {} has it too", it->second);
    if (i == 0 && l.op != Op::Input) throw check.fail("expected layer 0 to be the 'input', got {}", op_name(l.op));
    if (l.op == Op::Input) {  // layer 0, or an independent input (SCALE-Sim topology rows)
      if (!l.inputs.empty()) throw check.fail("expected the input layer to have no inputs, got {}", l.inputs.size());
      if (l.out.c < 1 || l.out.h < 1 || l.out.w < 1)
        throw check.fail("expected a positive input shape C x H x W, got {}", str(l.out));
      check.check_limits(l.out);
      continue;
    }
    for (int p : l.inputs)
      if (p < 0 || p >= index)
        throw check.fail("expected inputs from earlier layers (index < {}), got index {}", index, p);
    l.out = check.infer();
    check.check_limits(l.out);
  }
  for (size_t k = 0; k < outputs.size(); ++k)
    if (outputs[k] < 0 || static_cast<size_t>(outputs[k]) >= layers.size())
      throw input_error("{}: outputs[{}]: expected a layer index below {}, got {}", where, k, layers.size(),
                        outputs[k]);
}

std::vector<int> Network::output_indices() const {
  if (!outputs.empty()) return outputs;
  if (layers.empty()) return {};
  return {static_cast<int>(layers.size()) - 1};
}

std::vector<std::vector<int>> Network::consumers() const {
  std::vector<std::vector<int>> result(layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    for (int p : layers[i].inputs) {
      std::vector<int>& c = result.at(p);
      if (c.empty() || c.back() != static_cast<int>(i)) c.push_back(static_cast<int>(i));
    }
  return result;
}

std::string layer_op_name(const Network& net, const Layer& l) {
  if (l.op == Op::Conv2d && l.inputs.size() == 1 && l.is_depthwise(net.in_shape(l))) return "dwconv2d";
  return op_name(l.op);
}

}  // namespace nesim
