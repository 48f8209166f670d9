// cli: do `nesim import` and `nesim export` do what a user types: the YAML of an ONNX graph
// simulates as the graph does, an exported model simulates as the original, and bad requests are
// exit 2 with one line?
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/nesim_command.h"

namespace fs = std::filesystem;
using nesim::test::CommandResult;
using nesim::test::ScratchDir;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kHw = kRoot + "/hwconfigs/ne-pf16.yaml";
const std::string kFixtures = kRoot + "/tests/onnx/fixtures/";

nlohmann::json simulate(const ScratchDir& s, const std::string& model) {
  const CommandResult r = s.nesim(fmt::format("simulate --model '{}' --hw {} --json -", model, kHw));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_SUITE("cli: ONNX import and export") {
  TEST_CASE("import and export have --help with an example") {
    ScratchDir s("onnx_help");
    for (const char* cmd : {"import", "export"}) {
      const CommandResult r = s.nesim(fmt::format("{} --help", cmd));
      CHECK_MESSAGE(r.status == 0, cmd);
      CHECK_MESSAGE(r.out.find("Example:") != std::string::npos, cmd);
    }
    CHECK(s.nesim("--help").out.find("import") != std::string::npos);
  }

  TEST_CASE("an ONNX graph and the YAML nesim import writes of it simulate to the same cycles") {
    ScratchDir s("onnx_import");
    for (const char* name : {"tiny_mbv3", "tiny_shuffle", "tiny_convnext"}) {
      CAPTURE(name);
      const std::string onnx = kFixtures + name + ".onnx", yaml = s.path(std::string(name) + ".yaml");
      const CommandResult r = s.nesim(fmt::format("import '{}' -o '{}'", onnx, yaml));
      REQUIRE_MESSAGE(r.status == 0, r.err);
      CHECK(r.out.find("-> " + yaml) != std::string::npos);
      const nlohmann::json a = simulate(s, onnx), b = simulate(s, yaml);
      CHECK(a["total_cycles"] == b["total_cycles"]);
      CHECK(a["params"] == b["params"]);
      CHECK(a["macs"] == b["macs"]);
      // Records name the ONNX nodes.
      CHECK(a["layers"][0]["name"].get<std::string>().find('/') != std::string::npos);
    }
  }

  TEST_CASE("an exported model imports to the same cycles; export needs something to write") {
    ScratchDir s("onnx_export");
    const std::string model = kRoot + "/models/mobilenet_v3_small.yaml";
    const std::string py = s.path("net.py"), onnx = s.path("net.onnx");
    const CommandResult r = s.nesim(fmt::format("export --model {} --pytorch '{}' --onnx '{}'", model, py, onnx));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(fs::file_size(py) > 0);
    CHECK(simulate(s, model)["total_cycles"] == simulate(s, onnx)["total_cycles"]);
    const CommandResult none = s.nesim(fmt::format("export --model {}", model));
    CHECK(none.status == 2);
    CHECK(none.err.find("--pytorch, --onnx") != std::string::npos);
    const CommandResult same = s.nesim(fmt::format("export --model {} --pytorch '{}' --onnx '{}'", model, py, py));
    CHECK(same.status == 2);
  }
}

TEST_SUITE("cli: ONNX import and export") {
  TEST_CASE("a search space's base may be an ONNX graph; the search writes best.py and best.onnx") {
    ScratchDir s("onnx_search");
    const std::string space = s.path("space.yaml");
    {
      std::ofstream f(space);
      f << "name: onnx_space\nbase: " << kFixtures << "tiny_mbv3.onnx\nchannels: curated\n"
        << "width_multiplier: [0.5, 1.0]\nobjectives: [memory, latency]\n";
    }
    const CommandResult r =
        s.nesim(fmt::format("search --space '{}' --hw {} --out '{}' --budget 4 --jobs 1", space, kHw, s.path("run")));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    for (const char* f : {"best.yaml", "best.py", "best.onnx"}) CHECK_MESSAGE(fs::exists(s.path("run") + "/" + f), f);
    CHECK(simulate(s, s.path("run") + "/best.yaml")["total_cycles"] ==
          simulate(s, s.path("run") + "/best.onnx")["total_cycles"]);
  }
}
