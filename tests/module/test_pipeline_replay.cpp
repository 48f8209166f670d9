// module: does the compiler's replay of the controller's pipeline (sim/timing/pipeline_replay.h)
// give the SystemC engine's cycles, kernel by kernel? The planner ranks plans with it, so a
// difference here is a plan the engine runs slower than the planner thought.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "nas/search/space.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/timing/pipeline_replay.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

const std::string kSource = NESIM_SOURCE_DIR;

// Each kernel's span in the engine: its layers' records cover it exactly.
std::map<std::string, int64_t> engine_spans(const SimResult& r) {
  std::map<std::string, std::pair<int64_t, int64_t>> lo_hi;
  for (const LayerRecord& l : r.layers) {
    auto [it, fresh] = lo_hi.try_emplace(l.kernel, l.start_cycle, l.end_cycle);
    if (!fresh) {
      it->second.first = std::min(it->second.first, l.start_cycle);
      it->second.second = std::max(it->second.second, l.end_cycle);
    }
  }
  std::map<std::string, int64_t> out;
  for (const auto& [k, se] : lo_hi) out[k] = se.second - se.first;
  return out;
}

struct Errors {
  std::vector<double> pct;  // |replay - engine| / engine, per kernel with engine cycles > 0
  int64_t network_replay = 0, network_engine = 0;
};

void compare(const Network& net, const HwConfig& hw, Errors& e) {
  Program p;
  try {
    p = compile(net, hw);
  } catch (const InputError&) {
    return;  // does not fit this engine: nothing to compare
  }
  SimResult r = Engine::instance().run(p);
  std::map<std::string, int64_t> spans = engine_spans(r);
  int64_t sum = 0;
  for (const Kernel& k : p.kernels) {
    int64_t replay = replay_kernel_cycles(k, hw);
    sum += replay;
    int64_t engine = spans.count(k.name) ? spans[k.name] : 0;
    if (engine > 0) e.pct.push_back(100.0 * std::abs(static_cast<double>(replay - engine)) / engine);
  }
  // Exact: the engine orders what happens at one time by design (channels reach the bus in index
  // order, the storer submits before the loader, each kernel starts at channel 0), and the replay
  // follows that order.
  CHECK(sum == r.total_cycles);
  e.network_replay += sum;
  e.network_engine += r.total_cycles;
}

std::vector<HwConfig> engines() {
  std::vector<HwConfig> out;
  for (const char* name : {"ne-pf8", "ne-pf16", "ne-pf32", "ne-pf64"}) {
    HwConfig base = load_hw_config(kSource + "/hwconfigs/" + name + ".yaml");
    out.push_back(base);
    for (const char* set : {"dma.channels=1", "dma.channels=4", "dma.channels=16", "dma.max_outstanding=1",
                            "dma.max_outstanding=64", "sram.bytes_per_cycle=8", "sram.kib=64",
                            "depthwise.mode=dedicated"}) {
      HwConfig hw = base;
      std::string kv = set;
      set_hw_key(hw, kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1), "--set");
      out.push_back(hw);
    }
  }
  out.push_back(load_hw_config(kSource + "/hwconfigs/systolic-32x32-os.yaml"));
  return out;
}

void report(const char* what, Errors& e) {
  std::sort(e.pct.begin(), e.pct.end());
  auto at = [&](double q) { return e.pct.empty() ? 0.0 : e.pct[static_cast<size_t>(q * (e.pct.size() - 1))]; };
  MESSAGE(std::string(what) << ": " << e.pct.size() << " kernels, |replay - engine|: median " << at(0.5) << " %, p99 "
               << at(0.99) << " %, max " << at(1.0) << " %");
}

}  // namespace

TEST_SUITE("module: the planner's pipeline replay against the engine") {
  TEST_CASE("every zoo kernel on every shipped engine and variants: exact, the sum is the network") {
    Errors e;
    // The release build replays the whole zoo (11 s); under AddressSanitizer (make test runs this
    // suite again there, for memory errors, at ~20x the cost) three models cover every kernel kind.
#ifdef __SANITIZE_ADDRESS__
    const std::vector<const char*> models = {"mobilenet_v2_050", "mobilenet_v3_small", "resnet18"};
#else
    const std::vector<const char*> models = {"mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
                                             "mnasnet1_0", "resnet18", "resnet50", "ssdlite_mobilenet_v2",
                                             "lraspp_mobilenet_v3_large", "mobilenet_v2_050"};
#endif
    for (const HwConfig& hw : engines())
      for (const char* m : models) {
        CAPTURE(hw.name);
        CAPTURE(std::string(m));
        compare(load_model(kSource + "/models/" + m + ".yaml"), hw, e);
      }
    report("zoo", e);
    REQUIRE(!e.pct.empty());
    CHECK(e.pct.back() == 0.0);
  }

  TEST_CASE("kernels of networks sampled from the shipped search spaces: exact") {
    Errors e;
    std::vector<HwConfig> hws = engines();
    std::mt19937_64 rng(12);
    int networks = 0;
    for (const char* name : {"detector", "classifier", "segmenter", "detector_fused", "classifier_fine"}) {
      const nas::SearchSpace s = nas::load_space(kSource + "/nas/spaces/" + name + ".yaml", hws[5]);
      for (int i = 0; i < 12; ++i, ++networks) {
        nas::Arch a = nas::random_arch(s, rng);
        Network net = expand(nas::to_model_spec(s, a), name);
        const HwConfig& hw = hws[static_cast<size_t>(i) % hws.size()];
        CAPTURE(hw.name);
        CAPTURE(nas::describe(s, a));
        compare(net, hw, e);
      }
    }
    report("sampled", e);
    REQUIRE(!e.pct.empty());
    CHECK(e.pct.back() == 0.0);
  }
}
