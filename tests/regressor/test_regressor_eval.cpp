// regressor: are the accuracy figures right (hand-worked and brute-force checks), does the
// query-time tree layout walk a saved tree the way XGBoost defines it, and do the shape-prior rows
// become the layers they describe?
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "nas/regressor/accuracy.h"
#include "nas/regressor/dataset.h"
#include "nas/regressor/features.h"
#include "nas/regressor/regressor.h"
#include "sim/util/error.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

double brute_kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  double con = 0, dis = 0, x_only = 0, y_only = 0;
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = i + 1; j < x.size(); ++j) {
      double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0 && dy == 0) continue;
      if (dx == 0) ++x_only;
      else if (dy == 0) ++y_only;
      else (dx * dy > 0 ? con : dis) += 1;
    }
  return (con - dis) / std::sqrt((con + dis + y_only) * (con + dis + x_only));
}

// A regressor file by hand: one tree of uneven depth and one single-leaf tree.
//   tree 0: f0 < 0.5 ? 0.1 : (f1 < 2 ? 0.2 : 0.3)      tree 1: 0.05
nlohmann::json hand_regressor() {
  return {{"format", "nesim-regressor"},
          {"schema_version", 1},
          {"features", nas::feature_names()},
          {"base_score", 0.0},
          {"roots", {0, 5}},
          {"left", {1, -1, 3, -1, -1, -1}},
          {"right", {2, -1, 4, -1, -1, -1}},
          {"feature", {0, 0, 1, 0, 0, 0}},
          {"threshold", {0.5, 0.1, 2.0, 0.2, 0.3, 0.05}},
          {"value", {0.5, 0.1, 2.0, 0.2, 0.3, 0.05}}};
}

std::string write_tmp(const std::string& name, const nlohmann::json& j) {
  std::string path = (fs::temp_directory_path() / name).string();
  std::ofstream(path) << j.dump();
  return path;
}

void expect_input_error(const std::string& path, const std::string& needle) {
  try {
    nas::Regressor::load(path);
    FAIL("expected an InputError containing " << needle);
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

}  // namespace

TEST_SUITE("regressor: accuracy figures and tree evaluation") {
  TEST_CASE("accuracy of four hand-worked predictions") {
    nas::Accuracy a = nas::accuracy({105, 190, 100, 300}, {100, 200, 100, 250});
    CHECK(a.n == 4);
    CHECK(a.mape_pct == doctest::Approx(7.5));  // 5, 5, 0, 20
    CHECK(a.rmspe_pct == doctest::Approx(100 * std::sqrt((0.0025 * 2 + 0.04) / 4)));
    CHECK(a.within_5_pct == doctest::Approx(75));
    CHECK(a.within_10_pct == doctest::Approx(75));
    CHECK(a.spearman == doctest::Approx(std::sqrt(0.9)));  // ranks 2,3,1,4 against 1.5,3,1.5,4
  }

  TEST_CASE("rank correlations: hand-worked values, with and without ties") {
    // Discordant pairs (1,2), (1,3), (4,5) of 10: tau = (7 - 3) / 10; sum d^2 = 8.
    CHECK(nas::kendall_tau_b({1, 2, 3, 4, 5}, {3, 1, 2, 5, 4}) == doctest::Approx(0.4));
    CHECK(nas::spearman_rho({1, 2, 3, 4, 5}, {3, 1, 2, 5, 4}) == doctest::Approx(0.6));
    // One tie in x, one in y, no discordant pair: tau-b = 4 / sqrt(5 * 5).
    CHECK(nas::kendall_tau_b({1, 2, 2, 3}, {1, 3, 2, 3}) == doctest::Approx(0.8));
    CHECK(nas::spearman_rho({1, 2, 2, 3}, {1, 3, 2, 3}) == doctest::Approx(3.75 / 4.5));
    CHECK(nas::kendall_tau_b({1, 2, 3}, {3, 2, 1}) == doctest::Approx(-1.0));
    CHECK(std::isnan(nas::kendall_tau_b({1}, {1})));
    CHECK(std::isnan(nas::spearman_rho({1, 1, 1}, {1, 2, 3})));
  }

  TEST_CASE("Kendall's O(n log n) tau-b equals the pairwise definition on data with many ties") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> x, y;
      for (int i = 0; i < 400; ++i) {
        x.push_back(static_cast<double>(rng() % 30));
        y.push_back(x.back() * 0.5 + static_cast<double>(rng() % 20));
      }
      CHECK(nas::kendall_tau_b(x, y) == doctest::Approx(brute_kendall_tau_b(x, y)).epsilon(1e-12));
    }
  }

  TEST_CASE("a hand-written tree of uneven depth is walked as XGBoost defines it") {
    nas::Regressor r = nas::Regressor::load(write_tmp("nesim_hand_reg.json", hand_regressor()));
    CHECK(r.trees() == 2);
    std::vector<float> f(nas::feature_names().size(), 0.0f);
    CHECK(r.kernel_cycles(f, 100) == doctest::Approx(100 * std::exp(0.1f + 0.05f)));
    f[0] = 0.5f;  // not below the threshold: right
    f[1] = 1.0f;
    CHECK(r.kernel_cycles(f, 100) == doctest::Approx(100 * std::exp(0.2f + 0.05f)));
    f[1] = 2.0f;
    CHECK(r.kernel_cycles(f, 100) == doctest::Approx(100 * std::exp(0.3f + 0.05f)));
    f[0] = 0.4f;  // left leaf, whatever f1 says
    CHECK(r.kernel_cycles(f, 100) == doctest::Approx(100 * std::exp(0.1f + 0.05f)));
  }

  TEST_CASE("tree arrays that are not trees, or too deep, are errors naming the file") {
    nlohmann::json shared = hand_regressor();
    shared["right"][2] = 1;  // node 1 would have two parents
    expect_input_error(write_tmp("nesim_shared_reg.json", shared), "malformed tree arrays");

    nlohmann::json deep = hand_regressor();  // a chain 14 splits deep
    std::vector<int> left, right, feature;
    std::vector<float> threshold;
    for (int i = 0; i < 14; ++i) {
      left.push_back(2 * i + 1), right.push_back(2 * i + 2), feature.push_back(0), threshold.push_back(float(i));
      left.push_back(-1), right.push_back(-1), feature.push_back(0), threshold.push_back(0.1f);
    }
    left.push_back(-1), right.push_back(-1), feature.push_back(0), threshold.push_back(0.2f);
    deep["roots"] = {0};
    deep["left"] = left, deep["right"] = right, deep["feature"] = feature;
    deep["threshold"] = threshold, deep["value"] = threshold;
    expect_input_error(write_tmp("nesim_deep_reg.json", deep), "at most 12");
  }
}

TEST_SUITE("regressor: single-layer networks from the real-model shape prior") {
  TEST_CASE("every prior row becomes a one-layer network with the shape worked out by hand") {
    std::vector<Network> nets = nas::layer_shape_networks(std::string(NESIM_SHARED_DIR) + "/data/layer_shapes");
    CHECK(nets.size() == 1251 + 276 + 28 + 54);
    // conv.csv row 1: AlexNet's first conv, 3x224x224 -> 64 channels, 11x11 stride 4, padding 5:
    // (224 + 10 - 11) / 4 + 1 = 56.
    REQUIRE(nets[0].layers.size() == 2);
    CHECK(nets[0].layers[1].op == Op::Conv2d);
    CHECK(nets[0].layers[1].out == Shape{64, 56, 56});
    CHECK(nets[0].name == "conv_3x224x224_k11s4g1_o64");
  }

  TEST_CASE("a malformed shape file names the file and line") {
    fs::path dir = fs::temp_directory_path() / "nesim_bad_shapes";
    fs::create_directories(dir);
    auto expect = [&](const std::string& needle) {
      try {
        nas::layer_shape_networks(dir.string());
        FAIL("expected an InputError containing " << needle);
      } catch (const InputError& e) {
        CHECK(std::string(e.what()).find(needle) != std::string::npos);
      }
    };
    expect("conv.csv: cannot open");
    std::ofstream(dir / "conv.csv") << "model,h,w\n";
    expect("conv.csv:1: expected the header");
    std::ofstream(dir / "conv.csv") << "model,input_h,input_w,cin,cout,ks,stride,groups\nnet,8,8,3,16,3,1,1\nnet,8,8,3,x,3,1,1\n";
    expect("conv.csv:3: expected positive integers");
    std::ofstream(dir / "conv.csv") << "model,input_h,input_w,cin,cout,ks,stride,groups\nnet,8,8,3,16,3,1\n";
    expect("conv.csv:2: expected the columns");
    fs::remove_all(dir);
  }
}
