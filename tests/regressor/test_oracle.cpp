// regressor: does the search's oracle (plan_kernels() plus a prediction per distinct plan) give
// exactly what predicting the compiled Program gives, and does it walk the trees once per plan?
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nas/regressor/oracle.h"
#include "nas/regressor/regressor.h"
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

std::shared_ptr<const nas::Regressor> shipped() {
  return std::make_shared<const nas::Regressor>(
      nas::Regressor::load(std::string(NESIM_SOURCE_DIR) + "/traces/regressor-ne-pf.json"));
}

}  // namespace

TEST_SUITE("regressor: latency oracle") {
  TEST_CASE("every zoo model on every shipped engine: the oracle equals total_cycles(compile()) bit for bit") {
    auto reg = shipped();
    std::vector<Network> nets;
    for (const fs::path& f : test::source_files("models")) nets.push_back(load_model(f.string()));
    for (const fs::path& hf : test::source_files("hwconfigs")) {
      HwConfig hw = load_hw_config(hf.string());
      nas::LatencyOracle oracle(reg, hw);
      for (int pass = 0; pass < 2; ++pass)  // the second pass answers every kernel from the memo
        for (const Network& net : nets) {
          CAPTURE(net.name);
          CAPTURE(hw.name);
          Program p = compile(net, hw);
          CHECK(oracle.total_cycles(net) == reg->total_cycles(p));
          CHECK(oracle.latency_ms(net) == reg->total_cycles(p) / (hw.clock_mhz * 1e3));
          // The per-kernel entry point agrees with the Program's prediction, kernel by kernel.
          nas::NetworkPrediction want = reg->predict(p);
          for (size_t i = 0; i < p.kernels.size(); ++i) CHECK(reg->kernel_cycles(p.kernels[i], hw) == want.kernels[i].cycles);
        }
      CHECK(oracle.kernels_remembered() > oracle.kernels_predicted());
    }
  }

  TEST_CASE("one tree walk per distinct plan: a network seen before walks no tree") {
    auto reg = shipped();
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml");
    nas::LatencyOracle oracle(reg, hw);
    double first = oracle.total_cycles(net);
    int64_t walked = oracle.kernels_predicted();
    size_t kernels = compile(net, hw).kernels.size();
    CHECK(walked > 0);
    CHECK(walked < static_cast<int64_t>(kernels));  // MobileNetV2 repeats block shapes
    CHECK(oracle.total_cycles(net) == first);
    CHECK(oracle.kernels_predicted() == walked);
    CHECK(oracle.kernels_remembered() == static_cast<int64_t>(2 * kernels) - walked);
  }

  TEST_CASE("random MobileNetV2 variants through a tiny cache that keeps starting over: still exact") {
    auto reg = shipped();
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    ModelSpec base = load_model_spec(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml");
    std::mt19937_64 rng(3);
    nas::LatencyOracle roomy(reg, hw), tiny(reg, hw, {}, 8);
    for (int i = 0; i < 30; ++i) {
      ModelSpec m = base;
      for (size_t s = 1; s < m.stages.size(); ++s) {
        BlockSpec& b = m.stages[s].blocks.at(0);
        b.expand = std::vector<double>{3, 4, 6}[rng() % 3];
        b.kernel = std::vector<int64_t>{3, 5, 7}[rng() % 3];
      }
      m.name = "variant" + std::to_string(i);
      Network net = expand(m, m.name);
      CAPTURE(i);
      double want = reg->total_cycles(compile(net, hw));
      CHECK(roomy.total_cycles(net) == want);
      CHECK(tiny.total_cycles(net) == want);
    }
    CHECK(tiny.plans().size() < roomy.plans().size());
  }

  TEST_CASE("a network that cannot be mapped is the compiler's error") {
    auto reg = shipped();
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    hw.sram.kib = 4;  // far too small for MobileNetV2's first layers
    Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml");
    std::string error;
    try {
      compile(net, hw);
    } catch (const InputError& e) {
      error = e.what();
    }
    REQUIRE(!error.empty());
    nas::LatencyOracle oracle(reg, hw);
    CHECK_THROWS_WITH_AS(oracle.total_cycles(net), error.c_str(), InputError);
  }
}
