// unit: do the built-in accuracy scorers compute what their definitions say?
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nas/accuracy/scorer.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

std::pair<ModelSpec, Network> build(const std::string& yaml) {
  ModelSpec spec = parse_model_yaml(yaml, "t.yaml");
  return {spec, expand(spec, "t.yaml")};
}

// entropy_score() of the network as given (the definition; the scorer applies it to the proxy
// task's network, tested below).
double entropy_of(const std::string& yaml) { return nas::entropy_score(build(yaml).second); }

// The spatial size of the map the global pool reads in the proxy task's network.
int64_t pooled_map(const Network& c) {
  for (const Layer& l : c.layers)
    if (l.op == Op::GlobalAvgPool) return c.in_shape(l).h;
  return -1;
}

}  // namespace

TEST_CASE("entropy is the sum of log fan-in plus log of the final feature map") {
  // conv 3x3 over 3 channels (fan-in 27), depthwise 3x3 (9), 1x1 over 16 (16), FC over 32 (32);
  // the global pool reads 32 x 8 x 8.
  const std::string yaml =
      "input: [3, 16, 16]\n"
      "stem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
      "stages: [{blocks: [{type: dwsep, out: 32, kernel: 3}]}]\n"
      "head: [{type: global_pool}, {type: fc, out: 10}]\n";
  CHECK(entropy_of(yaml) == doctest::Approx(std::log(27.0) + std::log(9.0) + std::log(16.0) + std::log(32.0) +
                                           std::log(32.0 * 8 * 8)));
}

TEST_CASE("entropy scores a fused-IBN block like the expand + depthwise pair it replaces") {
  const std::string head = "input: [3, 32, 32]\nstem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n";
  double ibn = entropy_of(head + "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 3}]}]\n");
  double fused = entropy_of(head + "stages: [{blocks: [{type: fused_ibn, out: 24, expand: 4, kernel: 3}]}]\n");
  CHECK(fused == doctest::Approx(ibn));
  double wider = entropy_of(head + "stages: [{blocks: [{type: ibn, out: 24, expand: 6, kernel: 3}]}]\n");
  CHECK(wider > ibn);  // the project conv's fan-in grows with the expansion
}

TEST_CASE("entropy grows with the input resolution through the final feature map") {
  const std::string body = "stem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
                           "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 3}]}]\n";
  double small = entropy_of("input: [3, 32, 32]\n" + body);
  double large = entropy_of("input: [3, 64, 64]\n" + body);
  CHECK(large - small == doctest::Approx(std::log(4.0)));  // the 24-channel output map has 4x the pixels
}

TEST_CASE("params, macs and entropy score the proxy task's network, not the deployed one") {
  const std::string yaml =
      "input: [3, 224, 224]\nstem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
      "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 5, stride: 2}]}]\n"
      "head: [{type: global_pool}, {type: fc, out: 1000}]\n";
  auto [spec, net] = build(yaml);
  const nas::ScorerOptions o;  // the proxy task: 1 x 56 x 56 (Fashion-MNIST upsampled), 10 classes
  const Network trained = nas::classifier_network(spec, net, nas::classifier_shape(o));
  CHECK(trained.input_shape() == Shape{1, 56, 56});
  CHECK(trained.layers.back().out.c == 10);
  CHECK(pooled_map(trained) == 14);  // 56 -> stem at stride 2 -> 28 -> block at stride 2 -> 14
  const NetworkStats st = network_stats(trained, 1), deployed = network_stats(net, 1);
  CHECK(nas::make_scorer("params", o)->score(spec, net, 0).score == static_cast<double>(st.params));
  CHECK(nas::make_scorer("macs", o)->score(spec, net, 0).score == static_cast<double>(st.macs));
  CHECK(nas::make_scorer("entropy", o)->score(spec, net, 0).score == doctest::Approx(nas::entropy_score(trained)));
  CHECK(st.params < deployed.params);  // a 10-class head, one input channel
  CHECK(st.macs < deployed.macs);
}

TEST_CASE("skip_strides: the first downsamplings run at stride 1, parallel branches stay aligned") {
  for (const char* model : {"mobilenet_v2", "resnet18"}) {
    CAPTURE(model);
    const std::string path = std::string(NESIM_SOURCE_DIR) + "/models/" + model + ".yaml";
    const ModelSpec spec = load_model_spec(path);
    const Network net = expand(spec, path);
    const Network s0 = nas::classifier_network(spec, net, {1, 28, 10, 0});
    const Network s1 = nas::classifier_network(spec, net, {1, 28, 10, 1});
    const Network s2 = nas::classifier_network(spec, net, {1, 28, 10, 2});
    // Total stride 32 collapses 28 x 28 to 1 x 1; each skipped stride doubles the final map.
    CHECK(pooled_map(s0) == 1);
    CHECK(pooled_map(s1) == 2);
    CHECK(pooled_map(s2) == 4);
    CHECK(network_stats(s1, 1).params == network_stats(s0, 1).params);  // same layers, same weights
    CHECK(network_stats(s1, 1).macs > network_stats(s0, 1).macs);
    // The default proxy task, 56 x 56 without skipping, gives the same maps and MACs as skipping
    // one stride at 28 x 28.
    const Network up = nas::classifier_network(spec, net, nas::ClassifierShape{});
    CHECK(pooled_map(up) == 2);
    CHECK(network_stats(up, 1).macs == network_stats(s1, 1).macs);
  }
}

TEST_CASE("the default proxy task keeps a segmenter's merging branches aligned") {
  // LR-ASPP merges a stride-8 and an upsampled stride-16 branch: skipping a stride inside the graph
  // would break the resize that aligns them; a larger input does not.
  const std::string path = std::string(NESIM_SOURCE_DIR) + "/models/lraspp_mobilenet_v3_large.yaml";
  const ModelSpec spec = load_model_spec(path);
  const Network c = nas::classifier_network(spec, expand(spec, path), nas::ClassifierShape{});
  CHECK(c.layers.back().out.c == 10);
}

TEST_CASE("an unknown scorer is an input error that lists the available ones") {
  CHECK_THROWS_AS(nas::make_scorer("accuracy_from_thin_air", {}), InputError);
  try {
    nas::make_scorer("entrpy", {});
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("entropy") != std::string::npos);
  }
  auto names = nas::scorer_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
}
