// The zero-shot proxies: a score from an untrained network in one forward (and at most one
// backward) pass. References and what each measures: docs/accuracy.md.
#include <cmath>
#include <limits>
#include <random>

#include "nas/torch/graph_module.h"
#include "nas/torch/torch_scorers.h"
#include "sim/util/error.h"

// Pulled into every link by nesim_lib's link options, so that the registrations below survive.
extern "C" {
int nesim_torch_scorers_anchor = 0;
}

namespace nesim::nas {
namespace {

// Proxies draw their minibatch from the first kProxyPool training images (decompressing all
// 60,000 would cost more than the proxy itself).
constexpr int64_t kProxyPool = 1024;

// `n` distinct indices below `pool`, seeded (partial Fisher-Yates; same on every platform).
std::vector<int64_t> draw(int64_t pool, int n, uint64_t seed) {
  std::vector<int64_t> all(static_cast<size_t>(pool));
  for (int64_t i = 0; i < pool; ++i) all[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  const int64_t take = std::min<int64_t>(n, pool);
  for (int64_t i = 0; i < take; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(pool - i));
    std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(j)]);
  }
  all.resize(static_cast<size_t>(take));
  return all;
}

// K_H += c c^T + (1 - c)(1 - c)^T for binary codes c (inputs x units).
void add_hamming_kernel(torch::Tensor& kernel, const torch::Tensor& codes) {
  const torch::Tensor c = codes.to(torch::kDouble);
  const torch::Tensor n = 1.0 - c;
  kernel += c.mm(c.t()) + n.mm(n.t());
}

double log_determinant(const torch::Tensor& kernel) {
  auto [sign, logabs] = torch::linalg::slogdet(kernel);
  if (sign.item<double>() <= 0) return -std::numeric_limits<double>::infinity();
  return logabs.item<double>();
}

struct Minibatch {
  torch::Tensor x, y;
};

Minibatch minibatch(const ScorerOptions& o, uint64_t seed) {
  const ImageSet& data = fashion_mnist(o.data_dir, /*train=*/true, kProxyPool);
  std::vector<int64_t> index = draw(data.count, o.batch, seed);
  return {image_batch(data, index, o), label_batch(data, index)};
}

double naswot(const ModelSpec& spec, const Network& net, const ScorerOptions& o, uint64_t seed) {
  GraphModule m = classifier_module(spec, net, o, seed);
  Minibatch b = minibatch(o, seed);
  const int64_t n = b.x.size(0);
  torch::Tensor kernel = torch::zeros({n, n}, torch::kDouble);
  m->on_rectifier = [&](const torch::Tensor& pre) { add_hamming_kernel(kernel, (pre > 0).flatten(1)); };
  torch::NoGradGuard no_grad;
  m->train();  // batch statistics in BN, as Mellor et al.'s code runs it
  m->forward(b.x);
  return log_determinant(kernel);
}

SynflowBreakdown synflow_of(GraphModule& m, const Shape& input) {
  m->to(torch::kDouble);
  m->eval();
  m->unclamped_relu6 = true;
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : m->parameters()) p.abs_();
  }
  torch::Tensor r = m->forward(torch::ones({1, input.c, input.h, input.w}, torch::kDouble)).sum();
  r.backward();
  SynflowBreakdown b;
  b.r = r.item<double>();
  for (const torch::Tensor& w : m->weights()) {
    const double s = w.grad().defined() ? (w * w.grad()).abs().sum().item<double>() : 0.0;
    b.per_weight.push_back(s);
    b.total += s;
  }
  return b;
}

double synflow(const ModelSpec& spec, const Network& net, const ScorerOptions& o, uint64_t seed) {
  GraphModule m = classifier_module(spec, net, o, seed);
  return synflow_of(m, m->network().input_shape()).total;
}

// One labelled minibatch through the network in training mode; weight gradients of the loss.
GraphModule backward_on_minibatch(const ModelSpec& spec, const Network& net, const ScorerOptions& o, uint64_t seed) {
  GraphModule m = classifier_module(spec, net, o, seed);
  Minibatch b = minibatch(o, seed);
  m->train();
  torch::nn::functional::cross_entropy(m->forward(b.x), b.y).backward();
  return m;
}

double grad_norm(const ModelSpec& spec, const Network& net, const ScorerOptions& o, uint64_t seed) {
  GraphModule m = backward_on_minibatch(spec, net, o, seed);
  double s = 0;
  for (const torch::Tensor& w : m->weights())
    if (w.grad().defined()) s += w.grad().norm().item<double>();
  return s;
}

double snip(const ModelSpec& spec, const Network& net, const ScorerOptions& o, uint64_t seed) {
  GraphModule m = backward_on_minibatch(spec, net, o, seed);
  double s = 0;
  for (const torch::Tensor& w : m->weights())
    if (w.grad().defined()) s += (w * w.grad()).abs().sum().item<double>();
  return s;
}

using ProxyFn = double (*)(const ModelSpec&, const Network&, const ScorerOptions&, uint64_t);

class TorchProxy final : public AccuracyScorer {
 public:
  TorchProxy(std::string name, ProxyFn fn, const ScorerOptions& o) : name_(std::move(name)), fn_(fn), o_(o) {
    if (o_.batch < 2) throw input_error("{}: expected a minibatch of at least 2 images, got {}", name_, o_.batch);
  }
  std::string name() const override { return name_; }
  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const override {
    use_threads(o_.threads);
    const double s = fn_(spec, net, o_, seed);
    if (std::isnan(s)) return {false, 0, name_ + " is NaN (the network's activations overflowed)"};
    return {true, s, {}};
  }

 private:
  std::string name_;
  ProxyFn fn_;
  ScorerOptions o_;
};

const bool registered = [] {
  for (auto [name, fn] : {std::pair<const char*, ProxyFn>{"naswot", &naswot}, {"synflow", &synflow},
                          {"grad_norm", &grad_norm}, {"snip", &snip}})
    register_scorer(name, [name = std::string(name), fn = fn](const ScorerOptions& o) {
      return std::make_unique<TorchProxy>(name, fn, o);
    });
  return true;
}();

}  // namespace

SynflowBreakdown synflow_breakdown(const Network& net, uint64_t seed) {
  torch::manual_seed(seed);
  GraphModule m(net);
  return synflow_of(m, net.input_shape());
}

double naswot_logdet(const std::vector<std::vector<uint8_t>>& codes) {
  const int64_t n = static_cast<int64_t>(codes.size());
  const int64_t units = n ? static_cast<int64_t>(codes[0].size()) : 0;
  torch::Tensor c = torch::zeros({n, units}, torch::kDouble);
  auto a = c.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    if (static_cast<int64_t>(codes[static_cast<size_t>(i)].size()) != units)
      throw input_error("naswot: code {} has {} units, expected {}", i, codes[static_cast<size_t>(i)].size(), units);
    for (int64_t u = 0; u < units; ++u) a[i][u] = codes[static_cast<size_t>(i)][static_cast<size_t>(u)] ? 1.0 : 0.0;
  }
  torch::Tensor kernel = torch::zeros({n, n}, torch::kDouble);
  add_hamming_kernel(kernel, c);
  return log_determinant(kernel);
}

}  // namespace nesim::nas
