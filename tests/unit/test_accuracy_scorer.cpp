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

double score(const std::string& name, const std::string& yaml) {
  auto [spec, net] = build(yaml);
  nas::AccuracyResult r = nas::make_scorer(name, {})->score(spec, net, 1);
  REQUIRE(r.ok);
  return r.score;
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
  CHECK(score("entropy", yaml) == doctest::Approx(std::log(27.0) + std::log(9.0) + std::log(16.0) + std::log(32.0) +
                                           std::log(32.0 * 8 * 8)));
}

TEST_CASE("entropy scores a fused-IBN block like the expand + depthwise pair it replaces") {
  const std::string head = "input: [3, 32, 32]\nstem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n";
  double ibn = score("entropy", head + "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 3}]}]\n");
  double fused = score("entropy", head + "stages: [{blocks: [{type: fused_ibn, out: 24, expand: 4, kernel: 3}]}]\n");
  CHECK(fused == doctest::Approx(ibn));
  double wider = score("entropy", head + "stages: [{blocks: [{type: ibn, out: 24, expand: 6, kernel: 3}]}]\n");
  CHECK(wider > ibn);  // the project conv's fan-in grows with the expansion
}

TEST_CASE("entropy grows with the input resolution through the final feature map") {
  const std::string body = "stem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
                           "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 3}]}]\n";
  double small = score("entropy", "input: [3, 32, 32]\n" + body);
  double large = score("entropy", "input: [3, 64, 64]\n" + body);
  CHECK(large - small == doctest::Approx(std::log(4.0)));  // the 24-channel output map has 4x the pixels
}

TEST_CASE("params and macs scorers agree with network_stats") {
  const std::string yaml =
      "input: [3, 32, 32]\nstem: [{type: conv, out: 16, kernel: 3, stride: 2}]\n"
      "stages: [{blocks: [{type: ibn, out: 24, expand: 4, kernel: 5, stride: 2}]}]\n";
  auto [spec, net] = build(yaml);
  NetworkStats st = network_stats(net, 1);
  CHECK(nas::make_scorer("params", {})->score(spec, net, 0).score == static_cast<double>(st.params));
  CHECK(nas::make_scorer("macs", {})->score(spec, net, 0).score == static_cast<double>(st.macs));
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
