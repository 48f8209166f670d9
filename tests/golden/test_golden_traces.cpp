// golden: did a small model's per-layer trace change?
// Each traces/golden/<model>__<hw>.csv is `nesim simulate --csv` output for models/<model>.yaml
// on hwconfigs/<hw>.yaml. An intended timing change regenerates them with
// scripts/regen-goldens.sh, and the diff is reviewed like code.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/report/golden.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"

using namespace nesim;
namespace fs = std::filesystem;

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
      std::string d = golden_diff(want.str(), got);
      INFO("per-layer diff (golden -> now); regenerate with scripts/regen-goldens.sh if intended:\n" << d);
      CHECK(got == want.str());
      ++checked;
    }
    CHECK(checked >= 2);
  }

  TEST_CASE("a perturbed golden is caught and the diff names the layer and the field") {
    HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
    std::string good = layers_csv(simulate(load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2_050.yaml"), hw));
    CHECK(golden_diff(good, good).empty());
    // Change the 4th layer's total_cycles (column 9) by one cycle.
    std::string bad = good;
    size_t row = 0;
    for (int i = 0; i < 4; ++i) row = bad.find('\n', row) + 1;  // header, 3 rows
    size_t col = row;
    for (int c = 0; c < 8; ++c) col = bad.find(',', col) + 1;
    bad.insert(col, "1");
    std::string d = golden_diff(bad, good);
    CHECK(d.find("total_cycles") != std::string::npos);
    size_t name_at = good.find(',', good.find(',', row) + 1) + 1;  // third column: the layer name
    std::string layer_name = good.substr(name_at, good.find(',', name_at) - name_at);
    CHECK(d.find("layer " + layer_name + ": total_cycles") != std::string::npos);
    CHECK(d.find(" -> ") != std::string::npos);
  }

  TEST_CASE("a golden starts with the header; the legacy schema line is skipped, a wrong header named") {
    fs::path golden = fs::path(NESIM_SOURCE_DIR) / "traces" / "golden" / "mobilenet_v2_050__ne-pf16.csv";
    std::string text = read_golden(golden.string());
    CHECK(text.substr(0, text.find('\n')) == layers_csv_header());
    fs::path dir = fs::temp_directory_path() / ("nesim_golden_header_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& body) {
      std::ofstream((dir / name).string(), std::ios::binary) << body;
      return (dir / name).string();
    };
    CHECK(read_golden(write("legacy.csv", "# nesim-layers schema_version=1\n" + text)) == text);
    std::string wrong = write("wrong.csv", "layer,cycles\n1,2\n");
    const std::string needle = wrong + ":1: expected the per-layer CSV header";
    CHECK_THROWS_WITH_AS(read_golden(wrong), doctest::Contains(needle.c_str()), InputError);
    CHECK_THROWS_AS(read_golden(write("sweep.csv", "# nesim-sweep schema_version=1\n" + text)), InputError);
    fs::remove_all(dir);
  }
}
