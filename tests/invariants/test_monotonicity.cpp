// invariants: does more hardware never make a network slower? Across the zoo and networks
// sampled from the shipped search spaces, latency must not rise when any one resource grows
// (SRAM capacity and ports, DMA channels and outstanding bursts, DRAM bandwidth, MAC array,
// vector lanes), nor with the clock; and utilisation never exceeds 100 % of the engine's peak. The planner is heuristic
// (docs/architecture.md, "The compiler": it replays only its best few candidate tilings), so a
// step may lose up to kTolerance; anything more is a planner or engine bug.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nas/search/space.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

const std::string kSource = NESIM_SOURCE_DIR;
constexpr double kTolerance = 0.005;

struct Outcome {
  bool mapped = false;
  int64_t cycles = 0;
  double latency_ms = 0, max_utilization = 0;
};

// One cache for every run: networks sampled from one space share most layer shapes, and a
// cached compile gives the Program a plain one does (compiler.h).
PlanCache& cache() {
  static PlanCache c(size_t{1} << 17);
  return c;
}

Outcome run(const Network& net, const HwConfig& hw) {
  Outcome o;
  Program p;
  try {
    p = compile(net, hw, {}, cache());
  } catch (const InputError&) {
    return o;  // does not fit: only a smaller engine may refuse it (checked by the caller)
  }
  SimResult r = Engine::instance().run(p);
  o.mapped = true;
  o.cycles = r.total_cycles;
  o.latency_ms = r.latency_ms;
  o.max_utilization = r.mac_utilization;
  for (const LayerRecord& l : r.layers) o.max_utilization = std::max(o.max_utilization, l.mac_utilization);
  return o;
}

struct Ladder {
  const char* key;
  std::vector<const char*> values;  // growing resource
  bool by_time = false;             // compare latency in ms (clock), not cycles
};

const std::vector<Ladder>& ladders() {
  static const std::vector<Ladder> l = {
      {"sram.kib", {"64", "96", "128", "256", "512", "1024"}},
      {"dma.channels", {"1", "2", "4", "8"}},
      {"dma.max_outstanding", {"1", "2", "4", "16"}},
      {"dram.bandwidth_gbps", {"4", "8", "16"}},
      {"mac_array.pf", {"8", "16", "32"}},
      {"sram.bytes_per_cycle", {"8", "32", "64", "128"}},
      {"sram.banks", {"1", "2", "4", "8"}},
      {"vector_unit.lanes", {"8", "16", "32"}},
      {"clock_mhz", {"400", "800", "1600"}, true},
  };
  return l;
}

struct Checker {
  std::vector<std::string> violations;
  int runs = 0, steps = 0, losing_steps = 0;
  double worst_loss = 0;  // the largest slowdown of a step, within tolerance or not
  std::string worst;

  void ladder(const std::string& what, const Network& net, const HwConfig& base, const Ladder& lad) {
    Outcome prev;
    std::string prev_value;
    for (const char* v : lad.values) {
      HwConfig hw = base;
      set_hw_key(hw, lad.key, v, "monotonicity test");
      Outcome o = run(net, hw);
      ++runs;
      if (o.mapped && o.max_utilization > 1.0 + 1e-9)
        violations.push_back(fmt::format("{} on {} {}={}: utilisation {:.1f} %", what, base.name, lad.key, v,
                                         100 * o.max_utilization));
      if (!prev_value.empty() && prev.mapped) {
        ++steps;
        double before = lad.by_time ? prev.latency_ms : static_cast<double>(prev.cycles);
        double after = lad.by_time ? o.latency_ms : static_cast<double>(o.cycles);
        if (o.mapped && after > before) {
          ++losing_steps;
          if (after / before - 1 > worst_loss) {
            worst_loss = after / before - 1;
            worst = fmt::format("{} on {}, {} {} -> {}", what, base.name, lad.key, prev_value, v);
          }
        }
        if (!o.mapped)
          violations.push_back(fmt::format("{} on {}: maps with {}={} but not with {}", what, base.name, lad.key,
                                           prev_value, v));
        else if (after > before * (1 + kTolerance))
          violations.push_back(fmt::format("{} on {}: {} {} -> {} makes it {:+.2f} % slower ({} -> {})", what,
                                           base.name, lad.key, prev_value, v, 100 * (after / before - 1), before,
                                           after));
      }
      prev = o;
      prev_value = v;
    }
  }

  void all(const std::string& what, const Network& net, const HwConfig& base) {
    for (const Ladder& lad : ladders()) ladder(what, net, base, lad);
  }

  void report(const char* suite) {
    MESSAGE(std::string(suite) << ": " << runs << " runs, " << steps << " steps, " << violations.size()
                               << " violations; " << losing_steps << " steps slower, worst "
                               << fmt::format("{:+.3f} %", 100 * worst_loss) << (worst.empty() ? "" : " (" + worst + ")"));
    for (size_t i = 0; i < std::min<size_t>(violations.size(), 25); ++i) MESSAGE(violations[i]);
    CHECK(violations.empty());
  }
};

HwConfig hw(const char* name) { return load_hw_config(kSource + "/hwconfigs/" + name + ".yaml"); }

}  // namespace

TEST_SUITE("invariants: more hardware is never slower") {
  TEST_CASE("every zoo model on ne-pf8 and ne-pf16, one resource at a time") {
    Checker c;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(kSource + "/models"))
      if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 10);
    for (const std::string& f : files) {
      Network net = load_model(f);
      for (const char* base : {"ne-pf8", "ne-pf16"}) c.all(net.name, net, hw(base));
    }
    c.report("zoo");
  }

  TEST_CASE("60 networks sampled from the shipped search spaces, on ne-pf16 and ne-pf32") {
    Checker c;
    std::mt19937_64 rng(2026);
    const HwConfig pf16 = hw("ne-pf16"), pf32 = hw("ne-pf32");
    int sampled = 0;
    for (const char* name : {"detector", "classifier", "segmenter", "detector_fused", "classifier_fine", "detector_width"}) {
      const nas::SearchSpace s = nas::load_space(kSource + "/nas/spaces/" + std::string(name) + ".yaml", pf16);
      for (int i = 0; i < 10; ++i, ++sampled) {
        nas::Arch a = nas::random_arch(s, rng);
        Network net = expand(nas::to_model_spec(s, a), name);
        c.all(fmt::format("{} [{}]", name, nas::describe(s, a)), net, sampled % 2 ? pf32 : pf16);
      }
    }
    CHECK(sampled >= 50);
    c.report("sampled");
  }
}
