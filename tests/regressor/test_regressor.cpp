// regressor: does the latency regressor see kernels the way the compiler makes them, and does a
// saved regressor predict exactly what the trained one did?
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "nas/regressor/dataset.h"
#include "nas/regressor/features.h"
#include "nas/regressor/regressor.h"
#include "sim/compiler/compiler.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/timing/unit_timing.h"
#include "sim/util/error.h"
#include "tests/support/csv_table.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

float feature(const nas::KernelFeatures& f, const std::string& name) {
  const auto& names = nas::feature_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return f.values[i];
  FAIL("no feature " << name);
  return 0;
}

std::string tmp_path(const std::string& name) { return (fs::temp_directory_path() / name).string(); }

}  // namespace

TEST_SUITE("regressor: kernels, features, training round trip") {
  TEST_CASE("features of a hand-worked one-tile kernel") {
    HwConfig hw;  // ne-pf16 defaults
    Kernel k;
    k.name = "c";
    k.kind = "conv";
    k.layers = {1};
    Tile t;
    t.load_ifmap_bytes = 6400;
    t.load_weight_bytes = 640;
    t.store_bytes = 3200;
    ComputeStep s;
    s.layer = 1;
    s.out_pixels = 100;
    s.in_channels = 17;  // two passes of 16 lanes
    s.out_channels = 32;
    s.taps = 9;
    t.steps = {s};
    k.tiles = {t};
    nas::KernelFeatures f = nas::kernel_features(k, hw);
    REQUIRE(f.values.size() == nas::feature_names().size());
    CHECK(feature(f, "kind_conv") == 1.0f);
    CHECK(feature(f, "kind_ibn") == 0.0f);
    CHECK(feature(f, "tiles") == 1.0f);
    CHECK(feature(f, "mac_cycles") == static_cast<float>(100 * 2 * 2 * 9 + 8));
    CHECK(feature(f, "load_bytes") == 6400.0f);
    CHECK(feature(f, "weight_bytes") == 640.0f);
    CHECK(feature(f, "hw_pf") == 16.0f);
    // One tile: both loads are split over the two channels (more than one window of 4 bursts
    // each), so each channel carries a piece of both, one after the other; then compute (with
    // the SRAM port's share of the DMA bytes), then the store.
    REQUIRE(dma_pieces(hw, 6400) + dma_pieces(hw, 640) > hw.dma.channels);
    double want = dma_split_transfer_cycles(hw, 6400) + dma_split_transfer_cycles(hw, 640) +
                  tile_compute_cycles(hw, t) + dma_split_transfer_cycles(hw, 3200);
    CHECK(f.pipeline_cycles == doctest::Approx(want));
    // 17 of 32 input lanes do work; the 8 fill cycles cost a little more.
    CHECK(feature(f, "lane_efficiency") == doctest::Approx(100.0 * 17 * 32 * 9 / ((100 * 2 * 2 * 9 + 8) * 256.0)));
  }

  TEST_CASE("the decomposition is the compiler's, on every zoo model") {
    HwConfig hw;
    for (const auto& e : fs::directory_iterator(fs::path(NESIM_SOURCE_DIR) / "models")) {
      CAPTURE(e.path().filename().string());
      Network net = load_model(e.path().string());
      Program p = compile(net, hw);
      std::vector<nas::KernelRow> rows = nas::kernel_rows(net, hw);
      size_t timed = 0;
      for (const Kernel& k : p.kernels) timed += !k.tiles.empty();
      REQUIRE(rows.size() == timed);
      size_t r = 0;
      for (const Kernel& k : p.kernels)
        if (!k.tiles.empty()) CHECK(rows[r++].kernel == k.name);
    }
  }

  TEST_CASE("fit, save and load: the loaded regressor predicts exactly what was trained") {
    nas::SampleOptions s;
    s.model_files = {std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v2.yaml",
                     std::string(NESIM_SOURCE_DIR) + "/models/mnasnet1_0.yaml"};
    s.hws = {HwConfig{}};
    s.samples = 12;
    std::vector<nas::KernelRow> rows = nas::sample_rows(s);
    REQUIRE(rows.size() > 100);
    std::string data = tmp_path("nesim_test_rows.csv"), model = tmp_path("nesim_test_reg.json");
    nas::write_rows(data, rows);
    std::vector<nas::KernelRow> back = nas::read_rows(data);
    REQUIRE(back.size() == rows.size());
    CHECK(back[7].cycles == rows[7].cycles);

    nas::FitOptions fo;
    fo.rounds = 30;
    nas::Regressor reg = nas::Regressor::fit(back, fo);
    reg.save(model);
    nas::Regressor loaded = nas::Regressor::load(model);
    CHECK(loaded.trees() == 30);
    for (const nas::KernelRow& r : back)
      CHECK(loaded.kernel_cycles(r.features, r.pipeline_cycles) == reg.kernel_cycles(r.features, r.pipeline_cycles));
    // Trained on these networks, it should not be far off them.
    double err = 0;
    for (const nas::KernelRow& r : back)
      err += std::abs(reg.kernel_cycles(r.features, r.pipeline_cycles) - r.cycles) / r.cycles;
    CHECK(err / back.size() < 0.05);

    // Same seed and rows: the same trees.
    nas::Regressor again = nas::Regressor::fit(back, fo);
    CHECK(again.kernel_cycles(back[3].features, back[3].pipeline_cycles) ==
          reg.kernel_cycles(back[3].features, back[3].pipeline_cycles));
    std::remove(data.c_str());
    std::remove(model.c_str());
  }

  TEST_CASE("bad regressor and dataset files are clear errors") {
    std::string bad = tmp_path("nesim_bad_reg.json");
    auto write = [&](const std::string& text) {
      std::ofstream(bad) << text;
    };
    auto expect = [&](auto&& call, const std::string& needle) {
      try {
        call();
        FAIL("expected an InputError containing " << needle);
      } catch (const InputError& e) {
        CHECK(std::string(e.what()).find(needle) != std::string::npos);
      }
    };
    expect([&] { nas::Regressor::load(tmp_path("does_not_exist.json")); }, "cannot read the regressor: no such file");
    write("{not json");
    expect([&] { nas::Regressor::load(bad); }, "not valid JSON");
    write(R"({"format": "other"})");
    expect([&] { nas::Regressor::load(bad); }, "key 'format'");
    write(R"({"format": "nesim-regressor", "schema_version": 99})");
    expect([&] { nas::Regressor::load(bad); }, "schema_version");
    write("# nesim-kernels schema_version=1\nwrong,header\n");
    expect([&] { nas::read_rows(bad); }, ":2:");
    write("model,hw\n");
    expect([&] { nas::read_rows(bad); }, ":1:");
    std::remove(bad.c_str());
  }

  TEST_CASE("the dataset CSV starts with its header; one from an older nesim still reads") {
    std::vector<nas::KernelRow> rows = {{"m", "ne-pf16", "k0", "conv", std::vector<float>(nas::feature_names().size(), 0.5f), 10.5, 12},
                                        {"m", "ne-pf16", "k1", "dwconv", std::vector<float>(nas::feature_names().size(), 2.0f), 7, 9}};
    std::string path = tmp_path("nesim_header_rows.csv"), legacy = tmp_path("nesim_legacy_rows.csv");
    nas::write_rows(path, rows);
    std::ifstream in(path);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    test::CsvTable t = test::parse_csv(text);
    CHECK_MESSAGE(t.error.empty(), t.error);
    CHECK(t.header_line == nas::dataset_csv_header());
    CHECK(t.header_line.rfind("model,hw,kernel,kind,pipeline_cycles,cycles,kind_", 0) == 0);
    CHECK(t.rows.size() == 2);
    std::ofstream(legacy) << "# nesim-kernels schema_version=1\n" << text;
    std::vector<nas::KernelRow> back = nas::read_rows(legacy);
    REQUIRE(back.size() == 2);
    CHECK(back[1].kernel == "k1");
    CHECK(back[1].cycles == 9);
    std::remove(path.c_str());
    std::remove(legacy.c_str());
  }
}
