// cli: do the reproducers of issue 16 (a 1e-300 GB/s DRAM, a 2e9 kernel, a 2e9-wide FC, a seed of
// -1) end as a user-facing input error (exit 2, one line naming the key) with no output written,
// instead of negative cycles, a wrapped seed or a run that grows to gigabytes?
#include <doctest/doctest.h>


#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "tests/support/nesim_command.h"

namespace fs = std::filesystem;

namespace {

const std::string kHw = std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml";

using Run = nesim::test::CommandResult;

// A scratch folder per case, removed at the end; `nesim` runs inside it.
struct Scratch : nesim::test::ScratchDir {
  Scratch() : ScratchDir("limits") {}
};

const char* kTiny = "input: [3, 16, 16]\nstem:\n  - {type: conv, out: 8, stride: 2}\nhead:\n  - {type: global_pool}\n  - {type: fc, out: 10}\n";

struct CliCase {
  const char* what;
  std::string model;     // written to model.yaml
  std::string args;      // after `simulate -m model.yaml --hw <ne-pf16>` unless `command` is set
  std::string command;   // a whole command line instead
  std::vector<std::string> parts;
};

}  // namespace

TEST_SUITE("cli: input limits") {
  TEST_CASE("each reproducer exits 2 with one line naming the key and writes nothing") {
    const CliCase cases[] = {
        {"DRAM at 1e-300 GB/s", kTiny, "--set dram.bandwidth_gbps=1e-300", "",
         {"key 'dram.bandwidth_gbps'", "expected a number in [0.001, 1000000]"}},
        {"DRAM at 1e-15 GB/s", kTiny, "--set dram.bandwidth_gbps=1e-15", "", {"key 'dram.bandwidth_gbps'"}},
        {"a 1e-300 MHz clock", kTiny, "--set clock_mhz=1e-300", "", {"key 'clock_mhz'", "[1, 10000]"}},
        {"a 2e9 kernel with 1e9 padding",
         "input: [3, 16, 16]\nstem:\n  - {type: conv, out: 8, kernel: 2000000000, padding: 1000000000}\n", "", "",
         {"model.yaml:3: stem[0] (block 'stem0'): key 'kernel'", "at most 65536"}},
        {"a resize to 2e9 x 2e9", "input: [3, 16, 16]\nstem:\n  - {type: resize, size: [2000000000, 2000000000]}\n", "",
         "", {"model.yaml:3: stem[0] (block 'stem0'): key 'size'"}},
        {"fc out 2e9", "input: [3, 16, 16]\nhead:\n  - {type: global_pool}\n  - {type: fc, out: 2000000000}\n", "", "",
         {"model.yaml:4: head[1] (block 'head1'): key 'out'", "at most 1048576"}},
        {"expand 1e9", "input: [16, 8, 8]\nstem:\n  - {type: ibn, out: 16, expand: 1e9}\n", "", "",
         {"key 'expand'", "at most 1024"}},
        {"repeat 100000", "input: [8, 8, 8]\nstem:\n  - {type: conv, out: 8, repeat: 100000}\n", "", "",
         {"key 'repeat'", "at most 10000"}},
        {"search --seed -1", kTiny, "", "search --space x.yaml --hw " + kHw + " --out out --seed -1",
         {"--seed", "expected a non-negative integer, got '-1'"}},
        {"dataset --seed -1", kTiny, "", "dataset --hw " + kHw + " --out out.csv --seed -1",
         {"--seed", "expected a non-negative integer, got '-1'"}},
    };
    for (const CliCase& c : cases) {
      CAPTURE(c.what);
      Scratch s;
      std::ofstream(s.path("model.yaml")) << c.model;
      const std::string command =
          c.command.empty() ? fmt::format("simulate -m model.yaml --hw {} --csv out.csv --json out.json {}", kHw, c.args)
                            : c.command;
      const Run r = s.nesim(command);
      CHECK(r.status == 2);
      CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
      CHECK_MESSAGE(r.err.rfind("nesim: error: ", 0) == 0, r.err);
      for (const std::string& part : c.parts) CHECK_MESSAGE(r.err.find(part) != std::string::npos, r.err);
      CHECK_MESSAGE(s.files() == 1, "only model.yaml may be left: ", s.files());
    }
  }

  TEST_CASE("a non-negative seed passes the check and the run goes on to its next error") {
    Scratch s;
    const Run r = s.nesim("search --space missing.yaml --hw " + kHw + " --out out --seed 0");
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.err.find("missing.yaml") != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find("--seed") == std::string::npos, r.err);
  }
}
