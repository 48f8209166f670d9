#include "nas/accuracy/scorer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/graph/stats.h"
#include "sim/util/error.h"

namespace nesim::nas {
namespace {

std::map<std::string, ScorerFactory>& registry() {
  static std::map<std::string, ScorerFactory> r;
  return r;
}

// Set by delegate_torch_scorers(): nullopt in a process that links libtorch or never asked.
std::optional<bool>& torch_delegate() {
  static std::optional<bool> available;
  return available;
}

// The parameter-free scorers, on the network that is trained (the proxy task's classifier), not
// the deployed one: a 1000-class head or a 224 x 224 input would otherwise dominate them.
class ClosedFormScorer : public AccuracyScorer {
 public:
  explicit ClosedFormScorer(const ScorerOptions& o) : shape_(classifier_shape(o)) {}
  bool closed_form() const override { return true; }
  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t) const override {
    return {true, measure(classifier_network(spec, net, shape_)), {}};
  }

 protected:
  virtual double measure(const Network& trained) const = 0;

 private:
  ClassifierShape shape_;
};

class ParamsScorer final : public ClosedFormScorer {
 public:
  using ClosedFormScorer::ClosedFormScorer;
  std::string name() const override { return "params"; }

 private:
  double measure(const Network& net) const override {
    int64_t p = 0;
    for (const Layer& l : net.layers) p += layer_params(net, l);
    return static_cast<double>(p);
  }
};

class MacsScorer final : public ClosedFormScorer {
 public:
  using ClosedFormScorer::ClosedFormScorer;
  std::string name() const override { return "macs"; }

 private:
  double measure(const Network& net) const override {
    int64_t m = 0;
    for (const Layer& l : net.layers) m += layer_macs(net, l);
    return static_cast<double>(m);
  }
};

class EntropyScorer final : public ClosedFormScorer {
 public:
  using ClosedFormScorer::ClosedFormScorer;
  std::string name() const override { return "entropy"; }

 private:
  double measure(const Network& net) const override { return entropy_score(net); }
};

const bool builtins_registered = [] {
  register_scorer("params", [](const ScorerOptions& o) { return std::make_unique<ParamsScorer>(o); });
  register_scorer("macs", [](const ScorerOptions& o) { return std::make_unique<MacsScorer>(o); });
  register_scorer("entropy", [](const ScorerOptions& o) { return std::make_unique<EntropyScorer>(o); });
  return true;
}();

}  // namespace

bool register_scorer(const std::string& name, ScorerFactory factory) {
  registry()[name] = std::move(factory);
  return true;
}

const std::vector<std::string>& torch_scorer_names() {
  static const std::vector<std::string> names = {"grad_norm", "naswot", "snip", "supernet", "synflow", "train"};
  return names;
}

void delegate_torch_scorers(bool available) { torch_delegate() = available; }

std::vector<std::string> scorer_names() {
  (void)builtins_registered;
  std::vector<std::string> names;
  for (const auto& [n, f] : registry()) names.push_back(n);
  if (torch_delegate().value_or(false))
    for (const std::string& n : torch_scorer_names())
      if (!registry().count(n)) names.push_back(n);
  std::sort(names.begin(), names.end());
  return names;
}

std::string default_proxy() {
  (void)builtins_registered;
  return "params";
}

void check_scorer(const std::string& name) {
  (void)builtins_registered;
  auto it = registry().find(name);
  const auto& torch = torch_scorer_names();
  if (it == registry().end() && torch_delegate() &&
      std::find(torch.begin(), torch.end(), name) != torch.end()) {
    if (*torch_delegate()) throw TorchScorerNeeded(name);
    throw input_error("accuracy scorer '{}' needs libtorch, and this nesim was built without it "
                      "(-DNESIM_WITH_TORCH=OFF): available here: {}", name, fmt::join(scorer_names(), ", "));
  }
  if (it == registry().end())
    throw input_error("unknown accuracy scorer '{}': expected one of {}", name,
                      fmt::join(scorer_names(), ", "));
}

std::unique_ptr<AccuracyScorer> make_scorer(const std::string& name, const ScorerOptions& options) {
  check_scorer(name);
  return registry().find(name)->second(options);
}

double entropy_score(const Network& net) {
  double h = 0;
  for (const Layer& l : net.layers) {
    if (l.op != Op::Conv2d && l.op != Op::FullyConnected) continue;
    if (l.inputs.empty()) continue;
    const Shape& in = net.in_shape(l);
    double fan_in = l.op == Op::Conv2d
                        ? static_cast<double>(in.c / std::max(1, l.groups)) * l.kernel_h * l.kernel_w
                        : static_cast<double>(in.elements());
    h += std::log(std::max(1.0, fan_in));
  }
  // MAE-DET's resolution term: log(C * H * W) of each final feature map, i.e. what a global pool
  // reads and every spatial network output (detection heads, segmentation maps).
  for (const Layer& l : net.layers)
    if (l.op == Op::GlobalAvgPool) h += std::log(std::max<double>(1.0, net.in_shape(l).elements()));
  for (int o : net.output_indices())
    if (const Shape& s = net.layers[o].out; s.h * s.w > 1) h += std::log(static_cast<double>(s.elements()));
  return h;
}

}  // namespace nesim::nas
