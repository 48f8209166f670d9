// `nesim sweep`: the cross product of models, hardware files and --set value lists, simulated in
// parallel worker processes, written as one CSV row per run, with the Pareto summary at the end.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "sim/cli/cli_util.h"
#include "sim/graph/limits.h"
#include "sim/exec/executor.h"
#include "sim/engine/engine.h"
#include "sim/report/output_file.h"
#include "sim/report/sweep_report.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

struct SweepOptions {
  std::vector<std::string> models, hws, set;
  int jobs = 0;
  int64_t batch = 0;  // 0: each model's own `batch`
  std::string csv, json, html;
  ProgressFlags progress;
  bool strict = false;
};

// One hardware configuration of the grid: a hardware file with one value chosen per --set key.
struct Variant {
  int hw_file = 0;
  std::vector<size_t> choice;
  HwConfig hw;
};

// What crosses the pipe from a worker: kPointOk and the totals of one simulation as raw bytes, or
// kPointFailed and the InputError's message (a point that cannot be mapped does not end the sweep).
constexpr char kPointOk = 'o', kPointFailed = 'e';
struct RunTotals {
  int64_t total_cycles, macs, params, dram_read_bytes, dram_write_bytes;
  double latency_ms, energy_uj, mac_utilization;
};

std::vector<Variant> grid(const std::vector<HwConfig>& hws, const std::vector<HwOverride>& overrides) {
  std::vector<Variant> variants;
  for (size_t f = 0; f < hws.size(); ++f) {
    std::vector<size_t> choice(overrides.size(), 0);
    while (true) {
      variants.push_back({static_cast<int>(f), choice, apply_overrides(hws[f], overrides, choice)});
      // Odometer: the last key varies fastest.
      size_t k = overrides.size();
      while (k > 0 && ++choice[k - 1] == overrides[k - 1].values.size()) choice[--k] = 0;
      if (k == 0) break;
    }
  }
  return variants;
}

int default_jobs() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

int run_sweep(const SweepOptions& o) {
  const ProgressMode progress_style = o.progress.mode();  // --progress with --quiet fails before any work
  check_outputs({{"--csv", o.csv}, {"--json", o.json}, {"--html", o.html}});
  std::vector<HwOverride> overrides = parse_overrides(o.set, /*allow_lists=*/true);
  std::vector<HwConfig> hws;
  for (const std::string& path : o.hws) hws.push_back(read_hw(path));
  std::vector<Variant> variants = grid(hws, overrides);
  std::vector<Network> nets;
  for (const std::string& path : o.models) nets.push_back(read_model(path));
  if (o.batch > 0)
    for (Network& n : nets) n.batch = o.batch;

  const size_t n_jobs = nets.size() * variants.size();
  auto model_of = [&](size_t job) { return job / variants.size(); };
  auto variant_of = [&](size_t job) -> const Variant& { return variants[job % variants.size()]; };
  auto describe = [&](size_t job) {
    const Variant& v = variant_of(job);
    std::string s = fmt::format("{} on {}", o.models[model_of(job)], o.hws[v.hw_file]);
    for (size_t k = 0; k < overrides.size(); ++k)
      s += fmt::format("{}{}={}", k == 0 ? " with " : ", ", overrides[k].key,
                       overrides[k].values[v.choice[k]]);
    return s;
  };
  // Test hook: the CLI suite checks that a dying worker fails the sweep cleanly.
  const char* crash_env = std::getenv("NESIM_TEST_CRASH_JOB");
  const long crash_job = crash_env ? std::atol(crash_env) : -1;

  const int jobs = static_cast<int>(std::min<size_t>(o.jobs > 0 ? o.jobs : default_jobs(), std::max<size_t>(n_jobs, 1)));
  const std::shared_ptr<const exec::Executor> executor = exec::make_executor(jobs, describe);
  const auto start = std::chrono::steady_clock::now();
  Progress progress("sweep", n_jobs, "runs", progress_style);
  auto run = [&](size_t job) {
    if (static_cast<long>(job) == crash_job) raise(SIGKILL);
    SimResult r;
    try {
      r = simulate(nets[model_of(job)], variant_of(job).hw);
    } catch (const InputError& e) {
      return kPointFailed + std::string(e.what());
    }
    RunTotals t{r.total_cycles, r.macs,         r.params,    r.dram_read_bytes, r.dram_write_bytes,
                r.latency_ms,   r.energy_uj,    r.mac_utilization};
    return kPointOk + std::string(reinterpret_cast<const char*>(&t), sizeof t);
  };
  std::vector<std::string> replies =
      executor->map(n_jobs, run, [&](const exec::JobDone& d) { progress.update(d.done); });
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int workers = executor->workers();
  const std::string by = executor->distributed() ? fmt::format("{} MPI worker rank{}", workers, workers == 1 ? "" : "s")
                                                 : fmt::format("{} worker process{}", workers, workers == 1 ? "" : "es");
  progress.finish(fmt::format("nesim: swept {} runs in {:.2f} s ({:.1f} runs/s, {})", n_jobs, elapsed_s,
                              elapsed_s > 0 ? n_jobs / elapsed_s : 0.0, by));

  SweepTable table;
  for (const HwOverride& ov : overrides) table.keys.push_back(ov.key);
  size_t failed = 0;
  std::string first_failure;
  for (size_t job = 0; job < n_jobs; ++job) {
    const std::string& reply = replies[job];
    const Variant& v = variant_of(job);
    SweepRun run;
    run.model_index = static_cast<int>(model_of(job));
    run.model = nets[model_of(job)].name;
    run.hw = v.hw.name;
    for (size_t k = 0; k < overrides.size(); ++k) run.values.push_back(overrides[k].values[v.choice[k]]);
    run.area_proxy = v.hw.area_proxy();
    if (!reply.empty() && reply[0] == kPointFailed) {
      run.error = reply.substr(1);
      if (failed++ == 0) first_failure = fmt::format("{}: {}", describe(job), run.error);
      table.runs.push_back(std::move(run));
      continue;
    }
    RunTotals t{};
    if (reply.size() != 1 + sizeof t || reply[0] != kPointOk) throw std::runtime_error("sweep: malformed worker reply");
    std::memcpy(&t, reply.data() + 1, sizeof t);
    run.total_cycles = t.total_cycles;
    run.latency_ms = t.latency_ms;
    run.energy_uj = t.energy_uj;
    run.macs = t.macs;
    run.params = t.params;
    run.dram_read_bytes = t.dram_read_bytes;
    run.dram_write_bytes = t.dram_write_bytes;
    run.mac_utilization = t.mac_utilization;
    table.runs.push_back(std::move(run));
  }

  OutputFiles out;
  out.add(o.csv, sweep_csv(table));
  if (!o.json.empty()) out.add(o.json, json_text(sweep_json(table), 2) + "\n");
  if (!o.html.empty()) out.add(o.html, sweep_html(table));
  out.commit();
  if (o.csv != "-" && o.json != "-" && o.html != "-") std::cout << pareto_summary(table) << std::flush;
  if (failed == 0) return 0;
  std::cerr << fmt::format("nesim: {} of {} points failed (first: {}); they are rows with status=error{}\n", failed,
                           n_jobs, first_failure, o.strict ? "" : " (--strict makes this exit 1)");
  return o.strict ? 1 : 0;
}

}  // namespace

Command add_sweep_command(CLI::App& parent) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* app = parent.add_subcommand(
      "sweep", "Simulate models x hardware files x --set value lists in parallel; print Pareto fronts");
  app->add_option("--model,-m", o->models, "Model files (repeat the flag or list several)")->required();
  app->add_option("--hw", o->hws, "Hardware configs (repeat the flag or list several)")->required();
  app->add_option("--batch", o->batch, "Images per run for every model (default: each model's 'batch', else 1)")
      ->check(CLI::Range(int64_t{1}, limits::kMaxBatch));
  app->add_option("--set", o->set,
                  "Sweep a hardware key over values, e.g. --set mac_array.pf=8,16,32 (repeatable)");
  app->add_option("--jobs,-j", o->jobs, "Worker processes (default: number of cores)")
      ->check(CLI::Range(1, 1024));
  app->add_option("--csv", o->csv, "Write one row per run to this CSV file")->required();
  app->add_option("--json", o->json, "Also write the runs and Pareto fronts as JSON");
  app->add_option("--html", o->html, "Also write a self-contained HTML page: per model, latency vs area_proxy with the Pareto front");
  add_progress_flags(app, o->progress);
  app->add_flag("--strict", o->strict,
                "Exit 1 when any point failed (it is still written, as a row with status=error)");
  app->footer(
      "Runs are ordered by model, then hardware file, then --set values (last key fastest);\n"
      "the files are identical whatever --jobs is. A point that cannot be simulated (e.g. a layer\n"
      "that does not fit SRAM) is a row with status=error; the others still run.\n\n"
      "Example:\n  nesim sweep --model models/mobilenet_v2.yaml --hw hwconfigs/ne-pf16.yaml \\\n"
      "    --set mac_array.pf=8,16,32 --set sram.kib=256,512,1024 --csv sweep.csv");
  return {app, [o] { return run_sweep(*o); }};
}

}  // namespace nesim::cli
