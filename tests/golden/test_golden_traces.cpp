// golden: did a small model's per-layer trace change?
// Each traces/golden/<model>__<hw>.csv is `nesim simulate --csv` output for models/<model>.yaml
// on hwconfigs/<hw>.yaml. An intended timing change regenerates them with
// scripts/regen-goldens.sh, and the diff is reviewed like code.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/report/result_writers.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');) out.push_back(c);
  return out;
}

// "layer s2b0.expand: total_cycles 1234 -> 1240" for each differing field.
std::string diff(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  std::string out;
  if (want.size() != got.size())
    out += "row count " + std::to_string(want.size()) + " -> " + std::to_string(got.size()) + "\n";
  std::vector<std::string> header = want.size() > 1 ? cells(want[1]) : std::vector<std::string>{};
  for (size_t i = 2; i < std::min(want.size(), got.size()); ++i) {
    if (want[i] == got[i]) continue;
    auto w = cells(want[i]), g = cells(got[i]);
    for (size_t c = 0; c < std::min({w.size(), g.size(), header.size()}); ++c)
      if (w[c] != g[c]) out += "layer " + g[2] + ": " + header[c] + " " + w[c] + " -> " + g[c] + "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("golden: per-layer traces of small models") {
  TEST_CASE("every golden trace is reproduced exactly") {
    fs::path dir = fs::path(NESIM_SOURCE_DIR) / "traces" / "golden";
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::string stem = entry.path().stem().string();
      if (entry.path().extension() != ".csv") continue;
      auto sep = stem.find("__");
      REQUIRE(sep != std::string::npos);
      std::string model = stem.substr(0, sep), hw_name = stem.substr(sep + 2);
      CAPTURE(stem);
      Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/" + model + ".yaml");
      HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/" + hw_name + ".yaml");
      std::ifstream in(entry.path());
      std::stringstream want;
      want << in.rdbuf();
      std::string got = layers_csv(simulate(net, hw));
      std::string d = diff(lines_of(want.str()), lines_of(got));
      INFO("per-layer diff (golden -> now); regenerate with scripts/regen-goldens.sh if intended:\n" << d);
      CHECK(got == want.str());
      ++checked;
    }
    CHECK(checked >= 2);
  }
}
