// unit: does compile() with a PlanCache give exactly the Program compile() gives without one, and
// does plan_kernels() name exactly that Program's kernels without building it?
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sim/compiler/compiler.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"
#include "tests/support/source_files.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

// Field by field (the defaulted operator== of Program, Kernel, Tile, ComputeStep and
// KernelSummary), kernel by kernel so that a failure names the first kernel that differs.
void check_same(const Program& cached, const Program& plain) {
  REQUIRE(cached.kernels.size() == plain.kernels.size());
  for (size_t i = 0; i < plain.kernels.size(); ++i) {
    CAPTURE(plain.kernels[i].name);
    const Kernel& a = cached.kernels[i];
    const Kernel& b = plain.kernels[i];
    CHECK(a.name == b.name);
    CHECK(a.layers == b.layers);
    REQUIRE(a.tiles.size() == b.tiles.size());
    for (size_t t = 0; t < a.tiles.size(); ++t) CHECK(a.tiles[t] == b.tiles[t]);
    CHECK(a.summary == b.summary);
    CHECK(a == b);
  }
  CHECK(cached == plain);
}

// plan_kernels() against the Program: one plan per kernel, equal to it once the layer offset and
// the name are put back.
void check_plans(const std::vector<PlannedKernel>& plans, const Program& plain) {
  REQUIRE(plans.size() == plain.kernels.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    CAPTURE(plain.kernels[i].name);
    REQUIRE(plans[i].plan != nullptr);
    Kernel k = *plans[i].plan;
    CHECK(k.name.empty());
    CHECK(plans[i].first_layer == plain.kernels[i].layers.front());
    k.name = plain.kernels[i].name;
    for (int& li : k.layers) li += plans[i].first_layer;
    for (Tile& t : k.tiles)
      for (ComputeStep& s : t.steps) s.layer += plans[i].first_layer;
    CHECK(k == plain.kernels[i]);
  }
}

// MobileNetV2 with a random expand ratio, depthwise kernel, width and repeat count per stage.
Network random_mobilenet_v2(const ModelSpec& base, std::mt19937_64& rng, int i) {
  ModelSpec m = base;
  for (size_t s = 1; s < m.stages.size(); ++s) {
    BlockSpec& b = m.stages[s].blocks.at(0);
    b.expand = std::vector<double>{3, 4, 6}[rng() % 3];
    b.kernel = std::vector<int64_t>{3, 5, 7}[rng() % 3];
    b.out = make_divisible(static_cast<double>(*b.out) * std::vector<double>{0.5, 0.75, 1.0, 1.25}[rng() % 4], 8);
    b.repeat = std::max(1, b.repeat + static_cast<int>(rng() % 3) - 1);
  }
  m.input.h = m.input.w = std::vector<int64_t>{160, 192, 224}[rng() % 3];
  m.name = "mobilenet_v2_variant" + std::to_string(i);
  return expand(m, m.name);
}

}  // namespace

TEST_SUITE("unit: plan cache") {
  TEST_CASE("every zoo model on every shipped engine: cached compile equals plain compile") {
    std::vector<Network> nets;
    for (const fs::path& f : test::source_files("models")) nets.push_back(load_model(f.string()));
    std::vector<HwConfig> hws;
    for (const fs::path& f : test::source_files("hwconfigs")) hws.push_back(load_hw_config(f.string()));
    REQUIRE(nets.size() >= 10);
    REQUIRE(hws.size() >= 5);
    PlanCache cache;  // one cache for everything: entries of one model and engine serve others
    for (int pass = 0; pass < 2; ++pass)
      for (const HwConfig& hw : hws)
        for (const Network& net : nets) {
          CAPTURE(net.name);
          CAPTURE(hw.name);
          Program plain = compile(net, hw);
          check_same(compile(net, hw, {}, cache), plain);
          check_plans(plan_kernels(net, hw, {}, cache), plain);
        }
    CHECK(cache.hits() > cache.misses());
  }

  TEST_CASE("random MobileNetV2 variants, other options and SRAM sizes: cached equals plain") {
    ModelSpec base = load_model_spec(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml");
    HwConfig pf16 = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    HwConfig small = pf16;
    small.sram.kib = 128;  // more fallbacks to layer-by-layer kernels and split convs
    std::mt19937_64 rng(7);
    PlanCache cache;
    std::vector<CompileOptions> opts(3);
    opts[1].fuse_blocks = false;
    opts[2].keep_resident = false;
    for (int i = 0; i < 24; ++i) {
      Network net = random_mobilenet_v2(base, rng, i);
      CAPTURE(i);
      for (const HwConfig* hw : {&pf16, &small}) {
        const CompileOptions& o = opts[static_cast<size_t>(i) % opts.size()];
        std::string error;  // a variant too big for the small SRAM: the same error, cached or not
        try {
          compile(net, *hw, o);
        } catch (const InputError& e) {
          error = e.what();
        }
        if (error.empty()) {
          Program plain = compile(net, *hw, o);
          check_same(compile(net, *hw, o, cache), plain);
          check_plans(plan_kernels(net, *hw, o, cache), plain);
        } else {
          CHECK_THROWS_WITH_AS(compile(net, *hw, o, cache), error.c_str(), InputError);
          CHECK_THROWS_WITH_AS(plan_kernels(net, *hw, o, cache), error.c_str(), InputError);
        }
      }
    }
    CHECK(cache.hits() > 0);
  }

  TEST_CASE("a full cache starts over and stays exact; names come from the network compiled") {
    Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v3_small.yaml");
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf8.yaml");
    PlanCache tiny(4);
    Program plain = compile(net, hw);
    for (int i = 0; i < 3; ++i) check_same(compile(net, hw, {}, tiny), plain);
    CHECK(tiny.size() < 4 + plain.kernels.size() * 8);

    // Same shapes, other names: a hit must not carry the first network's names.
    Network renamed = net;
    for (Layer& l : renamed.layers) {
      l.name = "x_" + l.name;
      if (!l.block.empty()) l.block = "blk_" + l.block;
    }
    PlanCache cache;
    compile(net, hw, {}, cache);
    int64_t misses = cache.misses();
    check_same(compile(renamed, hw, {}, cache), compile(renamed, hw));
    CHECK(cache.misses() == misses);  // every plan was a hit
    cache.clear();
    CHECK(cache.size() == 0);
  }

  TEST_CASE("plan ids: one per distinct plan, stable while it is cached, never reused after the cache starts over") {
    Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml");
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    PlanCache cache;
    std::vector<PlannedKernel> first = plan_kernels(net, hw, {}, cache);
    std::vector<PlannedKernel> again = plan_kernels(net, hw, {}, cache);
    REQUIRE(first.size() == again.size());
    std::set<uint64_t> ids;
    for (size_t i = 0; i < first.size(); ++i) {
      CHECK(first[i].plan_id == again[i].plan_id);
      CHECK(first[i].plan == again[i].plan);
      CHECK(first[i].plan_id > 0);
      ids.insert(first[i].plan_id);
    }
    // Kernels with equal plans share an id (MobileNetV2 repeats block shapes), others do not.
    for (size_t i = 0; i < first.size(); ++i)
      for (size_t j = i + 1; j < first.size(); ++j)
        CHECK((first[i].plan_id == first[j].plan_id) == (first[i].plan == first[j].plan));
    CHECK(ids.size() < first.size());

    PlanCache tiny(4);  // starts over on every call: the same plans come back under new ids
    std::set<uint64_t> seen;
    for (int call = 0; call < 3; ++call) {
      std::set<uint64_t> now;
      for (const PlannedKernel& k : plan_kernels(net, hw, {}, tiny)) now.insert(k.plan_id);
      for (uint64_t id : now) CHECK(seen.count(id) == 0);
      seen.insert(now.begin(), now.end());
    }
  }
}

TEST_SUITE("unit: plan cache keys") {
  TEST_CASE("fields beyond the key's 31-bit fast range stay distinct (no truncation collisions)") {
    Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v3_small.yaml");
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf8.yaml");
    // out_h / out_w are resize targets: part of every plan key, read by no conv planner, so a
    // conv layer can carry any value there and still compile.
    size_t conv = 0;
    for (size_t i = 0; i < net.layers.size() && conv == 0; ++i)
      if (net.layers[i].op == Op::Conv2d) conv = i;
    REQUIRE(conv > 0);
    PlanCache cache;
    int64_t misses = 0;
    std::vector<int64_t> values = {5, (int64_t{1} << 30) + 5, (int64_t{1} << 31) + 5, (int64_t{1} << 32) + 5,
                                   -(int64_t{1} << 31), -(int64_t{1} << 30) - 1, std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()};
    for (int64_t v : values) {
      CAPTURE(v);
      Network n = net;
      n.layers[conv].out_h = v;
      Program plain = compile(n, hw);
      check_same(compile(n, hw, {}, cache), plain);
      CHECK(cache.misses() > misses);  // a new key: no earlier value's plan was taken for this one
      misses = cache.misses();
      check_same(compile(n, hw, {}, cache), plain);
      CHECK(cache.misses() == misses);  // and the same value finds its own plan again
    }
  }
}
