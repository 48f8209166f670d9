// `nesim simulate`: one network on one engine, with the per-layer table and the contract files.
#include <iostream>
#include <memory>

#include "sim/cli/cli_util.h"
#include "sim/engine/engine.h"
#include "sim/graph/limits.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

struct SimulateOptions {
  std::string model, hw, csv, json, trace;
  std::vector<std::string> set;
  int64_t batch = 0;  // 0: the model's own `batch` (1 unless it says)
};

int run_simulate(const SimulateOptions& o) {
  check_outputs({{"--csv", o.csv}, {"--json", o.json}, {"--trace", o.trace}});
  std::vector<HwOverride> overrides = parse_overrides(o.set, /*allow_lists=*/false);
  Network net = read_model(o.model);
  if (o.batch > 0) net.batch = o.batch;
  HwConfig hw = apply_overrides(read_hw(o.hw), overrides, std::vector<size_t>(overrides.size(), 0));

  RunOptions run;
  run.trace = !o.trace.empty();
  SimResult result = simulate(net, hw, run);

  OutputFiles out;
  if (!o.csv.empty()) out.add(o.csv, layers_csv(result));
  if (!o.json.empty()) {
    std::vector<std::pair<std::string, std::string>> set;
    for (const HwOverride& ov : overrides) set.emplace_back(ov.key, ov.values.front());
    out.add(o.json, json_text(result_json(result, set), 2) + "\n");
  }
  if (!o.trace.empty()) out.add(o.trace, trace_json(result));
  bool stdout_taken = o.csv == "-" || o.json == "-" || o.trace == "-";
  if (!stdout_taken) std::cout << result_table(result) << std::flush;
  out.commit();
  return 0;
}

}  // namespace

Command add_simulate_command(CLI::App& parent) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* app = parent.add_subcommand(
      "simulate", "Simulate one network on one engine; print per-layer cycles, energy and totals");
  app->add_option("--model,-m", o->model, "Model file (.yaml block format or SCALE-Sim .csv)")
      ->required();
  app->add_option("--hw", o->hw, "Hardware config (.yaml, or SCALE-Sim .cfg)")->required();
  app->add_option("--set", o->set, "Override a hardware key, e.g. --set mac_array.pf=32 (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--batch", o->batch,
                  "Images per run (default: the model's 'batch' key, else 1); totals cover the whole batch")
      ->check(CLI::Range(int64_t{1}, limits::kMaxBatch));
  app->add_option("--csv", o->csv, "Write one row per layer to this CSV file ('-': stdout)");
  app->add_option("--json", o->json, "Write totals and per-layer records as JSON ('-': stdout)");
  app->add_option("--trace", o->trace,
                  "Write a Chrome/Perfetto timeline (open in ui.perfetto.dev); slows the run");
  app->footer(
      "Example:\n  nesim simulate --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml "
      "--json out.json --trace out.trace.json");
  return {app, [o] { return run_simulate(*o); }};
}

}  // namespace nesim::cli
