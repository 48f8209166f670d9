// regressor: does `nesim check --reference` hold the simulator to measured latencies, and name
// the file, line and key of a bad reference file?
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;

struct Run {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), {}};
}

// `nesim check` on the goldens and a reference file with `rows`; the regressor check is skipped.
Run check_reference(const std::string& rows, const std::string& extra = "") {
  fs::path dir = fs::temp_directory_path() / fmt::format("nesim_reference_{}", getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "measured.csv") << rows;
  std::string cmd = fmt::format("'{}' check --regressor '' --reference '{}' {} >'{}' 2>'{}'", NESIM_BINARY,
                                (dir / "measured.csv").string(), extra, (dir / "out").string(), (dir / "err").string());
  int raw = std::system(cmd.c_str());
  Run r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out"), slurp(dir / "err")};
  fs::remove_all(dir);
  return r;
}

}  // namespace

TEST_SUITE("regressor: nesim check --reference") {
  const std::string model = kRoot + "/models/mobilenet_v2_050.yaml", hw = kRoot + "/hwconfigs/ne-pf16.yaml";
  const std::string head = "model,hw,layer,measured_ms\n";

  TEST_CASE("measurements equal to the simulator pass; 30 % off fails with the worst row named") {
    SimResult sim = simulate(load_model(model), load_hw_config(hw));
    const LayerRecord& layer = sim.layers.at(5);
    double layer_ms = static_cast<double>(layer.total_cycles) / (sim.clock_mhz * 1e3);
    std::string exact = head + fmt::format("{},{},,{}\n{},{},{},{}\n", model, hw, sim.latency_ms, model, hw, layer.name, layer_ms);
    Run ok = check_reference(exact, "--tolerance 0.001");
    CHECK(ok.status == 0);
    CHECK(ok.out.find("reference ok") != std::string::npos);

    std::string off = head + fmt::format("{},{},,{}\n{},{},{},{}\n", model, hw, sim.latency_ms, model, hw, layer.name, layer_ms * 1.3);
    Run bad = check_reference(off, "--tolerance 5");
    CHECK(bad.status == 1);
    CHECK(bad.out.find("reference FAILED") != std::string::npos);
    CHECK(bad.out.find("worst 1: mobilenet_v2_050 on ne-pf16 layer " + layer.name) != std::string::npos);
  }

  TEST_CASE("a bad reference file exits 2 naming the file, line and what is wrong") {
    Run r = check_reference("model,hw,measured_ms\n");
    CHECK(r.status == 2);
    CHECK(r.err.find("measured.csv:1: expected the header") != std::string::npos);
    r = check_reference(head + fmt::format("{},{},,fast\n", model, hw));
    CHECK(r.status == 2);
    CHECK(r.err.find("measured.csv:2: measured_ms") != std::string::npos);
    r = check_reference(head + fmt::format("{},{},s1b0.dww,0.1\n", model, hw));
    CHECK(r.status == 2);
    CHECK(r.err.find("measured.csv:2: layer 's1b0.dww'") != std::string::npos);
    CHECK(r.err.find("nearest: 's1b0.dw'") != std::string::npos);
    r = check_reference(head + fmt::format("{},{}/hwconfigs/nope.yaml,,1\n", model, kRoot));
    CHECK(r.status == 2);
    CHECK(r.err.find("measured.csv:2:") != std::string::npos);
    r = check_reference(head);
    CHECK(r.status == 2);
    CHECK(r.err.find("no measurements") != std::string::npos);
  }
}
