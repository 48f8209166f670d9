// accuracy: do the libtorch networks have the IR's shapes, do the proxies compute what their
// papers define on networks where the answer is known, does short training learn?
#ifdef NESIM_WITH_TORCH
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "nas/accuracy/classifier_net.h"
#include "nas/accuracy/scorer.h"
#include "nas/torch/fashion_mnist.h"
#include "nas/torch/torch_scorers.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

Layer fc(const std::string& name, int input, int64_t out, Act act = Act::None) {
  Layer l;
  l.name = name;
  l.op = Op::FullyConnected;
  l.inputs = {input};
  l.out_channels = out;
  l.act = act;
  return l;
}

Network fc_chain(Act act) {
  Network net;
  net.name = "chain";
  Layer in;
  in.name = "input";
  in.out = {8, 1, 1};
  int prev = net.add(in);
  prev = net.add(fc("fc1", prev, 6, act));
  prev = net.add(fc("fc2", prev, 5, act));
  net.add(fc("fc3", prev, 3));
  net.infer_shapes("chain");
  return net;
}

const char* kSmallCnn =
    "name: small_cnn\n"
    "input: [1, 28, 28]\n"
    "defaults: {act: relu}\n"
    "stem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
    "stages: [{blocks: [{type: conv, out: 32, kernel: 3, stride: 2}]}]\n"
    "head: [{type: global_pool}, {type: fc, name: fc, out: 10}]\n";

}  // namespace

TEST_CASE("every zoo model's libtorch module has the IR's shape at every layer, convolutions in NHWC") {
  for (const auto& e : std::filesystem::directory_iterator(NESIM_SOURCE_DIR "/models")) {
    if (e.path().extension() != ".yaml") continue;
    ModelSpec spec = load_model_spec(e.path().string());
    // 64 x 64 keeps the suite quick; fixed resize targets scale along.
    Network net = expand(nas::at_input(spec, {spec.input.c, 64, 64}), e.path().string());
    const std::vector<nas::TorchLayerOutput> outs = nas::torch_layer_outputs(net, 1);
    REQUIRE(outs.size() == net.layers.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      const Layer& l = net.layers[i];
      INFO(e.path().filename().string(), " layer ", l.name);
      CHECK(outs[i].shape == l.out);
      // The layout training is fast in: every spatial convolution's output stays NHWC.
      if (l.op == Op::Conv2d && l.out.h > 1) CHECK(outs[i].nhwc);
    }
    CHECK(nas::torch_layout_difference(net, 1) < 1e-4);  // the same function in either layout
    CHECK(nas::torch_fold_difference(net, 1) < 1e-4);    // and with BN folded or not
  }
}

TEST_CASE("imported ONNX layers (LayerNorm, layer scale, channel shuffle and slice, ...) run in libtorch with nesim's shapes") {
  for (const char* name : {"tiny_convnext.onnx", "tiny_shuffle.onnx", "tiny_mbv3.onnx"}) {
    const std::string path = std::string(NESIM_SOURCE_DIR) + "/tests/onnx/fixtures/" + name;
    const Network net = load_model(path);
    const std::vector<nas::TorchLayerOutput> outs = nas::torch_layer_outputs(net, 1);
    REQUIRE(outs.size() == net.layers.size());
    for (size_t i = 1; i < outs.size(); ++i) {
      INFO(name, " layer ", net.layers[i].name, " (", op_name(net.layers[i].op), ")");
      const Shape& want = net.layers[i].out;
      // An FC output is N x K in torch and K x 1 x 1 in nesim.
      if (outs[i].shape.c == -1 && want.h == 1 && want.w == 1) continue;
      CHECK(outs[i].shape == want);
    }
    CHECK(nas::torch_layout_difference(net, 1) < 1e-4);
    nas::ScorerOptions o;
    o.threads = 1;
    o.input_size = 32;
    o.train_steps = 2;
    o.eval_images = 20;
    const nas::AccuracyResult r = nas::make_scorer("train", o)->score({}, net, 1);
    CHECK_MESSAGE(r.ok, r.error);
  }
}

TEST_CASE("synflow of a linear chain: every layer's saliency equals R, the score is layers x R") {
  // Synaptic saliency is conserved layer to layer (Tanaka et al. 2020, theorem 1); with all-ones
  // input and |weights| a ReLU chain is linear, so the same holds with ReLUs.
  for (Act act : {Act::None, Act::Relu}) {
    nas::SynflowBreakdown b = nas::synflow_breakdown(fc_chain(act), 3);
    REQUIRE(b.per_weight.size() == 3);
    CHECK(b.r > 0);
    for (double s : b.per_weight) CHECK(s == doctest::Approx(b.r).epsilon(1e-9));
    CHECK(b.total == doctest::Approx(3 * b.r).epsilon(1e-9));
  }
}

TEST_CASE("naswot: log-determinant of the Hamming kernel") {
  // Codes 10 and 01: K = [[2, 0], [0, 2]], log |K| = log 4.
  CHECK(nas::naswot_logdet({{1, 0}, {0, 1}}) == doctest::Approx(std::log(4.0)));
  // 110, 011, 101: K = 3 - Hamming = [[3,1,1],[1,3,1],[1,1,3]], |K| = 20.
  CHECK(nas::naswot_logdet({{1, 1, 0}, {0, 1, 1}, {1, 0, 1}}) == doctest::Approx(std::log(20.0)));
  // Two inputs the network cannot tell apart: K is singular.
  CHECK(std::isinf(nas::naswot_logdet({{1, 0, 1}, {1, 0, 1}, {0, 1, 1}})));
}

TEST_CASE("the proxies score a small CNN, deterministically per seed") {
  ModelSpec spec = parse_model_yaml(kSmallCnn, "small_cnn.yaml");
  Network net = expand(spec, "small_cnn.yaml");
  nas::ScorerOptions o;
  o.input_size = 28;
  o.threads = 1;  // this process's OpenMP workers spin (see sim/cli/main.cpp): one is quicker on a busy machine
  for (const char* name : {"naswot", "synflow", "grad_norm", "snip"}) {
    INFO(name);
    auto scorer = nas::make_scorer(name, o);
    nas::AccuracyResult a = scorer->score(spec, net, 5), b = scorer->score(spec, net, 5);
    REQUIRE_MESSAGE(a.ok, a.error);
    CHECK(std::isfinite(a.score));
    CHECK(a.score == b.score);
  }
  // A wider network separates more inputs: NASWOT grows with width.
  ModelSpec wide = spec;
  wide.width_multiplier = 2;
  double narrow_s = nas::make_scorer("naswot", o)->score(spec, net, 5).score;
  double wide_s = nas::make_scorer("naswot", o)->score(wide, expand(wide, "wide"), 5).score;
  CHECK(wide_s > narrow_s);
}

TEST_CASE("short training on Fashion-MNIST beats chance on a small budget") {
  ModelSpec spec = parse_model_yaml(kSmallCnn, "small_cnn.yaml");
  Network net = expand(spec, "small_cnn.yaml");
  nas::ScorerOptions o;
  o.input_size = 28;
  o.threads = 1;
  o.train_steps = 120;
  o.eval_images = 500;
  nas::AccuracyResult r = nas::make_scorer("train", o)->score(spec, net, 1);
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(r.score > 0.4);  // chance is 0.1
  CHECK(r.score <= 1.0);
}

TEST_CASE("bad inputs to the libtorch scorers") {
  ModelSpec spec = parse_model_yaml(kSmallCnn, "small_cnn.yaml");
  Network net = expand(spec, "small_cnn.yaml");
  nas::ScorerOptions o;
  o.data_dir = "/nonexistent/fashion";
  CHECK_THROWS_WITH_AS(nas::make_scorer("naswot", o)->score(spec, net, 1),
                       doctest::Contains("/nonexistent/fashion/train-images-idx3-ubyte.gz"), InputError);
  o = {};
  o.train_steps = 0;
  CHECK_THROWS_AS(nas::make_scorer("train", o), InputError);
  o = {};
  o.batch = 1;
  CHECK_THROWS_AS(nas::make_scorer("synflow", o), InputError);

  // A corrupt file: not gzip-compressed IDX.
  const auto dir = std::filesystem::temp_directory_path() / "nesim_bad_fmnist";
  std::filesystem::create_directories(dir);
  for (const char* f : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    std::ofstream(dir / f) << "not an idx file";
  CHECK_THROWS_WITH_AS(nas::fashion_mnist(dir.string(), false), doctest::Contains("t10k-images-idx3-ubyte.gz"),
                       InputError);
  std::filesystem::remove_all(dir);
}
#endif
