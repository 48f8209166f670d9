// Speed benchmarks of the simulator (issue 2's targets), in one process as users run them:
//   simulate   MobileNetV2 224x224 on ne-pf16: compile + SystemC run, per simulation
//   scalesim   SCALE-Sim's own mobilenet.csv topology on its scale32 config (side by side with
//              SCALE-Sim v2, which needs about 140 s for the same inputs here)
// Results go to stdout (and --json). Figures are recorded in docs/benchmarks.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/regressor/regressor.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"
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
  CLI11_PARSE(app, argc, argv);
  try {
    nlohmann::ordered_json out;
    Network mbv2 = load_model(root + "/models/mobilenet_v2.yaml");
    HwConfig pf16 = load_hw_config(root + "/hwconfigs/ne-pf16.yaml");
    Timing s = time_simulation(mbv2, pf16, iterations);
    fmt::print("simulate  mobilenet_v2 on ne-pf16: {:.3f} ms per simulation (compile {:.3f} ms, engine {:.3f} ms), "
               "{} cycles, {} iterations\n", s.total_ms, s.compile_ms, s.engine_ms, s.total_cycles, iterations);
    out["simulate_mobilenet_v2_ne_pf16"] = {{"ms_per_simulation", s.total_ms}, {"compile_ms", s.compile_ms},
                                            {"engine_ms", s.engine_ms}, {"iterations", iterations}};

    Network topo = load_model(shared + "/topologies/mobilenet.csv");
    HwConfig scale32 = load_hw_config(shared + "/configs/scale32_os.cfg");
    Timing c = time_simulation(topo, scale32, iterations);
    double scalesim_s = 140.0;
    fmt::print("scalesim  mobilenet.csv on scale32_os.cfg: {:.3f} ms per simulation; SCALE-Sim v2 ~{:.0f} s "
               "-> {:.0f}x faster\n", c.total_ms, scalesim_s, scalesim_s * 1e3 / c.total_ms);
    out["scalesim_mobilenet_scale32_os"] = {{"ms_per_simulation", c.total_ms},
                                            {"speedup_vs_scalesim_140s", scalesim_s * 1e3 / c.total_ms}};
    // Regressor queries: the compiler's decomposition plus one tree walk per kernel.
    nas::Regressor reg = nas::Regressor::load(regressor);
    Program compiled = compile(mbv2, pf16);
    int queries = iterations * 50;
    double sink = 0;
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
