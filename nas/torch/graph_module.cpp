#include "nas/torch/graph_module.h"

#include <pthread.h>

#include <atomic>
#include <limits>

#include <fmt/format.h>

#include "nas/accuracy/classifier_net.h"
#include "nas/torch/torch_scorers.h"
#include "sim/util/error.h"

namespace nesim::nas {
namespace F = torch::nn::functional;

namespace {

// Zero (or -inf for max pooling) padding, top/bottom/left/right as the IR gives it.
torch::Tensor pad(const torch::Tensor& x, const Layer& l, double value) {
  if (l.pad_top == 0 && l.pad_bottom == 0 && l.pad_left == 0 && l.pad_right == 0) return x;
  return F::pad(x, F::PadFuncOptions({l.pad_left, l.pad_right, l.pad_top, l.pad_bottom}).value(value));
}

bool symmetric_padding(const Layer& l) { return l.pad_top == l.pad_bottom && l.pad_left == l.pad_right; }

// libgomp's thread pool does not survive fork(): a forked child (a `--jobs` worker) of a parent
// that already ran a parallel region hangs in its first parallel region of more than one thread
// (every torch scorer under `search --jobs 2` did). A forked child therefore runs libtorch on one
// thread, as PyTorch's DataLoader workers do; `--jobs` is the parallelism there.
std::atomic<bool> in_forked_child{false};
const bool fork_handler_registered = [] {
  return pthread_atfork(nullptr, nullptr, [] { in_forked_child = true; }) == 0;
}();

}  // namespace

void use_threads(int threads) {
  if (in_forked_child) threads = 1;
  if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
  // Trained weights and activations drift into denormal floats, which x86 computes ~100x slower.
  // The flag is per thread: set it on every worker of libtorch's pool too.
  at::globalContext().setFlushDenormal(true);
  at::parallel_for(0, at::get_num_threads(), 1,
                   [](int64_t, int64_t) { at::globalContext().setFlushDenormal(true); });
}

GraphModuleImpl::GraphModuleImpl(const Network& net) : net_(net), nodes_(net.layers.size()) {
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    const Layer& l = net_.layers[i];
    Node& n = nodes_[i];
    const std::string id = fmt::format("l{}", i);
    switch (l.op) {
      case Op::Conv2d: {
        const int64_t in_c = net_.in_shape(l).c;
        auto o = torch::nn::Conv2dOptions(in_c, l.out_channels, {l.kernel_h, l.kernel_w})
                     .stride({l.stride_h, l.stride_w})
                     .dilation({l.dilation_h, l.dilation_w})
                     .groups(l.groups)
                     .bias(l.bias);
        if (symmetric_padding(l)) o.padding(torch::ExpandingArray<2>({l.pad_top, l.pad_left}));
        n.conv = register_module(id + "_conv", torch::nn::Conv2d(o));
        torch::nn::init::kaiming_normal_(n.conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        if (l.bias) torch::nn::init::zeros_(n.conv->bias);
        weights_.push_back(n.conv->weight);
        if (l.batch_norm) n.bn = register_module(id + "_bn", torch::nn::BatchNorm2d(l.out_channels));
        break;
      }
      case Op::FullyConnected: {
        const int64_t in_features = net_.in_shape(l).elements();
        n.fc = register_module(id + "_fc",
                               torch::nn::Linear(torch::nn::LinearOptions(in_features, l.out_channels).bias(l.bias)));
        torch::nn::init::normal_(n.fc->weight, 0.0, 0.01);
        if (l.bias) torch::nn::init::zeros_(n.fc->bias);
        weights_.push_back(n.fc->weight);
        break;
      }
      case Op::SqueezeExcite: {
        const int64_t c = net_.in_shape(l).c;
        n.se_reduce = register_module(id + "_se_reduce", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, l.se_channels, 1)));
        n.se_expand = register_module(id + "_se_expand", torch::nn::Conv2d(torch::nn::Conv2dOptions(l.se_channels, c, 1)));
        for (auto* conv : {&n.se_reduce, &n.se_expand}) {
          torch::nn::init::kaiming_normal_((*conv)->weight, 0.0, torch::kFanOut, torch::kReLU);
          torch::nn::init::zeros_((*conv)->bias);
          weights_.push_back((*conv)->weight);
        }
        break;
      }
      case Op::BatchNorm: n.norm = register_module(id + "_norm", torch::nn::BatchNorm2d(net_.in_shape(l).c)); break;
      case Op::LayerNorm:
        n.layer_norm = register_module(
            id + "_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({net_.in_shape(l).c}).eps(1e-6)));
        break;
      case Op::ChannelScale: n.scale = register_parameter(id + "_scale", torch::ones({net_.in_shape(l).c})); break;
      default: break;
    }
  }
}

torch::Tensor GraphModuleImpl::activate(const torch::Tensor& x, Act act, bool hook) {
  const bool rectifier = act == Act::Relu || act == Act::Relu6 || act == Act::HSwish || act == Act::Swish;
  if (hook && rectifier && on_rectifier) on_rectifier(x);
  switch (act) {
    case Act::None: return x;
    case Act::Relu: return torch::relu(x);
    case Act::Relu6: return unclamped_relu6 ? torch::relu(x) : torch::clamp(x, 0.0, 6.0);
    case Act::HSwish: return torch::hardswish(x);
    case Act::HSigmoid: return torch::hardsigmoid(x);
    case Act::Sigmoid: return torch::sigmoid(x);
    case Act::Swish: return torch::silu(x);
    case Act::Gelu: return torch::gelu(x);
  }
  return x;
}

torch::Tensor GraphModuleImpl::run_layer(size_t i, const std::vector<torch::Tensor>& outs) {
  const Layer& l = net_.layers[i];
  Node& n = nodes_[i];
  auto in = [&](size_t k) -> const torch::Tensor& { return outs[static_cast<size_t>(l.inputs.at(k))]; };
  switch (l.op) {
    case Op::Input: return torch::Tensor();
    case Op::Conv2d: {
      const torch::Tensor x = symmetric_padding(l) ? in(0) : pad(in(0), l, 0.0);
      if (n.bn && !is_training() && fold_batch_norm) {
        // Eval: BN's affine map on running statistics folded into the convolution, which saves
        // a pass over the activations (in NHWC, BN took as long as many a convolution).
        const auto& bn = n.bn->options;
        const torch::Tensor scale = n.bn->weight / torch::sqrt(n.bn->running_var + bn.eps());
        torch::Tensor bias = n.bn->bias - n.bn->running_mean * scale;
        if (n.conv->bias.defined()) bias = bias + n.conv->bias * scale;
        const auto& c = n.conv->options;
        // x is already padded where the padding is asymmetric (the module then has none).
        const auto padding = symmetric_padding(l) ? torch::ExpandingArray<2>({l.pad_top, l.pad_left})
                                                  : torch::ExpandingArray<2>(0);
        return activate(F::conv2d(x, n.conv->weight * scale.view({-1, 1, 1, 1}),
                                  F::Conv2dFuncOptions().bias(bias).stride(c.stride()).padding(padding)
                                      .dilation(c.dilation()).groups(c.groups())),
                        l.act, true);
      }
      torch::Tensor y = n.conv->forward(x);
      if (n.bn) y = n.bn->forward(y);
      return activate(y, l.act, true);
    }
    case Op::FullyConnected: {
      torch::Tensor y = activate(n.fc->forward(in(0).flatten(1)), l.act, true);
      return y.view({y.size(0), y.size(1), 1, 1});  // C x 1 x 1, as the IR says
    }
    case Op::MaxPool:
      return torch::max_pool2d(pad(in(0), l, -std::numeric_limits<double>::infinity()), {l.kernel_h, l.kernel_w},
                               {l.stride_h, l.stride_w}, {0, 0}, {1, 1}, l.ceil_mode);
    case Op::AvgPool:
      return torch::avg_pool2d(pad(in(0), l, 0.0), {l.kernel_h, l.kernel_w}, {l.stride_h, l.stride_w}, {0, 0},
                               l.ceil_mode);
    case Op::GlobalAvgPool: return in(0).mean({2, 3}, /*keepdim=*/true);
    case Op::Add: {
      torch::Tensor y = in(0);
      for (size_t k = 1; k < l.inputs.size(); ++k) y = y + in(k);
      return activate(y, l.act, true);
    }
    case Op::Mul: return activate(in(0) * in(1), l.act, true);
    case Op::Concat: {
      std::vector<torch::Tensor> parts;
      for (size_t k = 0; k < l.inputs.size(); ++k) parts.push_back(in(k));
      return torch::cat(parts, 1);
    }
    case Op::Resize: {
      auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{l.out_h, l.out_w});
      if (l.resize_mode == ResizeMode::Bilinear) o.mode(torch::kBilinear).align_corners(false);
      else o.mode(torch::kNearest);
      return F::interpolate(in(0), o);
    }
    case Op::SqueezeExcite: {
      torch::Tensor s = in(0).mean({2, 3}, true);
      s = activate(n.se_reduce->forward(s), l.se_act, false);
      s = activate(n.se_expand->forward(s), l.se_gate, false);
      return in(0) * s;
    }
    case Op::Activation: return activate(in(0), l.act, true);
    case Op::BatchNorm: return activate(n.norm->forward(in(0)), l.act, true);
    case Op::LayerNorm: return n.layer_norm->forward(in(0).permute({0, 2, 3, 1})).permute({0, 3, 1, 2});
    case Op::ChannelScale: return in(0) * n.scale.view({1, -1, 1, 1});
    case Op::ChannelShuffle: {
      const torch::Tensor& x = in(0);
      const int64_t g = l.groups, n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
      if (!x.is_contiguous(torch::MemoryFormat::ChannelsLast) || x.stride(1) != 1)
        return x.reshape({n, g, c / g, h, w}).transpose(1, 2).reshape(x.sizes());
      // NHWC in memory: shuffle each pixel's channels, so that the layers after stay NHWC.
      return x.permute({0, 2, 3, 1}).reshape({n, h, w, g, c / g}).transpose(3, 4).reshape({n, h, w, c}).permute({0, 3, 1, 2});
    }
    case Op::ChannelSlice: return in(0).narrow(1, l.slice_begin, l.slice_end - l.slice_begin);
  }
  return torch::Tensor();
}

void GraphModuleImpl::share_weights(
    const std::function<torch::Tensor(const std::string& slot, const torch::Tensor& own)>& share) {
  weights_.clear();
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    const std::string& name = net_.layers[i].name;
    Node& n = nodes_[i];
    auto swap = [&](torch::Tensor& t, const std::string& role, bool is_weight) {
      if (!t.defined()) return;
      t = share(name + "/" + role, t);
      if (is_weight) weights_.push_back(t);
    };
    if (n.conv) swap(n.conv->weight, "conv.weight", true), swap(n.conv->bias, "conv.bias", false);
    if (n.bn) swap(n.bn->weight, "bn.weight", false), swap(n.bn->bias, "bn.bias", false);
    if (n.fc) swap(n.fc->weight, "fc.weight", true), swap(n.fc->bias, "fc.bias", false);
    if (n.se_reduce) swap(n.se_reduce->weight, "se_reduce.weight", true), swap(n.se_reduce->bias, "se_reduce.bias", false);
    if (n.se_expand) swap(n.se_expand->weight, "se_expand.weight", true), swap(n.se_expand->bias, "se_expand.bias", false);
    if (n.norm) swap(n.norm->weight, "norm.weight", false), swap(n.norm->bias, "norm.bias", false);
    if (n.layer_norm) swap(n.layer_norm->weight, "ln.weight", false), swap(n.layer_norm->bias, "ln.bias", false);
    if (n.scale.defined()) swap(n.scale, "scale", false);
  }
}

std::vector<torch::Tensor> GraphModuleImpl::run(const torch::Tensor& x, bool keep_all) {
  const size_t out = static_cast<size_t>(net_.output_indices().at(0));
  const size_t last = keep_all ? net_.layers.size() - 1 : out;
  if (!keep_all && last_reader_.empty()) {
    last_reader_.assign(net_.layers.size(), 0);
    for (size_t i = 0; i < net_.layers.size(); ++i)
      for (int j : net_.layers[i].inputs) last_reader_[static_cast<size_t>(j)] = i;
  }
  std::vector<torch::Tensor> outs(net_.layers.size());
  outs[0] = x;
  for (size_t i = 1; i <= last; ++i) {
    if (net_.layers[i].op == Op::Input)
      throw input_error("{}: layer '{}': a second network input is not supported by the libtorch scorers", net_.name,
                        net_.layers[i].name);
    outs[i] = run_layer(i, outs);
    if (keep_all) continue;
    for (int j : net_.layers[i].inputs)
      if (last_reader_[static_cast<size_t>(j)] == i && static_cast<size_t>(j) != out) outs[static_cast<size_t>(j)].reset();
  }
  return outs;
}

std::vector<torch::Tensor> GraphModuleImpl::forward_all(const torch::Tensor& x) { return run(x, true); }

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& x) {
  return run(x, false)[static_cast<size_t>(net_.output_indices().at(0))].flatten(1);
}

GraphModule classifier_module(const ModelSpec& spec, const Network& net, const ScorerOptions& options, uint64_t seed) {
  Network c = classifier_network(spec, net, classifier_shape(options));
  torch::manual_seed(seed);
  return GraphModule(c);
}

torch::Tensor image_batch(const ImageSet& set, const std::vector<int64_t>& index, const ScorerOptions& options) {
  const int64_t n = static_cast<int64_t>(index.size()), pixels = set.rows * set.cols;
  torch::Tensor raw = torch::empty({n, 1, set.rows, set.cols}, torch::kUInt8);
  uint8_t* dst = raw.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i)
    std::copy_n(set.pixels.data() + index[static_cast<size_t>(i)] * pixels, pixels, dst + i * pixels);
  constexpr double kMean = 0.2860, kStd = 0.3530;  // Fashion-MNIST training set
  torch::Tensor x = (raw.to(torch::kFloat) / 255.0 - kMean) / kStd;
  if (options.input_size != set.rows || options.input_size != set.cols)
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{options.input_size, options.input_size})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  if (options.in_channels != 1) x = x.repeat({1, options.in_channels, 1, 1});
  return channels_last(x);
}

torch::Tensor channels_last(const torch::Tensor& x) {
  torch::Tensor nhwc = torch::empty(x.sizes(), x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  return nhwc.copy_(x);
}

torch::Tensor label_batch(const ImageSet& set, const std::vector<int64_t>& index) {
  torch::Tensor y = torch::empty({static_cast<int64_t>(index.size())}, torch::kLong);
  auto a = y.accessor<int64_t, 1>();
  for (size_t i = 0; i < index.size(); ++i) a[static_cast<int64_t>(i)] = set.labels[static_cast<size_t>(index[i])];
  return y;
}

std::vector<TorchLayerOutput> torch_layer_outputs(const Network& net, uint64_t seed) {
  torch::manual_seed(seed);
  GraphModule m(net);
  m->eval();
  torch::NoGradGuard no_grad;
  const Shape& s = net.input_shape();
  std::vector<torch::Tensor> outs = m->forward_all(channels_last(torch::randn({2, s.c, s.h, s.w})));
  std::vector<TorchLayerOutput> layers;
  for (const torch::Tensor& t : outs) {
    if (t.dim() == 4 && t.size(0) == 2)
      layers.push_back({{t.size(1), t.size(2), t.size(3)},
                        t.stride(1) == 1 && t.is_contiguous(torch::MemoryFormat::ChannelsLast)});
    else layers.push_back({{-1, -1, -1}, false});
  }
  return layers;
}

namespace {

// max |a - b| relative to max |a|.
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1e-30, a.abs().max().item<double>());
}

}  // namespace

double torch_fold_difference(const Network& net, uint64_t seed) {
  torch::manual_seed(seed);
  GraphModule m(net);
  torch::NoGradGuard no_grad;
  const Shape& s = net.input_shape();
  m->train();  // running statistics away from their 0 and 1
  for (int i = 0; i < 3; ++i) m->forward(channels_last(torch::randn({4, s.c, s.h, s.w}) * (i + 1) + i));
  for (auto& p : m->named_parameters())
    if (p.key().find("_bn.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  m->eval();
  const torch::Tensor x = channels_last(torch::randn({2, s.c, s.h, s.w}));
  const torch::Tensor folded = m->forward(x);
  m->fold_batch_norm = false;
  return relative_difference(m->forward(x), folded);
}

double torch_layout_difference(const Network& net, uint64_t seed) {
  torch::manual_seed(seed);
  GraphModule m(net);
  m->eval();
  torch::NoGradGuard no_grad;
  const Shape& s = net.input_shape();
  const torch::Tensor x = torch::randn({2, s.c, s.h, s.w});
  return relative_difference(m->forward(x), m->forward(channels_last(x)));
}

}  // namespace nesim::nas
