// Speed benchmarks of the simulator (issue 2's targets), in one process as users run them:
//   simulate   MobileNetV2 224x224 on ne-pf16: compile + SystemC run, per simulation
//   scalesim   SCALE-Sim's own mobilenet.csv topology on its scale32 config (side by side with
//              SCALE-Sim v2, which needs about 140 s for the same inputs here)
//   predict    the latency regressor on MobileNetV2 / ne-pf16 (issue 3's target)
//   total_cycles  Regressor::total_cycles() of a compiled program, the NAS hot path
//   candidates compile + total_cycles of a stream of distinct MobileNetV2 variants that share
//              blocks, as a search sees them, without and with a warm PlanCache; then the same
//              stream through nas::LatencyOracle (no Program built, each distinct plan predicted
//              once): issue 3's 50,000 predictions/s target
// Results go to stdout (and --json). Figures are recorded in docs/benchmarks.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/regressor/oracle.h"
#include "nas/regressor/regressor.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

using namespace nesim;
using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
  double compile_ms = 0, engine_ms = 0, total_ms = 0;
  int64_t total_cycles = 0;
};

Timing time_simulation(const Network& net, const HwConfig& hw, int iterations) {
  Engine::instance().run(compile(net, hw));  // warm-up: elaboration happens once per process
  Timing t;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    Program p = compile(net, hw);
    auto t1 = Clock::now();
    SimResult r = Engine::instance().run(p);
    auto t2 = Clock::now();
    t.compile_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    t.engine_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    t.total_cycles = r.total_cycles;
  }
  t.compile_ms /= iterations;
  t.engine_ms /= iterations;
  t.total_ms = t.compile_ms + t.engine_ms;
  return t;
}

// CPU time of this thread: less disturbed than wall-clock time by the other jobs of a shared VM.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

// Distinct MobileNetV2 variants drawn with a fixed seed: per stage an expand ratio, a depthwise
// kernel and a width, as a block-level search space proposes them. Stages keep their strides and
// repeats, so candidates share most block shapes, and a block's shape repeats whenever its stage
// and the previous stage's width draw repeat.
std::vector<Network> mobilenet_v2_variants(const ModelSpec& base, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double expands[] = {3, 4, 6};
  const int64_t kernels[] = {3, 5, 7};
  const double widths[] = {0.75, 1.0, 1.25};
  std::set<std::vector<size_t>> seen;
  std::vector<Network> nets;
  while (nets.size() < count) {
    std::vector<size_t> genes;
    ModelSpec m = base;
    for (size_t i = 1; i < m.stages.size(); ++i) {  // stage 1 has expand 1: left as it is
      BlockSpec& b = m.stages[i].blocks.at(0);
      size_t e = rng() % 3, k = rng() % 3, w = rng() % 3;
      genes.insert(genes.end(), {e, k, w});
      b.expand = expands[e];
      b.kernel = kernels[k];
      b.out = make_divisible(static_cast<double>(*b.out) * widths[w], 8);
    }
    if (!seen.insert(genes).second) continue;
    m.name = fmt::format("mobilenet_v2_v{}", nets.size());
    nets.push_back(expand(m, m.name));
  }
  return nets;
}

struct StreamTiming {
  double us = 0, checksum = 0;
};

// predict_fn (network -> cycles) over `nets` once; thread CPU time per candidate.
template <typename PredictFn>
StreamTiming time_predictions(const std::vector<Network>& nets, PredictFn&& predict_fn) {
  StreamTiming t;
  double t0 = thread_cpu_us();
  for (const Network& n : nets) t.checksum += predict_fn(n);
  t.us = (thread_cpu_us() - t0) / static_cast<double>(nets.size());
  return t;
}

// compile + total_cycles over `nets` once; thread CPU time per candidate.
template <typename CompileFn>
StreamTiming time_stream(const std::vector<Network>& nets, const nas::Regressor& reg, CompileFn&& compile_fn) {
  return time_predictions(nets, [&](const Network& n) { return reg.total_cycles(compile_fn(n)); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nesim speed benchmarks (issue 2 targets)"};
  int iterations = 200;
  std::string json_out;
  std::string root = NESIM_SOURCE_DIR;
  std::string shared = root + "/../shared/data/scalesim";
  app.add_option("--iterations", iterations, "simulations per benchmark")->check(CLI::PositiveNumber);
  app.add_option("--json", json_out, "also write the figures as JSON");
  app.add_option("--scalesim-dir", shared, "folder with SCALE-Sim's configs/ and topologies/");
  std::string regressor = root + "/traces/regressor-ne-pf.json";
  app.add_option("--regressor", regressor, "regressor for the prediction benchmark");
  size_t candidates = 500;
  app.add_option("--candidates", candidates, "MobileNetV2 variants timed in the candidate stream (twice as many warm the cache first)")
      ->check(CLI::PositiveNumber);
  std::vector<std::string> only;
  app.add_option("--only", only, "run only these benchmarks, comma-separated (default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"simulate", "scalesim", "predict", "candidates"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // a bad flag is a usage error (exit 2), as in nesim
  }
  auto want = [&](const char* name) { return only.empty() || std::find(only.begin(), only.end(), name) != only.end(); };
  try {
    nlohmann::ordered_json out;
    Network mbv2 = load_model(root + "/models/mobilenet_v2.yaml");
    HwConfig pf16 = load_hw_config(root + "/hwconfigs/ne-pf16.yaml");
    if (want("simulate")) {
      Timing s = time_simulation(mbv2, pf16, iterations);
      fmt::print("simulate  mobilenet_v2 on ne-pf16: {:.3f} ms per simulation (compile {:.3f} ms, engine {:.3f} ms), "
                 "{} cycles, {} iterations\n", s.total_ms, s.compile_ms, s.engine_ms, s.total_cycles, iterations);
      out["simulate_mobilenet_v2_ne_pf16"] = {{"ms_per_simulation", s.total_ms}, {"compile_ms", s.compile_ms},
                                              {"engine_ms", s.engine_ms}, {"iterations", iterations}};
    }

    if (want("scalesim")) {
      Network topo = load_model(shared + "/topologies/mobilenet.csv");
      HwConfig scale32 = load_hw_config(shared + "/configs/scale32_os.cfg");
      Timing c = time_simulation(topo, scale32, iterations);
      double scalesim_s = 140.0;
      fmt::print("scalesim  mobilenet.csv on scale32_os.cfg: {:.3f} ms per simulation; SCALE-Sim v2 ~{:.0f} s "
                 "-> {:.0f}x faster\n", c.total_ms, scalesim_s, scalesim_s * 1e3 / c.total_ms);
      out["scalesim_mobilenet_scale32_os"] = {{"ms_per_simulation", c.total_ms},
                                              {"speedup_vs_scalesim_140s", scalesim_s * 1e3 / c.total_ms}};
    }
    nas::Regressor reg = nas::Regressor::load(regressor);
    double sink = 0;
    if (want("predict")) {
      // Regressor queries: the compiler's decomposition plus one tree walk per kernel.
      Program compiled = compile(mbv2, pf16);
      int queries = iterations * 50;
      auto t0 = Clock::now();
      for (int i = 0; i < queries; ++i) sink += reg.predict(compiled).total_cycles;
      double predict_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / queries;
      auto t1 = Clock::now();
      for (int i = 0; i < iterations; ++i) sink += reg.predict(compile(mbv2, pf16)).total_cycles;
      double full_us = std::chrono::duration<double, std::micro>(Clock::now() - t1).count() / iterations;
      fmt::print("predict   mobilenet_v2 on ne-pf16: {:.1f} us per prediction of a compiled program ({:.0f}/s), "
                 "{:.1f} us with compilation ({:.0f}/s) [checksum {:.0f}]\n", predict_us, 1e6 / predict_us, full_us,
                 1e6 / full_us, sink / (queries + iterations));
      out["predict_mobilenet_v2_ne_pf16"] = {{"us_per_prediction_compiled", predict_us}, {"us_with_compile", full_us}};

      // The NAS hot path: best of 10 rounds of 1,000 queries, thread CPU time.
      double best_us = 1e300;
      for (int round = 0; round < 10; ++round) {
        double c0 = thread_cpu_us();
        for (int i = 0; i < 1000; ++i) sink += reg.total_cycles(compiled);
        best_us = std::min(best_us, (thread_cpu_us() - c0) / 1000);
      }
      fmt::print("total_cycles mobilenet_v2 on ne-pf16: {:.2f} us per Regressor::total_cycles of a compiled program "
                 "({:.0f}/s), best of 10 x 1000, thread CPU time\n", best_us, 1e6 / best_us);
      out["total_cycles_mobilenet_v2_ne_pf16"] = {{"us_per_query", best_us}, {"queries_per_s", 1e6 / best_us}};
    }

    if (want("candidates")) {
      // A search's stream: candidates never seen before, whose blocks mostly were.
      ModelSpec base = load_model_spec(root + "/models/mobilenet_v2.yaml");
      std::vector<Network> nets = mobilenet_v2_variants(base, 3 * candidates, 1);
      std::vector<Network> warm(nets.begin(), nets.begin() + static_cast<long>(2 * candidates));
      nets.erase(nets.begin(), nets.begin() + static_cast<long>(2 * candidates));
      StreamTiming plain = time_stream(nets, reg, [&](const Network& n) { return compile(n, pf16); });
      PlanCache cache;  // the warm-up is also what a search sees from its first candidate on
      StreamTiming cold = time_stream(warm, reg, [&](const Network& n) { return compile(n, pf16, {}, cache); });
      sink += cold.checksum;
      double cold_hit_rate = 100.0 * static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
      int64_t hits0 = cache.hits(), misses0 = cache.misses();
      StreamTiming cached = time_stream(nets, reg, [&](const Network& n) { return compile(n, pf16, {}, cache); });
      double hit_rate = 100.0 * static_cast<double>(cache.hits() - hits0) /
                        static_cast<double>(cache.hits() - hits0 + cache.misses() - misses0);
      if (cached.checksum != plain.checksum)
        throw std::runtime_error(fmt::format("cached compile predicted {} cycles in all, uncached {}", cached.checksum,
                                             plain.checksum));
      fmt::print("candidates {} mobilenet_v2 variants on ne-pf16 (compile + total_cycles, thread CPU time): "
                 "{:.1f} us each without cache ({:.0f}/s), {:.1f} us with a PlanCache warmed on {} others ({:.0f}/s, "
                 "{:.1f} % of plans hit, {} plans cached); the {} warm-up candidates on a fresh cache {:.1f} us each "
                 "({:.0f}/s, {:.1f} % hit)\n", nets.size(), plain.us, 1e6 / plain.us, cached.us, warm.size(),
                 1e6 / cached.us, hit_rate, cache.size(), warm.size(), cold.us, 1e6 / cold.us, cold_hit_rate);
      out["candidates_mobilenet_v2_ne_pf16"] = {{"candidates", nets.size()}, {"us_without_cache", plain.us},
                                                {"us_with_warm_cache", cached.us}, {"plan_hit_rate_pct", hit_rate},
                                                {"warm_up_candidates", warm.size()}, {"us_cold_cache", cold.us},
                                                {"plan_hit_rate_cold_pct", cold_hit_rate}};

      // The oracle on the same stream: a fresh one over the warm-up candidates, then the timed
      // ones, best of 5 passes (every plan of the timed set was already seen in the warm-up, so
      // the passes differ only in noise).
      nas::LatencyOracle oracle(std::make_shared<const nas::Regressor>(reg), pf16);
      StreamTiming ocold = time_predictions(warm, [&](const Network& n) { return oracle.total_cycles(n); });
      int64_t walked0 = oracle.kernels_predicted();
      StreamTiming owarm{1e300, 0};
      for (int pass = 0; pass < 5; ++pass) {
        StreamTiming t = time_predictions(nets, [&](const Network& n) { return oracle.total_cycles(n); });
        if (t.checksum != plain.checksum)
          throw std::runtime_error(fmt::format("LatencyOracle predicted {} cycles in all, compile + total_cycles {}",
                                               t.checksum, plain.checksum));
        owarm = t.us < owarm.us ? t : owarm;
      }
      fmt::print("oracle    {} mobilenet_v2 variants on ne-pf16 (LatencyOracle::total_cycles, thread CPU time): "
                 "{:.2f} us each warm ({:.0f}/s, best of 5 passes, {} new tree walks); the {} warm-up candidates "
                 "on a fresh oracle {:.2f} us each ({:.0f}/s, {} tree walks)\n", nets.size(), owarm.us,
                 1e6 / owarm.us, oracle.kernels_predicted() - walked0, warm.size(), ocold.us, 1e6 / ocold.us,
                 walked0);
      out["oracle_mobilenet_v2_ne_pf16"] = {{"candidates", nets.size()}, {"us_warm", owarm.us},
                                            {"predictions_per_s_warm", 1e6 / owarm.us},
                                            {"warm_up_candidates", warm.size()}, {"us_fresh_oracle", ocold.us},
                                            {"predictions_per_s_fresh_oracle", 1e6 / ocold.us}};
    }
    if (sink == 0) fmt::print("(nothing timed)\n");  // sink keeps the timed loops from being optimised away
    if (!json_out.empty()) {
      std::FILE* f = std::fopen(json_out.c_str(), "w");
      if (!f) throw input_error("cannot write '{}'", json_out);
      fmt::print(f, "{}\n", out.dump(2));
      std::fclose(f);
    }
  } catch (const InputError& e) {
    fmt::print(stderr, "nesim_bench: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
