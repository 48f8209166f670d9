// The supernet oracle's libtorch side (nas/accuracy/supernet.h): the shared weights, their
// training with the sandwich rule, the file format, and the "supernet" scorer.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/classifier_net.h"
#include "nas/accuracy/supernet.h"
#include "nas/torch/training.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

extern "C" {
int nesim_torch_supernet_anchor = 0;
}

namespace nesim::nas {
namespace {

using Shape4 = std::vector<int64_t>;
constexpr const char* kMagic = "nesim-supernet-1\n";

// The learned tensors GraphModuleImpl builds for `c`, by slot name, with their shapes: from the
// IR, so that thousands of candidates are scanned without building a module.
void collect_slots(const Network& c, std::map<std::string, Shape4>& largest) {
  auto grow = [&](const std::string& slot, Shape4 shape) {
    Shape4& s = largest[slot];
    if (s.empty()) s = shape;
    for (size_t d = 0; d < shape.size(); ++d) s[d] = std::max(s[d], shape[d]);
  };
  for (const Layer& l : c.layers) {
    if (l.inputs.empty()) continue;
    const Shape& in = c.in_shape(l);
    if (l.op == Op::Conv2d) {
      grow(l.name + "/conv.weight", {l.out_channels, in.c / l.groups, l.kernel_h, l.kernel_w});
      if (l.bias) grow(l.name + "/conv.bias", {l.out_channels});
      if (l.batch_norm) grow(l.name + "/bn.weight", {l.out_channels}), grow(l.name + "/bn.bias", {l.out_channels});
    } else if (l.op == Op::FullyConnected) {
      grow(l.name + "/fc.weight", {l.out_channels, in.elements()});
      if (l.bias) grow(l.name + "/fc.bias", {l.out_channels});
    } else if (l.op == Op::BatchNorm) {
      grow(l.name + "/norm.weight", {in.c}), grow(l.name + "/norm.bias", {in.c});
    } else if (l.op == Op::LayerNorm) {
      grow(l.name + "/ln.weight", {in.c}), grow(l.name + "/ln.bias", {in.c});
    } else if (l.op == Op::ChannelScale) {
      grow(l.name + "/scale", {in.c});
    } else if (l.op == Op::SqueezeExcite) {
      grow(l.name + "/se_reduce.weight", {l.se_channels, in.c, 1, 1});
      grow(l.name + "/se_reduce.bias", {l.se_channels});
      grow(l.name + "/se_expand.weight", {in.c, l.se_channels, 1, 1});
      grow(l.name + "/se_expand.bias", {in.c});
    }
  }
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Which test images tell the space's candidates apart (docs/accuracy.md, "Contested test images"):
// probe candidates of the space, scored from the trained weights on the whole test set. An image
// every probe gets right (or every probe gets wrong) hardly moves one candidate's accuracy against
// another's; the oracle scores on the contested rest and counts the sure ones as the probes did.
struct TestSelection {
  int probes = 0;
  int64_t images = 0;               // the test images looked at (the whole test set)
  int64_t all_right = 0;            // right for every probe
  std::vector<int64_t> contested;   // right for some probes, wrong for others; ascending
};

// The shared weights. A candidate's tensor is the leading slice (channels) and the centred window
// (kernel) of its slot's tensor.
class Supernet {
 public:
  Supernet() = default;
  Supernet(const std::map<std::string, Shape4>& shapes, uint64_t seed) {
    torch::manual_seed(seed);
    for (const auto& [slot, shape] : shapes) {
      torch::Tensor t = torch::empty(shape);
      if (ends_with(slot, "bn.weight") || ends_with(slot, "norm.weight") || ends_with(slot, "ln.weight") ||
          ends_with(slot, "/scale"))
        torch::nn::init::ones_(t);
      else if (ends_with(slot, ".bias")) torch::nn::init::zeros_(t);
      else if (ends_with(slot, "fc.weight")) torch::nn::init::normal_(t, 0.0, 0.01);
      else torch::nn::init::kaiming_normal_(t, 0.0, torch::kFanOut, torch::kReLU);
      weights_[slot] = t.set_requires_grad(true);
    }
  }

  torch::Tensor slice(const std::string& slot, const torch::Tensor& own) const {
    auto it = weights_.find(slot);
    if (it == weights_.end())
      throw input_error("supernet: the candidate has a layer the supernet never saw ('{}'); it is outside the space "
                        "the supernet was trained on",
                        slot);
    torch::Tensor t = it->second;
    for (int64_t d = 0; d < own.dim(); ++d) {
      const int64_t want = own.size(d), have = t.size(d);
      if (want > have)
        throw input_error("supernet: layer '{}' needs {} along dimension {}, the supernet holds {}; the candidate is "
                          "outside the space it was trained on",
                          slot, want, d, have);
      t = t.narrow(d, d >= 2 ? (have - want) / 2 : 0, want);  // kernels: the centre
    }
    return t;
  }

  GraphModule candidate(const Network& c) const {
    torch::manual_seed(0);  // the module's own (unused) weights; BN buffers are fresh either way
    GraphModule m(c);
    m->share_weights([this](const std::string& slot, const torch::Tensor& own) { return slice(slot, own); });
    return m;
  }

  // Weights read back by parse() as training weights again (a resumed training).
  void make_trainable() {
    for (auto& [slot, t] : weights_) t.set_requires_grad(true);
  }
  bool same_slots(const Supernet& other) const {
    if (weights_.size() != other.weights_.size()) return false;
    for (auto a = weights_.begin(), b = other.weights_.begin(); a != weights_.end(); ++a, ++b)
      if (a->first != b->first || a->second.sizes() != b->second.sizes()) return false;
    return true;
  }

  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& [slot, t] : weights_) out.push_back(t);
    return out;
  }
  int64_t parameter_count() const {
    int64_t n = 0;
    for (const auto& [slot, t] : weights_) n += t.numel();
    return n;
  }
  size_t tensors() const { return weights_.size(); }
  const std::optional<TestSelection>& selection() const { return selection_; }
  void set_selection(TestSelection s) { selection_ = std::move(s); }

  // "nesim-supernet-1\n", one line of JSON (the proxy task and every slot's shape, in name
  // order), then the float32 values of every slot in that order, little-endian.
  std::string serialize(const ScorerOptions& task) const {
    nlohmann::ordered_json h;
    h["proxy_task"] = {{"input_size", task.input_size}, {"in_channels", task.in_channels},
                       {"classes", task.classes}, {"skip_strides", task.skip_strides}};
    if (selection_)
      h["test_selection"] = {{"probes", selection_->probes}, {"images", selection_->images},
                             {"all_right", selection_->all_right}, {"contested", selection_->contested}};
    nlohmann::ordered_json slots = nlohmann::ordered_json::array();
    for (const auto& [slot, t] : weights_) slots.push_back({{"name", slot}, {"shape", t.sizes().vec()}});
    h["slots"] = slots;
    std::string out = kMagic + h.dump() + "\n";
    for (const auto& [slot, t] : weights_) {
      torch::Tensor c = t.detach().contiguous();
      out.append(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<size_t>(c.numel()) * sizeof(float));
    }
    return out;
  }

  // The inverse; InputError naming `path` on anything else. `task` gets the proxy task it was
  // trained on.
  static Supernet parse(const std::string& bytes, const std::string& path, ScorerOptions& task) {
    auto bad = [&](const std::string& what) {
      return input_error("{}: {}; expected a supernet written by `nesim supernet`", path, what);
    };
    const std::string magic = kMagic;
    if (bytes.compare(0, magic.size(), magic) != 0) throw bad("wrong magic");
    const size_t eol = bytes.find('\n', magic.size());
    if (eol == std::string::npos) throw bad("no header line");
    const auto h = nlohmann::json::parse(bytes.substr(magic.size(), eol - magic.size()), nullptr, false);
    if (h.is_discarded() || !h.contains("slots") || !h["slots"].is_array() || !h.contains("proxy_task"))
      throw bad("damaged header");
    Supernet s;
    size_t at = eol + 1;
    try {
      const auto& p = h["proxy_task"];
      task.input_size = p.at("input_size").get<int>();
      task.in_channels = p.at("in_channels").get<int>();
      task.classes = p.at("classes").get<int>();
      task.skip_strides = p.at("skip_strides").get<int>();
      if (h.contains("test_selection")) {
        const auto& t = h["test_selection"];
        TestSelection sel{t.at("probes").get<int>(), t.at("images").get<int64_t>(), t.at("all_right").get<int64_t>(),
                          t.at("contested").get<std::vector<int64_t>>()};
        const bool ascending = std::is_sorted(sel.contested.begin(), sel.contested.end()) &&
                               std::adjacent_find(sel.contested.begin(), sel.contested.end()) == sel.contested.end();
        if (sel.images < 1 || sel.all_right < 0 || !ascending ||
            (!sel.contested.empty() && (sel.contested.front() < 0 || sel.contested.back() >= sel.images)) ||
            sel.all_right + static_cast<int64_t>(sel.contested.size()) > sel.images)
          throw bad("damaged test_selection");
        s.selection_ = std::move(sel);
      }
      for (const auto& slot : h["slots"]) {
        const Shape4 shape = slot.at("shape").get<Shape4>();
        int64_t n = 1;
        for (int64_t d : shape) {
          if (d < 1 || d > (int64_t{1} << 24)) throw bad(fmt::format("slot shape out of range"));
          n *= d;
        }
        const size_t bytes_needed = static_cast<size_t>(n) * sizeof(float);
        if (n > (int64_t{1} << 30) || at + bytes_needed > bytes.size()) throw bad("truncated");
        torch::Tensor t = torch::empty(shape);
        std::memcpy(t.data_ptr<float>(), bytes.data() + at, bytes_needed);
        at += bytes_needed;
        s.weights_[slot.at("name").get<std::string>()] = t;
      }
    } catch (const nlohmann::json::exception& e) {
      throw bad(fmt::format("damaged header ({})", e.what()));
    }
    if (at != bytes.size()) throw bad("trailing bytes after the last tensor");
    return s;
  }

 private:
  std::map<std::string, torch::Tensor> weights_;
  std::optional<TestSelection> selection_;  // written with the final weights, not in training states
};

struct Candidate {
  Arch arch;
  Network trained;  // the proxy task's network
  int64_t params = 0;
};

Candidate make_candidate(const SearchSpace& space, const std::string& where, const Arch& a, const ClassifierShape& shape) {
  const ModelSpec spec = to_model_spec(space, a);
  Candidate c{a, classifier_network(spec, expand(spec, where), shape), 0};
  for (const Layer& l : c.trained.layers) c.params += layer_params(c.trained, l);
  return c;
}

// Probe candidates beyond the largest and smallest: random ones, drawn from their own seeded
// generator so that a snapshot and the finished training choose alike.
constexpr int kRandomProbes = 6;

TestSelection select_test_images(const Supernet& net, const std::vector<Candidate>& probes, const ScorerOptions& task,
                                 int images, uint64_t seed) {
  const ImageSet& train = fashion_mnist(task.data_dir, /*train=*/true);
  const ImageSet& test = fashion_mnist(task.data_dir, /*train=*/false, images);
  std::vector<int> right(static_cast<size_t>(test.count), 0);
  std::vector<uint8_t> hits;
  for (const Candidate& c : probes) {
    GraphModule m = net.candidate(c.trained);
    Shuffler order(train.count, seed);
    recalibrate_batch_norm(m, train, order, task.calibration_batches, task);
    test_accuracy(m, test, task, &hits);
    for (size_t i = 0; i < hits.size(); ++i) right[i] += hits[i];
  }
  TestSelection sel;
  sel.probes = static_cast<int>(probes.size());
  sel.images = test.count;
  for (int64_t i = 0; i < test.count; ++i) {
    const int r = right[static_cast<size_t>(i)];
    if (r == sel.probes) ++sel.all_right;
    else if (r > 0) sel.contested.push_back(i);
  }
  return sel;
}

// What a checkpoint's state must match to be continued: the trainer's settings and the caller's
// identity of its inputs.
nlohmann::ordered_json settings_json(const SupernetOptions& o) {
  const ScorerOptions& t = o.task;
  nlohmann::ordered_json j = {{"identity", o.identity},         {"input_size", t.input_size},
                              {"in_channels", t.in_channels},     {"classes", t.classes},
                              {"skip_strides", t.skip_strides},   {"train_batch", t.train_batch},
                              {"learning_rate", t.learning_rate}, {"steps", o.steps},
                              {"pool", o.pool},                   {"seed", o.seed}};
  // Named only when on, so that states written before the option existed still match.
  if (o.distill) j["distill"] = true;
  return j;
}

constexpr const char* kStateMagic = "nesim-supernet-state-1\n";

// A training state: "nesim-supernet-state-1\n", one line of JSON (the settings, the steps done,
// that step's loss, the sampler's mt19937_64 state as text, and the sizes of the two blobs that
// follow), the weights as Supernet::serialize() writes them, then the optimiser as libtorch's
// archive writes it (momentum buffers included).
std::string training_state(const SupernetOptions& o, const Supernet& net, torch::optim::SGD& sgd, int step,
                           double loss, const std::mt19937_64& rng) {
  std::ostringstream rng_text;
  rng_text << rng;
  const std::string weights = net.serialize(o.task);
  torch::serialize::OutputArchive archive;
  sgd.save(archive);
  std::ostringstream optimiser;
  archive.save_to(optimiser);
  nlohmann::ordered_json h = {{"settings", settings_json(o)}, {"step", step}, {"loss", loss}, {"rng", rng_text.str()},
                              {"weights_bytes", weights.size()}, {"optimizer_bytes", optimiser.str().size()}};
  return kStateMagic + h.dump() + "\n" + weights + optimiser.str();
}

struct Resumed {
  int step = 0;
  double loss = 0;
  std::string optimiser;  // libtorch's archive, for load_optimiser() once the SGD is built
};

InputError bad_state(const SupernetOptions& o, const std::string& what) {
  return input_error("{}: {}; expected a training state written by `nesim supernet --checkpoint`", o.resume_where,
                     what);
}

// Continues from `o.resume_state`: the weights into `net`, the sampler's state into `rng`.
Resumed resume(const SupernetOptions& o, Supernet& net, std::mt19937_64& rng) {
  const std::string& bytes = o.resume_state;
  auto bad = [&](const std::string& what) { return bad_state(o, what); };
  const std::string magic = kStateMagic;
  if (bytes.compare(0, magic.size(), magic) != 0) throw bad("wrong magic");
  const size_t eol = bytes.find('\n', magic.size());
  if (eol == std::string::npos) throw bad("no header line");
  const auto h = nlohmann::json::parse(bytes.substr(magic.size(), eol - magic.size()), nullptr, false);
  if (h.is_discarded() || !h.is_object()) throw bad("damaged header");
  Resumed r;
  size_t weights_bytes = 0, optimizer_bytes = 0;
  try {
    if (h.at("settings") != nlohmann::json(settings_json(o)))
      throw input_error("{}: this training state was written with other settings (space, engine, proxy task, "
                        "steps, pool or seed): {}; continue it with the same options, or choose another "
                        "--checkpoint",
                        o.resume_where, h.at("settings").dump());
    r.step = h.at("step").get<int>();
    r.loss = h.at("loss").get<double>();
    std::istringstream rng_text(h.at("rng").get<std::string>());
    rng_text >> rng;
    if (rng_text.fail()) throw bad("damaged sampler state");
    weights_bytes = h.at("weights_bytes").get<size_t>();
    optimizer_bytes = h.at("optimizer_bytes").get<size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw bad(fmt::format("damaged header ({})", e.what()));
  }
  if (r.step < 0 || r.step > o.steps) throw bad(fmt::format("step {} is outside [0, {}]", r.step, o.steps));
  const size_t at = eol + 1;
  if (weights_bytes > bytes.size() - at || optimizer_bytes != bytes.size() - at - weights_bytes)
    throw bad("truncated, or trailing bytes");
  ScorerOptions task = o.task;
  Supernet restored = Supernet::parse(bytes.substr(at, weights_bytes), o.resume_where, task);
  if (!restored.same_slots(net)) throw bad("its weights have other layers or shapes than this space's supernet");
  restored.make_trainable();
  net = std::move(restored);
  r.optimiser = bytes.substr(at + weights_bytes);
  return r;
}

// The optimiser's momentum from a resumed state, into the SGD built over the restored weights.
void load_optimiser(const SupernetOptions& o, torch::optim::SGD& sgd, const std::string& bytes) {
  try {
    torch::serialize::InputArchive archive;
    std::istringstream optimiser(bytes);
    archive.load_from(optimiser);
    sgd.load(archive);
  } catch (const c10::Error& e) {
    throw bad_state(o, fmt::format("damaged optimiser state ({})", e.what_without_backtrace()));
  }
}

SupernetReport train(const SearchSpace& space, const std::string& where, const SupernetOptions& o) {
  if (o.steps < 1) throw input_error("supernet: expected at least 1 training step, got {}", o.steps);
  if (o.pool < 2) throw input_error("supernet: expected a pool of at least 2 candidates, got {}", o.pool);
  if (o.snapshot && o.resume_state.empty()) throw input_error("supernet: a snapshot needs a training state to read");
  const auto t0 = std::chrono::steady_clock::now();
  const ScorerOptions& task = o.task;
  const ClassifierShape shape = classifier_shape(task);
  use_threads(task.threads);

  // Every layer's largest shape over the pool; the sandwich's largest and smallest candidates.
  std::mt19937_64 rng(o.seed);
  std::map<std::string, Shape4> slots;
  Candidate largest, smallest;
  for (int i = 0; i < o.pool; ++i) {
    Candidate c = make_candidate(space, where, random_arch(space, rng), shape);
    collect_slots(c.trained, slots);
    if (i == 0 || c.params > largest.params) largest = c;
    if (i == 0 || c.params < smallest.params) smallest = c;
  }
  Supernet net(slots, o.seed);
  const bool resuming = !o.resume_state.empty();
  const Resumed resumed = resuming ? resume(o, net, rng) : Resumed{};
  torch::optim::SGD sgd(net.parameters(),
                        torch::optim::SGDOptions(task.learning_rate).momentum(0.9).nesterov(true).weight_decay(5e-5));
  if (resuming) load_optimiser(o, sgd, resumed.optimiser);
  const ImageSet& data = fashion_mnist(task.data_dir, /*train=*/true);
  Shuffler order(data.count, o.seed);
  const int first = resumed.step;
  double loss_sum = resumed.loss;
  order.skip(static_cast<int64_t>(first) * task.train_batch);
  if (resuming && o.on_resume) o.on_resume(first);
  for (int step = first; step < (o.snapshot ? first : o.steps); ++step) {
    // Linear warm-up over the first 5 % of the steps, then cosine decay: four candidates' gradients
    // add up on the shared weights, and at the full rate from step 0 the loss jumped from 2.3 to 27
    // within five steps (classifier space, measured 2026-11-28).
    const int warmup = std::max(1, o.steps / 20);
    const double lr = 0.5 * task.learning_rate * (1 + std::cos(M_PI * step / o.steps)) *
                      std::min(1.0, static_cast<double>(step + 1) / warmup);
    static_cast<torch::optim::SGDOptions&>(sgd.param_groups()[0].options()).lr(lr);
    const std::vector<int64_t> index = order.next(task.train_batch);
    const torch::Tensor x = image_batch(data, index, task), y = label_batch(data, index);
    sgd.zero_grad();
    loss_sum = 0;
    // The sandwich rule: the largest and the smallest candidate bound the space; two random
    // ones train the middle. Gradients of the four add up on the shared weights.
    const Candidate a = make_candidate(space, where, random_arch(space, rng), shape);
    const Candidate b = make_candidate(space, where, random_arch(space, rng), shape);
    torch::Tensor teacher;  // the largest candidate's predicted distribution (distill)
    for (const Candidate* c : std::initializer_list<const Candidate*>{&largest, &smallest, &a, &b}) {
      GraphModule m = net.candidate(c->trained);
      m->train();
      const torch::Tensor logits = m->forward(x);
      torch::Tensor loss;
      if (o.distill && teacher.defined()) {
        loss = -(teacher * torch::log_softmax(logits, 1)).sum(1).mean();
      } else {
        loss = torch::nn::functional::cross_entropy(logits, y);
        if (o.distill) teacher = torch::softmax(logits.detach(), 1);
      }
      const double v = loss.item<double>();
      if (!std::isfinite(v)) throw std::runtime_error(fmt::format("supernet training diverged at step {}", step));
      loss.backward();
      loss_sum += v / 4;
    }
    sgd.step();
    if (o.on_step) o.on_step(step + 1, loss_sum);
    if (o.on_checkpoint && o.checkpoint_every > 0 && ((step + 1) % o.checkpoint_every == 0 || step + 1 == o.steps))
      o.on_checkpoint(training_state(o, net, sgd, step + 1, loss_sum, rng));
  }
  if (o.selection_images > 0) {
    std::vector<Candidate> probes = {largest, smallest};
    std::mt19937_64 probe_rng(o.seed + 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < kRandomProbes; ++i)
      probes.push_back(make_candidate(space, where, random_arch(space, probe_rng), shape));
    net.set_selection(select_test_images(net, probes, task, o.selection_images, o.seed));
  }
  SupernetReport r;
  r.weights = net.serialize(task);
  r.contested_images = net.selection() ? static_cast<int64_t>(net.selection()->contested.size()) : 0;
  r.tensors = net.tensors();
  r.parameters = net.parameter_count();
  r.final_loss = loss_sum;
  r.steps_done = o.snapshot ? first : o.steps;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// "supernet": a candidate's accuracy from inherited weights, BN re-calibrated on
// calibration_batches training batches drawn by the seed, on the first oracle_images test images.
class SupernetScorer final : public AccuracyScorer {
 public:
  explicit SupernetScorer(const ScorerOptions& o) : o_(o) {
    if (o_.supernet.empty())
      throw input_error("accuracy scorer 'supernet' needs the trained weights: give --supernet FILE (nesim supernet "
                        "--out FILE trains them)");
    if (o_.oracle_images < 1) throw input_error("supernet: expected at least 1 test image, got {}", o_.oracle_images);
    if (o_.calibration_batches < 1)
      throw input_error("supernet: expected at least 1 calibration batch, got {}", o_.calibration_batches);
    if (o_.oracle_subset != "auto" && o_.oracle_subset != "contested" && o_.oracle_subset != "first")
      throw input_error("supernet: oracle subset '{}': expected auto, contested or first", o_.oracle_subset);
    net_ = Supernet::parse(read_input_file(o_.supernet, "supernet"), o_.supernet, o_);
    const auto& sel = net_.selection();
    if (o_.oracle_subset == "contested" && !sel)
      throw input_error("{}: this supernet names no contested test images (written before they were selected); "
                        "score with --oracle-subset first, or write it again with nesim supernet --snapshot",
                        o_.supernet);
    contested_ = sel && o_.oracle_subset != "first";
    if (contested_) {
      const ImageSet& test = fashion_mnist(o_.data_dir, /*train=*/false, sel->images);
      if (test.count != sel->images)
        throw input_error("{}: its test selection covers {} test images, the data has {}", o_.supernet, sel->images,
                          test.count);
      const size_t n = std::min(sel->contested.size(), static_cast<size_t>(o_.oracle_images));
      subset_ = image_subset(test, std::vector<int64_t>(sel->contested.begin(), sel->contested.begin() + n));
    }
  }
  std::string name() const override { return "supernet"; }

  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const override {
    use_threads(o_.threads);
    const ImageSet& train = fashion_mnist(o_.data_dir, /*train=*/true);
    GraphModule m = net_.candidate(classifier_network(spec, net, classifier_shape(o_)));
    Shuffler order(train.count, seed);
    recalibrate_batch_norm(m, train, order, o_.calibration_batches, o_);
    if (contested_) {
      // Accuracy on the selection's test images as the probes saw them: the images every probe got
      // right counted right, those every probe got wrong counted wrong, the contested ones at the
      // rate measured on the first oracle_images of them. An estimate that ranks as the contested
      // rate does; biased upward for a candidate that misses an image every probe got.
      const TestSelection& sel = *net_.selection();
      const double rate = subset_.count > 0 ? test_accuracy(m, subset_, o_) : 0;
      return {true,
              (static_cast<double>(sel.all_right) + rate * static_cast<double>(sel.contested.size())) /
                  static_cast<double>(sel.images),
              {}};
    }
    return {true, test_accuracy(m, fashion_mnist(o_.data_dir, /*train=*/false, o_.oracle_images), o_), {}};
  }

 private:
  ScorerOptions o_;  // the proxy task replaced by the one the supernet was trained on
  Supernet net_;
  bool contested_ = false;  // scoring on the supernet's contested test images
  ImageSet subset_;         // the first oracle_images of them
};

const bool registered = [] {
  register_scorer("supernet", [](const ScorerOptions& o) { return std::make_unique<SupernetScorer>(o); });
  register_supernet_trainer(train);
  return true;
}();

}  // namespace
}  // namespace nesim::nas
