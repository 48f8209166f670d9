// module: does a batch run every image, load resident weights once, and pay off in throughput?
#include <doctest/doctest.h>

#include <string>

#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

const std::string kSource = NESIM_SOURCE_DIR;

int64_t tile_loads(const Program& p, bool weights) {
  int64_t sum = 0;
  for (const Kernel& k : p.kernels)
    for (const Tile& t : k.tiles) sum += weights ? t.load_weight_bytes : t.load_ifmap_bytes;
  return sum;
}

}  // namespace

TEST_SUITE("module: batch") {
  TEST_CASE("a batch of N runs N times the MACs and activations, and loads resident weights once") {
    const HwConfig hw = load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml");
    for (const char* model : {"mobilenet_v2.yaml", "resnet18.yaml", "shufflenet_v2_x1_0.yaml"}) {
      CAPTURE(model);
      Network one = load_model(kSource + "/models/" + model);
      // The per-image reference is planned as the batch is: without residency between kernels.
      const Program p1 = compile(one, hw, {.fuse_blocks = true, .keep_resident = false});
      const SimResult r1 = Engine::instance().run(p1);
      for (int64_t n : {2, 4}) {
        CAPTURE(n);
        Network batched = one;
        batched.batch = n;
        const Program pn = compile(batched, hw);
        const SimResult rn = Engine::instance().run(pn);
        CHECK(rn.batch == n);
        CHECK(rn.macs == n * r1.macs);
        CHECK(tile_loads(pn, false) == n * tile_loads(p1, false));
        CHECK(rn.dram_write_bytes == n * r1.dram_write_bytes);
        // Weights: once for kernels that keep them, once per image for streamed ones; never more.
        const int64_t w1 = tile_loads(p1, true), wn = tile_loads(pn, true);
        CHECK(wn >= w1);
        CHECK(wn < n * w1);
        // Per-layer records add up to what the tiles move.
        CHECK(rn.dram_read_bytes == tile_loads(pn, false) + wn);
        // Sharing the weights never costs time, and the utilisation stays a fraction of the peak.
        CHECK(rn.total_cycles <= n * r1.total_cycles);
        CHECK(rn.mac_utilization <= 1.0);
        CHECK(rn.mac_utilization >= r1.mac_utilization * 0.999);
      }
    }
  }

  TEST_CASE("batch 1 is the program compile() always made") {
    const HwConfig hw = load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml");
    Network net = load_model(kSource + "/models/mobilenet_v3_small.yaml");
    const Program plain = compile(net, hw);
    net.batch = 1;
    CHECK(compile(net, hw) == plain);
    CHECK(plain.batch == 1);
  }

  TEST_CASE("the model's batch key sets the batch; a bad one names the key") {
    const ModelSpec spec = parse_model_yaml("input: [3, 32, 32]\nbatch: 3\nstem: [{type: conv, out: 8}]\n", "b.yaml");
    CHECK(spec.batch == 3);
    CHECK(parse_model_yaml(to_yaml(spec), "b.yaml").batch == 3);
    CHECK_THROWS_WITH_AS(parse_model_yaml("input: [3, 32, 32]\nbatch: 0\nstem: [{type: conv, out: 8}]\n", "b.yaml"),
                         doctest::Contains("batch"), InputError);
  }

  TEST_CASE("the regressor's planning refuses a batch instead of predicting one image") {
    const HwConfig hw = load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml");
    Network net = load_model(kSource + "/models/mobilenet_v3_small.yaml");
    net.batch = 2;
    PlanCache cache;
    CHECK_THROWS_WITH_AS(plan_kernels(net, hw, {}, cache), doctest::Contains("batch 2"), InputError);
  }
}
