// `nesim check`: the CI guard. Exit 0 when everything holds, 1 on a regression, 2 on bad input.
//  - the simulator against the reviewed golden traces (any change in a layer's cycles or bytes);
//  - the regressor against the simulator on a fixed set (zoo models x shipped ne-pf configs),
//    against the thresholds in traces/thresholds.yaml;
//  - optionally, the simulator against latencies measured on silicon or RTL (--reference).
// --json and --junit write every guarded quantity for CI systems; the human lines then go to
// stderr if either report goes to stdout.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "nas/regressor/regressor.h"
#include "sim/cli/check_reference.h"
#include "sim/cli/cli_util.h"
#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/report/check_report.h"
#include "sim/report/golden.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

namespace fs = std::filesystem;

struct CheckOptions {
  std::string root = NESIM_SOURCE_DIR;
  std::string golden, regressor, thresholds, reference;
  std::string json_path, junit_path;  // "" none, "-" stdout
  double tolerance_pct = 10;
};

// One "differences == 0" quantity per golden trace (changed fields and row counts); the diff is
// its detail.
void check_golden(const CheckOptions& o, std::FILE* human, std::vector<GuardedQuantity>& checks) {
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
    auto differences = static_cast<double>(std::count(d.begin(), d.end(), '\n'));
    checks.push_back({"golden", f.filename().string(), "differences", differences, "==", 0, d.empty(), d});
    if (d.empty()) {
      fmt::print(human, "golden  ok       {}\n", f.filename().string());
    } else {
      ++changed;
      fmt::print(human, "golden  CHANGED  {}\n{}", f.filename().string(), d);
    }
  }
  if (changed)
    fmt::print(human, "an intended change regenerates the goldens: scripts/regen-goldens.sh (review the diff)\n");
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

// The regressor's MAPE and within-5/10 % shares on the evaluation set, each against its threshold.
void check_regressor(const CheckOptions& o, std::FILE* human, std::vector<GuardedQuantity>& checks) {
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
  std::string detail = fmt::format("{} networks; worst {:.3f}% ({})", n, 100 * worst, worst_name);
  checks.push_back({"regressor", "mape_pct", "mape_pct", mape, "<=", t.mape_pct_max, mape <= t.mape_pct_max, detail});
  checks.push_back({"regressor", "within_5_pct", "within_5_pct", w5, ">=", t.within_5_pct_min,
                    w5 >= t.within_5_pct_min, detail});
  checks.push_back({"regressor", "within_10_pct", "within_10_pct", w10, ">=", t.within_10_pct_min,
                    w10 >= t.within_10_pct_min, detail});
  fmt::print(human, "regressor {}  {} networks: MAPE {:.3f}% (max {}), within 5% {:.1f}% (min {}), within 10% {:.1f}% "
             "(min {}); worst {:.3f}% ({})\n",
             ok ? "ok     " : "FAILED ", n, mape, t.mape_pct_max, w5, t.within_5_pct_min, w10, t.within_10_pct_min,
             100 * worst, worst_name);
}

int run_check(const CheckOptions& o) {
  if (o.json_path == "-" && o.junit_path == "-")
    throw input_error("--json and --junit: only one of them can be '-' (stdout)");
  for (const std::string& path : {o.json_path, o.junit_path})
    if (!path.empty()) check_writable(path);
  std::FILE* human = o.json_path == "-" || o.junit_path == "-" ? stderr : stdout;
  std::vector<GuardedQuantity> checks;
  check_golden(o, human, checks);
  if (!o.regressor.empty()) check_regressor(o, human, checks);
  if (!o.reference.empty()) {
    ReferenceCheck ref = check_reference(o.reference, o.tolerance_pct, human);
    checks.push_back({"reference", "mape_pct", "mape_pct", ref.mape_pct, "<=", o.tolerance_pct, ref.ok,
                      fmt::format("{} measurements in {}", ref.measurements, o.reference)});
  }
  bool ok = std::all_of(checks.begin(), checks.end(), [](const GuardedQuantity& c) { return c.pass; });
  OutputFiles out;
  if (!o.json_path.empty()) out.add(o.json_path, check_report_json(checks));
  if (!o.junit_path.empty()) out.add(o.junit_path, check_report_junit(checks));
  fmt::print(human, "nesim check: {}\n", ok ? "all checks hold" : "REGRESSION");
  std::fflush(human);
  out.commit();
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
  app->add_option("--json", o->json_path, "Write every guarded quantity and the verdict as JSON ('-': stdout)");
  app->add_option("--junit", o->junit_path, "Write the verdict as JUnit XML for CI test reports ('-': stdout)");
  return {app, [o] { return run_check(*o); }};
}

}  // namespace nesim::cli
