// Short training: the candidate trained from scratch on Fashion-MNIST for a fixed number of SGD
// steps, scored by its accuracy on a fixed slice of the test set. The accuracy signal that the
// proxies are judged against (nesim proxy-eval), and a scorer in its own right ("train").
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "nas/torch/training.h"
#include "sim/util/error.h"

extern "C" {
int nesim_torch_train_anchor = 0;
}

namespace nesim::nas {
namespace {

// After a short budget, BN's running statistics (momentum 0.1) still remember their
// initialisation and make eval-mode accuracy meaningless: re-estimated over this many batches.
constexpr int kRecalibrationBatches = 10;

class TrainScorer final : public AccuracyScorer {
 public:
  explicit TrainScorer(const ScorerOptions& o) : o_(o) {
    if (o_.train_steps < 1) throw input_error("train: expected at least 1 training step, got {}", o_.train_steps);
    if (o_.train_batch < 1) throw input_error("train: expected a batch of at least 1 image, got {}", o_.train_batch);
    if (o_.eval_images < 1) throw input_error("train: expected at least 1 test image, got {}", o_.eval_images);
    if (!(o_.learning_rate > 0)) throw input_error("train: expected a positive learning rate, got {}", o_.learning_rate);
  }
  std::string name() const override { return "train"; }

  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const override {
    use_threads(o_.threads);
    const ImageSet& train = fashion_mnist(o_.data_dir, /*train=*/true);
    const ImageSet& test = fashion_mnist(o_.data_dir, /*train=*/false, o_.eval_images);
    GraphModule m = classifier_module(spec, net, o_, seed);
    torch::optim::SGD sgd(m->parameters(),
                          torch::optim::SGDOptions(o_.learning_rate).momentum(0.9).nesterov(true).weight_decay(5e-4));
    Shuffler order(train.count, seed);
    m->train();
    for (int step = 0; step < o_.train_steps; ++step) {
      const double lr = 0.5 * o_.learning_rate * (1 + std::cos(M_PI * step / o_.train_steps));
      static_cast<torch::optim::SGDOptions&>(sgd.param_groups()[0].options()).lr(lr);
      std::vector<int64_t> index = order.next(o_.train_batch);
      torch::Tensor loss = torch::nn::functional::cross_entropy(m->forward(image_batch(train, index, o_)),
                                                                label_batch(train, index));
      if (!std::isfinite(loss.item<double>()))
        return {false, 0, fmt::format("training diverged: loss is {} at step {}", loss.item<double>(), step)};
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      if (o_.on_train_step) o_.on_train_step(step + 1);
    }
    torch::NoGradGuard no_grad;
    recalibrate_batch_norm(m, train, order, kRecalibrationBatches, o_);
    return {true, test_accuracy(m, test, o_), {}};
  }

 private:
  ScorerOptions o_;
};

const bool registered =
    register_scorer("train", [](const ScorerOptions& o) { return std::make_unique<TrainScorer>(o); });

}  // namespace

Shuffler::Shuffler(int64_t n, uint64_t seed) : order_(static_cast<size_t>(n)), rng_(seed) {
  for (int64_t i = 0; i < n; ++i) order_[static_cast<size_t>(i)] = i;
  shuffle();
}

std::vector<int64_t> Shuffler::next(int batch) {
  std::vector<int64_t> out;
  while (static_cast<int>(out.size()) < batch) {
    if (pos_ == order_.size()) shuffle();
    out.push_back(order_[pos_++]);
  }
  return out;
}

void Shuffler::skip(int64_t images) {
  for (; images > 0; --images) {
    if (pos_ == order_.size()) shuffle();
    ++pos_;
  }
}

void Shuffler::shuffle() {
  for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng_() % i]);
  pos_ = 0;
}

void recalibrate_batch_norm(GraphModule& m, const ImageSet& train, Shuffler& order, int batches,
                            const ScorerOptions& o) {
  bool any = false;
  for (const auto& module : m->modules(/*include_self=*/false))
    if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
      bn->reset_running_stats();
      bn->options.momentum(c10::nullopt);  // cumulative average
      any = true;
    }
  if (!any) return;
  torch::NoGradGuard no_grad;
  m->train();
  for (int i = 0; i < batches; ++i) m->forward(image_batch(train, order.next(o.train_batch), o));
}

ImageSet image_subset(const ImageSet& set, const std::vector<int64_t>& index) {
  ImageSet out;
  out.rows = set.rows;
  out.cols = set.cols;
  out.count = static_cast<int64_t>(index.size());
  const size_t image = static_cast<size_t>(set.rows * set.cols);
  out.pixels.reserve(index.size() * image);
  for (int64_t i : index) {
    out.pixels.insert(out.pixels.end(), set.pixels.begin() + static_cast<ptrdiff_t>(static_cast<size_t>(i) * image),
                      set.pixels.begin() + static_cast<ptrdiff_t>(static_cast<size_t>(i + 1) * image));
    out.labels.push_back(set.labels[static_cast<size_t>(i)]);
  }
  return out;
}

double test_accuracy(GraphModule& m, const ImageSet& test, const ScorerOptions& o, std::vector<uint8_t>* hits) {
  torch::NoGradGuard no_grad;
  m->eval();
  if (hits) hits->clear();
  int64_t correct = 0;
  constexpr int64_t kEvalBatch = 500;
  for (int64_t first = 0; first < test.count; first += kEvalBatch) {
    std::vector<int64_t> index;
    for (int64_t i = first; i < std::min(test.count, first + kEvalBatch); ++i) index.push_back(i);
    const torch::Tensor logits = m->forward(image_batch(test, index, o));
    const torch::Tensor labels = label_batch(test, index);
    const torch::Tensor right = logits.argmax(1).eq(labels);
    correct += right.sum().item<int64_t>();
    if (hits) {
      const torch::Tensor r = right.to(torch::kUInt8).contiguous();
      hits->insert(hits->end(), r.data_ptr<uint8_t>(), r.data_ptr<uint8_t>() + r.numel());
    }
  }
  return static_cast<double>(correct) / static_cast<double>(test.count);
}

}  // namespace nesim::nas
