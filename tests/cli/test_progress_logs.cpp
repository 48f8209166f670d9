// cli: does a long command write a log a person can read? With stderr in a file (not a terminal)
// no '\r' redraws, --quiet silences progress, --progress forces the bar, and both flags exit 2.
#include <doctest/doctest.h>


#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tests/support/nesim_command.h"

namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kHw = kRoot + "/hwconfigs/ne-pf16.yaml";

using Result = nesim::test::CommandResult;
using Folder = nesim::test::ScratchDir;

std::string sweep_args(const Folder& f) {
  return fmt::format("sweep --model {}/models/mobilenet_v2.yaml --hw {} --set mac_array.pf=8,16 --jobs 2 --csv {}",
                     kRoot, kHw, f.path("sweep.csv"));
}

std::string search_args(const Folder& f) {
  return fmt::format("search --space {}/nas/spaces/classifier.yaml --hw {} --out {} --budget 8 --batch 4 "
                     "--sim-every 100 --sim-top 1 --seed 3",
                     kRoot, kHw, f.path("run"));
}

}  // namespace

TEST_SUITE("cli: progress and logs") {
  TEST_CASE("into a file: plain lines and a final one, never a carriage return") {
    Folder f("log");
    const Result sweep = f.nesim(sweep_args(f));
    REQUIRE_MESSAGE(sweep.status == 0, sweep.err);
    CHECK(sweep.err.find('\r') == std::string::npos);
    CHECK(sweep.err.find("nesim: swept 2 runs") != std::string::npos);

    const Result search = f.nesim(search_args(f));
    REQUIRE_MESSAGE(search.status == 0, search.err);
    CHECK(search.err.find('\r') == std::string::npos);
    CHECK_MESSAGE(search.err.find("search: 8/8 evaluations (100%) in ") != std::string::npos, search.err);
    CHECK(search.out.find("best ") != std::string::npos);
  }

  TEST_CASE("--quiet: no progress and no summary on stderr; the results still come") {
    Folder f("quiet");
    const Result sweep = f.nesim(sweep_args(f) + " --quiet");
    REQUIRE(sweep.status == 0);
    CHECK_MESSAGE(sweep.err.empty(), sweep.err);
    CHECK(sweep.out.find("Pareto front") != std::string::npos);
    CHECK(fs::exists(f.path("sweep.csv")));

    const Result search = f.nesim(search_args(f) + " -q");
    REQUIRE(search.status == 0);
    CHECK_MESSAGE(search.err.empty(), search.err);
    CHECK(search.out.find("best ") != std::string::npos);
  }

  TEST_CASE("--progress: the bar even into a file, ended by a newline") {
    Folder f("bar");
    const Result sweep = f.nesim(sweep_args(f) + " --progress");
    REQUIRE(sweep.status == 0);
    CHECK(sweep.err.find("\rsweep [") != std::string::npos);
    CHECK(sweep.err.find("2/2 runs 100%") != std::string::npos);
    CHECK(sweep.err.back() == '\n');
  }

  TEST_CASE("every long command offers --progress and --quiet; both at once exit 2 before any work") {
    Folder f("both");
    const std::string model = kRoot + "/models/mobilenet_v2.yaml";
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"sweep", fmt::format("--model {} --hw {} --csv {}", model, kHw, f.path("s.csv"))},
        {"search", fmt::format("--space {}/nas/spaces/classifier.yaml --hw {} --out {}", kRoot, kHw, f.path("run"))},
        {"experiment", fmt::format("classifier --out {}", f.path("exp"))},
        {"dataset", fmt::format("--hw {} --out {}", kHw, f.path("d.csv"))},
        {"fit", fmt::format("--data {} --out {}", f.path("d.csv"), f.path("r.json"))},
        {"accuracy", fmt::format("--model {} --train 5", model)},
        {"proxy-eval", fmt::format("--space {}/nas/spaces/classifier.yaml --out {}", kRoot, f.path("pe"))},
        {"advise", fmt::format("--model {} --hw {} --out {}", model, kHw, f.path("a.yaml"))},
    };
    for (const auto& [command, args] : commands) {
      CAPTURE(command);
      const Result help = f.nesim(command + " --help");
      CHECK(help.out.find("--progress") != std::string::npos);
      CHECK(help.out.find("--quiet") != std::string::npos);
      const Result both = f.nesim(fmt::format("{} {} --progress --quiet", command, args));
      CHECK(both.status == 2);
      CHECK_MESSAGE(both.err == "nesim: error: --progress and --quiet: expected at most one of them\n", both.err);
      CHECK(both.out.empty());
    }
    CHECK(fs::directory_iterator(f.dir) == fs::directory_iterator());  // nothing was written
  }
}
