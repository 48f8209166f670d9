// `nesim advise`: the expert-in-the-loop advisor (nas/advisor): applies accelerator-aware changes
// one block at a time, simulates each, keeps what helps, and writes the transformed model.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "nas/advisor/advisor.h"
#include "sim/cli/cli_util.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

struct AdviseCliOptions {
  std::string model, hw, out, json, objective = "latency", accuracy = "entropy";
  bool iso_accuracy = false;
  ProgressFlags progress;
  std::optional<int64_t> max_memory_bytes;
  std::optional<double> max_latency_ms;
  uint64_t seed = 0;
  std::string supernet;
};

int run_advise(const AdviseCliOptions& c) {
  const ProgressMode progress_mode = c.progress.mode();  // --progress with --quiet fails before any work
  nas::AdviseOptions o;
  o.objective = nas::parse_objective(c.objective);
  o.accuracy = c.accuracy;
  o.iso_accuracy = c.iso_accuracy;
  o.max_memory_bytes = c.max_memory_bytes;
  o.max_latency_ms = c.max_latency_ms;
  o.seed = c.seed;
  o.scorer.supernet = c.supernet;
  if (o.max_memory_bytes && *o.max_memory_bytes <= 0)
    throw input_error("--max-memory-bytes: expected a positive number of bytes, got {}", *o.max_memory_bytes);
  if (o.max_latency_ms && !(*o.max_latency_ms > 0))
    throw input_error("--max-latency-ms: expected a positive latency in ms, got {}", *o.max_latency_ms);
  check_outputs({{"--out", c.out}, {"--json", c.json}});
  const std::string ext = std::filesystem::path(c.model).extension().string();
  if (ext != ".yaml" && ext != ".yml" && ext != ".onnx")
    throw input_error("--model {}: advise edits block-format models; expected a .yaml (or .onnx) file (see docs/model-format.md)",
                      c.model);
  read_model(c.model);  // the readable-file check and the loader's own messages
  const ModelSpec spec = load_model_spec(c.model);
  const HwConfig hw = read_hw(c.hw);
  // One plain line per rule (no bar to redraw): printed unless --quiet.
  if (progress_mode != ProgressMode::Quiet)
    o.progress = [](const std::string& line) { std::cerr << "[advise] " << line << "\n"; };

  const nas::AdviceResult r = nas::advise(spec, hw, o);

  OutputFiles files;
  if (!c.out.empty()) files.add(c.out, to_yaml(r.model));
  if (!c.json.empty()) files.add(c.json, nas::advice_json(r, hw, o));
  if (c.out != "-" && c.json != "-") std::cout << nas::advice_table(r, hw) << std::flush;
  files.commit();
  return 0;
}

}  // namespace

Command add_advise_command(CLI::App& parent) {
  auto o = std::make_shared<AdviseCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "advise",
      "Apply accelerator-aware changes one block at a time (fused-IBN, PF-multiple channels, "
      "depthwise -> conv, width), simulate each, keep what helps; print the evidence");
  app->add_option("--model,-m", o->model, "Model file (.yaml block format)")->required();
  app->add_option("--hw", o->hw, "Hardware config (.yaml, or SCALE-Sim .cfg)")->required();
  app->add_option("--out,-o", o->out, "Write the transformed model (.yaml, loadable by `nesim simulate`; '-': stdout)");
  app->add_option("--json", o->json, "Write every tried change with its deltas as JSON ('-': stdout)");
  app->add_option("--objective", o->objective, "What a kept change must lower: latency (simulated cycles) or "
                                               "memory (params bytes + peak activation bytes)")
      ->capture_default_str();
  app->add_option("--accuracy", o->accuracy, "Accuracy scorer for --iso-accuracy (entropy, params, macs, ...)")
      ->capture_default_str();
  app->add_option("--supernet", o->supernet,
                  "Supernet weights for --accuracy supernet (nesim supernet --out); changes outside its space are not "
                  "applicable");
  app->add_flag("--iso-accuracy", o->iso_accuracy,
                "Keep a change only if the accuracy score stays >= the base model's");
  app->add_option("--max-memory-bytes", o->max_memory_bytes, "Memory budget in bytes (params + peak activation)");
  app->add_option("--max-latency-ms", o->max_latency_ms, "Latency budget in ms (simulated)");
  app->add_option("--seed", o->seed, "Seed passed to the accuracy scorer")->capture_default_str();
  add_progress_flags(app, o->progress);
  app->footer(
      "Example:\n  nesim advise --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml "
      "--iso-accuracy --out mnv2_advised.yaml --json advice.json\nRules and rationale: docs/advisor.md");
  return {app, [o] { return run_advise(*o); }};
}

}  // namespace nesim::cli
