// unit: does every input the fuzzers ever crashed on (fuzz/regressions/<target>/) now give an
// input error naming the file, or parse cleanly — never another exception? Each file goes through
// the same function its libFuzzer target calls (fuzz/targets.h), in every build, sanitized or not.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "fuzz/targets.h"
#include "sim/util/text.h"

namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::function<void(const std::string&, const std::string&)>> kTargets = {
    {"model_yaml", nesim::fuzz::model_yaml}, {"hw_yaml", nesim::fuzz::hw_yaml},
    {"hw_cfg", nesim::fuzz::hw_cfg},         {"topology", nesim::fuzz::topology},
    {"space", nesim::fuzz::space},           {"journal", nesim::fuzz::journal},
    {"onnx", nesim::fuzz::onnx}};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_CASE("every kept fuzz crash is now an input error naming the file, or parses") {
  const fs::path root = fs::path(NESIM_SOURCE_DIR) / "fuzz" / "regressions";
  REQUIRE(fs::is_directory(root));
  int replayed = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const auto target = kTargets.find(dir.path().filename().string());
    REQUIRE_MESSAGE(target != kTargets.end(), "no fuzz target named ", dir.path());
    for (const auto& file : fs::directory_iterator(dir.path())) {
      const std::string name = file.path().filename().string();
      CAPTURE(file.path());
      try {
        target->second(slurp(file.path()), name);
      } catch (const nesim::InputError& e) {
        // A space's message may name its base model instead; both lie under the source tree.
        const std::string named = target->first == "space" ? NESIM_SOURCE_DIR : name;
        CHECK_MESSAGE(std::string(e.what()).find(named) != std::string::npos, e.what());
      } catch (const std::exception& e) {
        FAIL("not an InputError: ", e.what());
      }
      ++replayed;
    }
  }
  CHECK(replayed > 0);
}

TEST_CASE("every reader rejects text that is not UTF-8, naming the file and line") {
  using nesim::text::require_utf8;
  for (const char* good : {"", "plain", "\xc2\xb5s", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "a\nb\n"})
    CHECK_NOTHROW(require_utf8(good, "f.yaml"));
  // Lone continuation, overlong '/', surrogate, past U+10FFFF, truncated sequence, 0xff.
  for (const char* bad : {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "\xff"})
    CHECK_THROWS_WITH_AS(require_utf8(std::string("ok\n") + bad, "f.yaml"), doctest::Contains("f.yaml:2: not valid UTF-8"),
                         nesim::InputError);
  CHECK_THROWS_WITH_AS(nesim::parse_hw_yaml("name: \"ne\xff\"\n", "hw.yaml"), doctest::Contains("hw.yaml:1:"), nesim::InputError);
  CHECK_THROWS_WITH_AS(nesim::parse_model_yaml("# \xfe\ninput: [3, 8, 8]\n", "m.yaml"), doctest::Contains("m.yaml:1:"),
                       nesim::InputError);
}
