// accuracy: does a tiny supernet train, score candidates from inherited weights deterministically
// by seed, and refuse candidates and files it cannot serve?
#include <doctest/doctest.h>

#ifdef NESIM_WITH_TORCH

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "nas/accuracy/supernet.h"
#include "nas/search/space.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"
#include "tests/support/nesim_command.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;

// MobileNetV2-0.5 with elastic width, last-stage expansion and depth, at 16 x 16.
nas::SearchSpace tiny_space(const test::ScratchDir& d) {
  std::ofstream(d.path("space.yaml")) << "base: " << kRoot << "/models/mobilenet_v2_050.yaml\n"
                                      << "width_multiplier: [0.25, 0.5]\n"
                                      << "stages: {s6: {expand: [3, 6], repeat: [1, 3], kernel: [3, 5]}}\n";
  return nas::load_space(d.path("space.yaml"), load_hw_config(kRoot + "/hwconfigs/ne-pf16.yaml"));
}

nas::SupernetOptions tiny_options() {
  nas::SupernetOptions o;
  o.task.input_size = 16;
  o.task.skip_strides = 0;
  o.task.threads = 1;
  o.task.train_batch = 32;
  o.steps = 3;
  o.pool = 40;
  o.seed = 7;
  return o;
}

std::string write(const test::ScratchDir& d, const std::string& name, const std::string& bytes) {
  std::ofstream(d.path(name), std::ios::binary) << bytes;
  return d.path(name);
}

}  // namespace

TEST_CASE("supernet: a tiny one trains deterministically and scores candidates from inherited weights") {
  test::ScratchDir d("supernet");
  const nas::SearchSpace space = tiny_space(d);
  const nas::SupernetReport a = nas::train_supernet(space, d.path("space.yaml"), tiny_options());
  const nas::SupernetReport b = nas::train_supernet(space, d.path("space.yaml"), tiny_options());
  CHECK(a.weights == b.weights);  // same seed, same bytes
  CHECK(a.tensors > 10);
  CHECK(std::isfinite(a.final_loss));
  nas::SupernetOptions other = tiny_options();
  other.seed = 8;
  CHECK(nas::train_supernet(space, d.path("space.yaml"), other).weights != a.weights);

  nas::ScorerOptions so;
  so.supernet = write(d, "sn.bin", a.weights);
  so.oracle_images = 100;
  so.calibration_batches = 2;
  so.threads = 1;
  auto oracle = nas::make_scorer("supernet", so);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3; ++i) {
    const nas::Arch arch = nas::random_arch(space, rng);
    const ModelSpec spec = nas::to_model_spec(space, arch);
    const Network net = expand(spec, "cand");
    const nas::AccuracyResult x = oracle->score(spec, net, 11), y = oracle->score(spec, net, 11);
    REQUIRE_MESSAGE(x.ok, x.error);
    CHECK(x.score == y.score);  // deterministic by seed
    CHECK(x.score >= 0);
    CHECK(x.score <= 1);
  }
}

TEST_CASE("supernet: candidates outside its space and damaged files are input errors") {
  test::ScratchDir d("supernet_bad");
  const nas::SearchSpace space = tiny_space(d);
  const std::string weights = nas::train_supernet(space, d.path("space.yaml"), tiny_options()).weights;
  nas::ScorerOptions so;
  so.supernet = write(d, "sn.bin", weights);
  so.threads = 1;
  so.oracle_images = 50;
  // ResNet-18 shares no layer with MobileNetV2.
  const ModelSpec resnet = load_model_spec(kRoot + "/models/resnet18.yaml");
  CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so)->score(resnet, expand(resnet, "r"), 1),
                       doctest::Contains("outside the space the supernet was trained on"), InputError);

  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated.bin", weights.substr(0, weights.size() / 2)},
           {"magic.bin", "not a supernet\n" + weights},
           {"empty.bin", ""}}) {
    CAPTURE(name);
    so.supernet = write(d, name, bytes);
    CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so), doctest::Contains((so.supernet + ": ").c_str()), InputError);
  }
  so.supernet.clear();
  CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so), doctest::Contains("--supernet FILE"), InputError);
}

#endif  // NESIM_WITH_TORCH
