// Does every point of a search space make a valid model, and are bad space files rejected clearly?
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "nas/search/space.h"
#include "sim/compiler/compiler.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"

using namespace nesim;
using namespace nesim::nas;

namespace {

const std::string kSource = NESIM_SOURCE_DIR;

HwConfig pf16() { return load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml"); }

// Writes a space file next to the zoo so that `base` resolves, and loads it.
std::string write_space(const std::string& text) {
  const std::string dir = std::filesystem::temp_directory_path() / "nesim_nas_space_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/space.yaml";
  std::ofstream(path) << "base: " << kSource << "/models/mobilenet_v2.yaml\n" << text;
  return path;
}

std::string load_error(const std::string& text) {
  try {
    load_space(write_space(text), pf16());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every shipped space: random, mutated and crossed candidates expand and compile on ne-pf16") {
  const HwConfig hw = pf16();
  for (const char* name : {"detector", "detector_width", "detector_fused", "detector_both", "classifier", "classifier_fine", "segmenter"}) {
    CAPTURE(name);
    const SearchSpace s = load_space(kSource + "/nas/spaces/" + name + ".yaml", hw);
    std::mt19937_64 rng(7);
    Arch prev = random_arch(s, rng);
    for (int i = 0; i < 60; ++i) {
      Arch a = random_arch(s, rng);
      Arch m = mutate(s, a, rng, 1 + i % 3);
      Arch c = crossover(m, prev, rng);
      for (const Arch& x : {a, m, c}) {
        CAPTURE(describe(s, x));
        check_arch(s, x);
        const Network net = expand(to_model_spec(s, x), name);
        CHECK(compile(net, hw).kernels.size() > 0);
      }
      prev = c;
    }
  }
}

TEST_CASE("mutation changes exactly the asked number of genes; crossover takes each gene from a parent") {
  const SearchSpace s = load_space(kSource + "/nas/spaces/classifier.yaml", pf16());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const Arch a = random_arch(s, rng), b = random_arch(s, rng);
    const Arch m = mutate(s, a, rng, 2);
    int changed = 0;
    for (size_t g = 0; g < a.genes.size(); ++g) changed += a.genes[g] != m.genes[g];
    CHECK(changed == 2);
    const Arch c = crossover(a, b, rng);
    for (size_t g = 0; g < a.genes.size(); ++g) CHECK((c.genes[g] == a.genes[g] || c.genes[g] == b.genes[g]));
  }
}

TEST_CASE("curated channel grids are multiples of the engine's PF; fine grids step by channel_step") {
  const SearchSpace cur = load_space(kSource + "/nas/spaces/classifier.yaml", pf16());
  const SearchSpace fine = load_space(kSource + "/nas/spaces/classifier_fine.yaml", pf16());
  CHECK(cur.channel_divisor == 16);
  CHECK(fine.channel_divisor == 1);
  for (const Decision& d : cur.decisions)
    if (d.kind == DecisionKind::Out) {
      CHECK(d.values.size() <= 6);
      for (double v : d.values) CHECK(static_cast<int64_t>(v) % 16 == 0);
    }
  for (const Decision& d : fine.decisions)
    if (d.kind == DecisionKind::Out) CHECK(d.values.size() == static_cast<size_t>(d.values.back() - d.values.front() + 1));
  CHECK(fine.cardinality() > cur.cardinality() * 1000);
}

TEST_CASE("the base architecture reproduces the base model's choices") {
  const SearchSpace s = load_space(kSource + "/nas/spaces/detector.yaml", pf16());
  const Arch b = base_arch(s);
  CHECK(describe(s, b).rfind("w=1 s2:ibn,k3,e6,x2,c", 0) == 0);
  const ModelSpec m = to_model_spec(s, b);
  const Network a = expand(m, "a"), base = expand(s.base, "base");
  CHECK(a.layers.size() == base.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) CHECK(a.layers[i].name == base.layers[i].name);
  CHECK(parse_arch_key(arch_key(b)) == b);
}

TEST_CASE("the detector ablation isolates its factors: V1 width only, V2 block type only, V3 their union") {
  // Case study 1 (nas/experiments): V1 and V2 must each vary only their own factor, or the
  // ablation cannot say which factor a gain comes from.
  auto decisions = [](const char* name) {
    std::set<std::string> names;
    std::set<DecisionKind> kinds;
    for (const Decision& d : load_space(kSource + "/nas/spaces/" + name + ".yaml", pf16()).decisions) {
      names.insert(d.name);
      kinds.insert(d.kind);
    }
    return std::pair{names, kinds};
  };
  const auto [v1, v1_kinds] = decisions("detector_width");
  const auto [v2, v2_kinds] = decisions("detector_fused");
  const auto [v3, v3_kinds] = decisions("detector_both");
  CHECK(v1_kinds == std::set<DecisionKind>{DecisionKind::Width, DecisionKind::Out});
  CHECK(v2_kinds == std::set<DecisionKind>{DecisionKind::Type});
  CHECK(v1.size() == 7);  // width, and s2..s7 channels
  CHECK(v2.size() == 6);  // s2..s7 block type
  std::set<std::string> both = v1;
  both.insert(v2.begin(), v2.end());
  CHECK(v3 == both);
}

TEST_CASE("a fused stage keeps the detector head's reference to its expansion") {
  const SearchSpace s = load_space(kSource + "/nas/spaces/detector_fused.yaml", pf16());
  Arch a = base_arch(s);
  for (int& g : a.genes) g = 1;
  const ModelSpec m = to_model_spec(s, a);
  CHECK(m.stages[5].blocks[0].type == "fused_ibn");
  bool found = false;
  for (const BlockSpec& b : m.head)
    for (const std::string& f : b.from) found = found || f == "layer_15.fused";
  CHECK(found);
  CHECK_NOTHROW(expand(m, "fused"));
}

TEST_CASE("repeat drops or adds copies; input and output size follow the choices") {
  const SearchSpace s = load_space(kSource + "/nas/spaces/segmenter.yaml", pf16());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20; ++i) {
    const Arch a = random_arch(s, rng);
    const ModelSpec m = to_model_spec(s, a);
    const Network net = expand(m, "seg");
    const Layer& out = net.outputs.empty() ? net.layers.back() : net.layers.at(net.outputs.at(0));
    CHECK(out.out.h == static_cast<int64_t>(s.decisions[2].values[a.genes[2]]));
    CHECK(m.input.h == static_cast<int64_t>(s.decisions[1].values[a.genes[1]]));
  }
  const SearchSpace c = load_space(kSource + "/nas/spaces/classifier.yaml", pf16());
  Arch a = base_arch(c);
  for (size_t g = 0; g < c.decisions.size(); ++g)
    if (c.decisions[g].name == "s4.repeat") a.genes[g] = 0;  // 2 copies
  CHECK(to_model_spec(c, a).stages[3].blocks.size() == 2);
}

TEST_CASE("bad space files: one clear message naming the file, line and key") {
  CHECK(load_error("stages: {s2: {kernal: [3]}}\n").find("space.yaml:2: key 'stages.s2.kernal': unknown key (did you mean 'kernel'?)") != std::string::npos);
  CHECK(load_error("widht_multiplier: [1]\n").find("key 'widht_multiplier': unknown key (did you mean 'width_multiplier'?)") != std::string::npos);
  CHECK(load_error("stages: {s9: {kernel: [3]}}\n").find("key 'stages.s9': unknown stage") != std::string::npos);
  CHECK(load_error("stages: {s2: {type: [ibn, dwsep]}}\n").find("expected ibn or fused_ibn, got 'dwsep'") != std::string::npos);
  CHECK(load_error("stages: {s2: {out: {min: 48, max: 16}}}\n").find("min 48 is above max 16") != std::string::npos);
  CHECK(load_error("stages: {s2: {out: {min: 17, max: 31}}}\n").find("the grid is empty") != std::string::npos);
  CHECK(load_error("stages: {s2: {kernel: []}}\n").find("expected a non-empty list") != std::string::npos);
  CHECK(load_error("stages: {s2: {kernel: [4]}}\n").find("expected odd kernel sizes") != std::string::npos);
  CHECK(load_error("width_multiplier: [1]\nconstraints: {latency_ms: \">= 3\"}\n").find("expected '<= <value>'") != std::string::npos);
  CHECK(load_error("channels: coarse\nwidth_multiplier: [1]\n").find("expected curated or fine") != std::string::npos);
  CHECK(load_error("name: x\n").find("the space has no decisions") != std::string::npos);
  CHECK(load_error("width_multiplier: [1]\nobjectives: [speed]\n").find("unknown objective 'speed'") != std::string::npos);
  CHECK_THROWS_AS(load_space("/nonexistent/space.yaml", pf16()), InputError);
}
