// `nesim check`: the CI guard. Exit 0 when everything holds, 1 on a regression, 2 on bad input.
//  - the simulator against the reviewed golden traces (any change in a layer's cycles or bytes);
//  - the regressor against the simulator on a fixed set (zoo models x shipped ne-pf configs),
//    against the thresholds in traces/thresholds.yaml;
//  - optionally, the simulator against latencies measured on silicon or RTL (--reference).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "nas/regressor/regressor.h"
#include "sim/cli/check_reference.h"
#include "sim/cli/cli_util.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/report/golden.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

namespace fs = std::filesystem;

struct CheckOptions {
  std::string root = NESIM_SOURCE_DIR;
  std::string golden, regressor, thresholds, reference;
  double tolerance_pct = 10;
};

// Returns the number of golden traces that changed.
int check_golden(const CheckOptions& o) {
  if (!fs::is_directory(o.golden)) throw input_error("--golden '{}': not a directory", o.golden);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(o.golden))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw input_error("--golden '{}': no .csv golden traces", o.golden);
  int changed = 0;
  for (const fs::path& f : files) {
    std::string stem = f.stem().string();
    auto sep = stem.find("__");
    if (sep == std::string::npos)
      throw input_error("{}: expected a name <model>__<hw>.csv", f.string());
    Network net = read_model(o.root + "/models/" + stem.substr(0, sep) + ".yaml");
    HwConfig hw = read_hw(o.root + "/hwconfigs/" + stem.substr(sep + 2) + ".yaml");
    std::string d = golden_diff(read_golden(f.string()), layers_csv(simulate(net, hw)));
    if (d.empty()) {
      fmt::print("golden  ok       {}\n", f.filename().string());
    } else {
      ++changed;
      fmt::print("golden  CHANGED  {}\n{}", f.filename().string(), d);
    }
  }
  if (changed) fmt::print("an intended change regenerates the goldens: scripts/regen-goldens.sh (review the diff)\n");
  return changed;
}

struct Thresholds {
  double mape_pct_max = 3, within_5_pct_min = 90, within_10_pct_min = 99;
};

Thresholds read_thresholds(const std::string& path) {
  Thresholds t;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw input_error("{}: cannot open the thresholds file", path);
  } catch (const YAML::Exception& e) {
    throw input_error("{}: {}", path, e.what());
  }
  if (!root.IsMap()) throw input_error("{}: expected a mapping of threshold keys", path);
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    double* field = key == "mape_pct_max"        ? &t.mape_pct_max
                    : key == "within_5_pct_min"  ? &t.within_5_pct_min
                    : key == "within_10_pct_min" ? &t.within_10_pct_min
                                                 : nullptr;
    if (!field)
      throw input_error("{}: key '{}': unknown (known: mape_pct_max, within_5_pct_min, within_10_pct_min)", path, key);
    try {
      *field = kv.second.as<double>();
    } catch (const YAML::Exception&) {
      throw input_error("{}: key '{}': expected a number", path, key);
    }
  }
  return t;
}

// Returns true when the regressor meets every threshold on the evaluation set.
bool check_regressor(const CheckOptions& o) {
  nas::Regressor reg = nas::Regressor::load(o.regressor);
  Thresholds t = read_thresholds(o.thresholds);
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(o.root + "/models"))
    if (e.path().extension() == ".yaml") models.push_back(e.path());
  std::sort(models.begin(), models.end());
  double ape = 0, within5 = 0, within10 = 0, worst = 0;
  std::string worst_name;
  int n = 0;
  for (const char* hw_name : {"ne-pf8", "ne-pf16", "ne-pf32", "ne-pf64"}) {
    HwConfig hw = read_hw(o.root + "/hwconfigs/" + hw_name + ".yaml");
    for (const fs::path& m : models) {
      Network net = read_model(m.string());
      Program p = compile(net, hw);
      double sim = static_cast<double>(Engine::instance().run(p).total_cycles);
      double e = std::abs(reg.predict(p).total_cycles - sim) / sim;
      ape += e;
      within5 += e <= 0.05;
      within10 += e <= 0.10;
      if (e > worst) worst = e, worst_name = net.name + " on " + hw_name;
      ++n;
    }
  }
  double mape = 100 * ape / n, w5 = 100 * within5 / n, w10 = 100 * within10 / n;
  bool ok = mape <= t.mape_pct_max && w5 >= t.within_5_pct_min && w10 >= t.within_10_pct_min;
  fmt::print("regressor {}  {} networks: MAPE {:.3f}% (max {}), within 5% {:.1f}% (min {}), within 10% {:.1f}% "
             "(min {}); worst {:.3f}% ({})\n",
             ok ? "ok     " : "FAILED ", n, mape, t.mape_pct_max, w5, t.within_5_pct_min, w10, t.within_10_pct_min,
             100 * worst, worst_name);
  return ok;
}

int run_check(const CheckOptions& o) {
  int changed = check_golden(o);
  bool regressor_ok = o.regressor.empty() || check_regressor(o);
  bool reference_ok = o.reference.empty() || check_reference(o.reference, o.tolerance_pct);
  bool ok = changed == 0 && regressor_ok && reference_ok;
  fmt::print("nesim check: {}\n", ok ? "all checks hold" : "REGRESSION");
  return ok ? 0 : 1;
}

}  // namespace

Command add_check_command(CLI::App& parent) {
  auto o = std::make_shared<CheckOptions>();
  o->golden = o->root + "/traces/golden";
  o->regressor = o->root + "/traces/regressor-ne-pf.json";
  o->thresholds = o->root + "/traces/thresholds.yaml";
  CLI::App* app = parent.add_subcommand(
      "check", "CI guard: simulator vs golden traces, regressor vs simulator (exit 1 on a regression)");
  app->add_option("--golden", o->golden, "Folder of golden per-layer traces <model>__<hw>.csv");
  app->add_option("--regressor", o->regressor, "Regressor to check ('' to skip)");
  app->add_option("--thresholds", o->thresholds, "Accuracy thresholds (YAML)");
  app->add_option("--reference", o->reference,
                  "Measured latencies to hold the simulator to: CSV model,hw,layer,measured_ms (docs/regressor.md)");
  app->add_option("--tolerance", o->tolerance_pct, "Largest MAPE (%) against --reference that passes")
      ->check(kNonNegative);
  return {app, [o] { return run_check(*o); }};
}

}  // namespace nesim::cli
