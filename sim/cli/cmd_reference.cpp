// `nesim reference`: the trained reference of a search space (nas/accuracy/reference.h). Each of
// --archs architectures, spread over the space's size range, is trained on the proxy task for
// --epochs with each of --seeds seeds and tested on the first --eval-images test images (default
// all 10,000). Every finished run is appended to DIR/runs.jsonl at once, so a killed build loses
// only the runs in flight: the same command resumes it. Runs go to --jobs forked workers or to the
// ranks of an mpirun; the result never depends on which.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/reference.h"
#include "nas/search/space.h"
#include "sim/cli/cli_util.h"
#include "sim/exec/executor.h"
#include "sim/exec/rank.h"
#include "sim/export/pytorch_export.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/report/output_file.h"
#include "sim/report/run_files.h"
#include "sim/util/error.h"
#include "sim/util/hash.h"
#include "sim/util/input_file.h"
#include "sim/util/json_text.h"

namespace nesim::cli {
namespace {

// The trainer named in every run nesim trains. Runs journalled before 2026-11-28 07:10 UTC say
// "nesim (libtorch, cpu)": the same training in NCHW layout; since then activations are NHWC
// (image_batch()), 1.7 x faster, equal up to rounding, and each run's seed then draws another
// trajectory.
constexpr const char* kNesimTrainer = "nesim (libtorch, cpu, nhwc)";

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct ReferenceCliOptions {
  std::string space, hw, out;
  int archs = 32, seeds = nas::kReferenceSeeds, pool = 2000, jobs = 1;
  double epochs = nas::kReferenceEpochs;
  bool list = false, export_pytorch = false, report = false;
  ScoringFlags flags;
  ProgressFlags progress;
};

// Everything the journalled accuracies depend on. A folder started with other settings is refused.
ordered_json plan_json(const ReferenceCliOptions& o, const std::string& space_text,
                       const std::vector<nas::ReferenceArch>& archs) {
  const nas::ScorerOptions& s = o.flags.scorer;
  ordered_json p;
  p["space"] = o.space;
  p["space_hash"] = fmt::format("{:016x}", fnv1a64(space_text));
  p["proxy_task"] = {{"dataset", "fashion-mnist"}, {"input_size", s.input_size}, {"in_channels", s.in_channels},
                     {"classes", s.classes}, {"skip_strides", s.skip_strides}};
  p["training"] = {{"epochs", o.epochs},
                   {"steps", s.train_steps},
                   {"batch", s.train_batch},
                   {"optimizer", "SGD, Nesterov momentum 0.9, weight decay 5e-4, cosine decay to 0"},
                   {"learning_rate", s.learning_rate},
                   {"eval_images", s.eval_images}};
  p["selection"] = {{"archs", o.archs}, {"pool", o.pool}, {"seed", o.flags.seed}};
  std::vector<uint64_t> seeds;
  for (int i = 0; i < o.seeds; ++i) seeds.push_back(o.flags.seed + static_cast<uint64_t>(i));
  p["seeds"] = seeds;
  ordered_json a = ordered_json::array();
  for (const nas::ReferenceArch& r : archs) a.push_back(r.key);
  p["arch_keys"] = a;
  return p;
}

// Whether a folder's plan.json is this plan, but for a shorter or longer list of seeds that starts
// at the same one: a reference grows by seeds (--seeds 4 on a build of 2 keeps its runs).
bool same_plan_but_seeds(const ordered_json& old, const ordered_json& plan) {
  if (!old.is_object() || !old.contains("seeds") || !old["seeds"].is_array() || old["seeds"].empty()) return false;
  ordered_json a = old, b = plan;
  const ordered_json sa = a["seeds"], sb = b["seeds"];
  a.erase("seeds");
  b.erase("seeds");
  if (a != b) return false;
  for (size_t i = 0; i < std::min(sa.size(), sb.size()); ++i)
    if (sa[i] != sb[i]) return false;
  return true;
}

// The journal's finished runs, keyed by (key, seed). A torn last line (a kill mid-write) is cut
// off the file, so that the next append starts a line of its own; any other damage is an input
// error naming the line.
void load_runs(const std::string& path, nas::ReferenceTable& t) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  const std::string text = read_input_file(path, "reference journal");
  std::istringstream in(text);
  std::string line;
  int number = 0;
  size_t consumed = 0;
  while (std::getline(in, line)) {
    ++number;
    if (consumed + line.size() + 1 > text.size()) {  // no '\n': torn by a kill
      fs::resize_file(path, consumed);
      break;
    }
    consumed += line.size() + 1;
    if (line.empty()) continue;
    nas::ReferenceRun r = nas::parse_reference_run(line, fmt::format("{}:{}", path, number));
    t.runs[{r.key, r.seed}] = std::move(r);
  }
}

int run_reference(ReferenceCliOptions o) {
  const ProgressMode progress_style = o.progress.mode();
  nas::check_scorer("train");  // re-runs the command in nesim-torch before anything is written
  if (!(o.epochs > 0)) throw input_error("--epochs: expected a number > 0, got {}", o.epochs);
  nas::ScorerOptions& sc = o.flags.scorer;
  sc.train_steps = nas::epoch_steps(o.epochs, sc.train_batch);

  const std::string space_text = read_input_file(o.space, "search space");
  const nas::SearchSpace space = nas::load_space(o.space, read_hw(o.hw));
  nas::ReferenceTable table;
  table.archs = nas::spread_archs(space, o.space, nas::classifier_shape(sc), o.archs, o.pool, o.flags.seed);
  for (int i = 0; i < o.seeds; ++i) table.seeds.push_back(o.flags.seed + static_cast<uint64_t>(i));
  const ordered_json plan = plan_json(o, space_text, table.archs);
  if (o.list) {
    fmt::print("index,params,macs,arch\n");
    for (size_t i = 0; i < table.archs.size(); ++i)
      fmt::print("{},{},{},\"{}\"\n", i, table.archs[i].params, table.archs[i].macs, table.archs[i].desc);
    return 0;
  }

  const fs::path dir(o.out);
  const std::string plan_path = (dir / "plan.json").string(), journal_path = (dir / "runs.jsonl").string(),
                    csv_path = (dir / "reference.csv").string(), json_path = (dir / "reference.json").string();
  std::unique_ptr<RunLock> lock;
  std::unique_ptr<Journal> journal;
  if (exec::is_output_rank()) {
    create_output_folder("--out", o.out);
    lock = std::make_unique<RunLock>(dir, "nesim reference build");
    for (const std::string& p : {plan_path, journal_path, csv_path, json_path}) refuse_symlink(p);
    if (fs::exists(plan_path)) {
      const auto old = ordered_json::parse(read_input_file(plan_path, "reference plan"), nullptr, false);
      if (!same_plan_but_seeds(old, plan))
        throw input_error("{}: this folder holds a reference built with other settings (space, proxy task, training, "
                          "selection or first seed); resume it with the same options, or choose another --out",
                          plan_path);
      const size_t had = old["seeds"].size();
      if (had > table.seeds.size())
        throw input_error("{}: this reference has {} seeds per architecture; resume it with --seeds {} or more",
                          plan_path, had, had);
      if (had < table.seeds.size()) {  // more seeds: the runs so far stay, the plan says what is wanted now
        OutputFiles out;
        out.add(plan_path, json_text(plan, 2) + "\n");
        out.commit();
      }
    } else {
      OutputFiles out;
      out.add(plan_path, json_text(plan, 2) + "\n");
      out.commit();
    }
    load_runs(journal_path, table);
    journal = std::make_unique<Journal>(journal_path);
    if (o.export_pytorch) {
      // The proxy task's network of every architecture, for scripts/train_reference.py elsewhere.
      std::error_code ec;
      fs::create_directories(dir / "nets", ec);
      if (ec) throw input_error("--out {}: cannot create nets/: {}", o.out, ec.message());
      OutputFiles nets;
      for (size_t a = 0; a < table.archs.size(); ++a) {
        const ModelSpec spec = nas::to_model_spec(space, nas::parse_arch_key(table.archs[a].key));
        nets.add((dir / "nets" / fmt::format("{}.py", a)).string(),
                 pytorch_source(nas::classifier_network(spec, expand(spec, o.space), nas::classifier_shape(sc))));
      }
      nets.commit();
      fmt::print("wrote {} proxy-task networks to {}; train them with scripts/train_reference.py {}\n",
                 table.archs.size(), (dir / "nets").string(), o.out);
      return 0;
    }
  }
  // Under MPI every rank needs the same list of pending runs: the coordinator's journal decides.
  const auto ex = exec::make_executor(o.jobs, "reference run");
  const std::string done_keys = ex->from_coordinator([&] {
    std::string s;
    for (const auto& [k, r] : table.runs) s += k.first + " " + std::to_string(k.second) + "\n";
    return s;
  });
  std::set<std::pair<std::string, uint64_t>> done;
  {
    std::istringstream in(done_keys);
    std::string key;
    uint64_t seed;
    while (in >> key >> seed) done.insert({key, seed});
  }
  // Cheapest first (MACs of the trained network), both seeds of an architecture together: a
  // partial build (the full one takes many core-hours, docs/benchmarks.md) already holds the
  // test-retest pairs of as many architectures as its time allowed.
  std::vector<size_t> by_cost(table.archs.size());
  for (size_t a = 0; a < by_cost.size(); ++a) by_cost[a] = a;
  std::stable_sort(by_cost.begin(), by_cost.end(),
                   [&](size_t x, size_t y) { return table.archs[x].macs < table.archs[y].macs; });
  std::vector<std::pair<size_t, uint64_t>> pending;
  if (!o.report)
    for (size_t a : by_cost)
      for (uint64_t seed : table.seeds)
        if (!done.count({table.archs[a].key, seed})) pending.push_back({a, seed});

  const size_t total = table.archs.size() * table.seeds.size();
  Progress progress("reference", total, "runs", progress_style);
  progress.resume(total - pending.size());  // runs from the journal: not in the rate or the ETA
  // A run's cost grows with its MACs (4 to 184 M per image here) plus a fixed cost per step (layer
  // dispatch, small kernels): the ETA weighs the runs left by MACs + 33 M, the intercept over slope
  // of a linear fit of all 32 classifier architectures' training times (docs/benchmarks.md). By
  // count, the last half of a build came out at a third of its time; by MACs alone, at twice it.
  constexpr double kFixedMacs = 33e6;
  auto cost = [&](size_t a) { return static_cast<double>(table.archs[a].macs) + kFixedMacs; };
  double macs_done_here = 0, macs_left = 0;
  for (const auto& [a, seed] : pending) macs_left += cost(a);
  progress.work(0, macs_left);
  progress.update(total - pending.size());
  auto write_outputs = [&] {
    ordered_json j;
    j["schema"] = "nesim-reference-1";
    j["plan"] = plan;
    j["runs_done"] = table.runs.size();
    j["runs_total"] = total;
    j["complete"] = table.runs.size() == total;
    const nas::RankAgreement tr = table.test_retest(o.flags.seed);
    ordered_json retest;
    retest["seeds"] = std::vector<uint64_t>(table.seeds.begin(), table.seeds.begin() + std::min<size_t>(2, table.seeds.size()));
    retest.update(nas::agreement_json(tr));
    j["test_retest"] = retest;
    if (table.seeds.size() >= 4) {
      const size_t half = table.seeds.size() / 2;
      ordered_json means;
      means["seeds"] = {std::vector<uint64_t>(table.seeds.begin(), table.seeds.begin() + half),
                        std::vector<uint64_t>(table.seeds.begin() + half, table.seeds.begin() + 2 * half)};
      means.update(nas::agreement_json(table.test_retest_of_means(o.flags.seed)));
      j["test_retest_of_means"] = means;
    }
    j["seed_noise"] = nas::seed_noise_json(table.seed_noise());
    double seconds = 0;
    for (const auto& [k, r] : table.runs) seconds += r.seconds;
    j["train_seconds"] = seconds;
    // Which trainer made the runs: nesim itself, or scripts/train_reference.py elsewhere.
    std::map<std::string, int> trainers;
    for (const auto& [k, r] : table.runs) ++trainers[r.trainer.empty() ? "nesim (libtorch, cpu)" : r.trainer];
    j["trainers"] = trainers;
    j["threads_per_run"] = sc.threads;
    j["archs"] = table.archs_json();
    OutputFiles out;
    out.add(csv_path, table.csv());
    out.add(json_path, json_text(j, 2) + "\n");
    out.commit();
  };
  if (exec::is_output_rank()) write_outputs();

  const std::string space_path = o.space;
  ex->map(
      pending.size(),
      [&](size_t i) {
        const auto [a, seed] = pending[i];
        const nas::Arch arch = nas::parse_arch_key(table.archs[a].key);
        const ModelSpec spec = nas::to_model_spec(space, arch);
        const Network net = expand(spec, space_path);
        std::unique_ptr<nas::AccuracyScorer> trainer = nas::make_scorer("train", sc);
        const auto t0 = std::chrono::steady_clock::now();
        const nas::AccuracyResult r = trainer->score(spec, net, seed);
        nas::ReferenceRun run{table.archs[a].key, seed, r.ok, r.ok ? r.score : 0,
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), r.error,
                              kNesimTrainer};
        return nas::to_journal_line(run);
      },
      [&](const exec::JobDone& d) {
        nas::ReferenceRun run = nas::parse_reference_run(d.bytes, "reference worker");
        journal->append(d.bytes);
        journal->sync();
        progress.note(fmt::format("nesim: reference [{}/{}] seed {} {}: {} ({:.0f} s){}", d.done, pending.size(), run.seed,
                                  table.archs[pending[d.index].first].desc,
                                  run.ok ? fmt::format("{:.4f}", run.accuracy) : "failed: " + run.error, run.seconds,
                                  d.where.empty() ? "" : " on " + d.where));
        table.runs[{run.key, run.seed}] = std::move(run);
        write_outputs();
        const double macs = cost(pending[d.index].first);
        macs_done_here += macs;
        macs_left -= macs;
        progress.work(macs_done_here, macs_left);
        progress.update(total - pending.size() + d.done);
      });
  if (!exec::is_output_rank()) return 0;
  const nas::RankAgreement tr = table.test_retest(o.flags.seed);
  const nas::SeedNoise noise = table.seed_noise();
  progress.finish(fmt::format("reference: {} runs of {} architectures; test-retest Spearman {:.3f} [{:.3f}, {:.3f}] over "
                              "{} architectures; architectures differ by sd {:.4f}, seeds by sd {:.4f}",
                              table.runs.size(), table.archs.size(), tr.spearman, tr.spearman_lo, tr.spearman_hi, tr.n,
                              noise.arch_sd, noise.seed_sd));
  fmt::print("wrote {}, {}\n", csv_path, json_path);
  return 0;
}

}  // namespace

Command add_reference_command(CLI::App& parent) {
  auto o = std::make_shared<ReferenceCliOptions>();
  o->flags.scorer.eval_images = 10000;
  CLI::App* app = parent.add_subcommand(
      "reference", "Build (or resume) the trained reference of a search space: architectures spread over its size range, "
                   "each trained on the proxy task with several seeds");
  app->add_option("--space", o->space, "Search space file, e.g. nas/spaces/classifier.yaml")->required();
  app->add_option("--hw", o->hw, "Engine the space's channel grid is resolved against")
      ->default_val(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
  app->add_option("--out", o->out, "Folder: plan.json, runs.jsonl (the journal), reference.csv, reference.json")
      ->required();
  app->add_option("--archs", o->archs, "Architectures, spread over the space's size range")->check(CLI::Range(2, 10000));
  app->add_option("--seeds", o->seeds, "Training seeds per architecture (--seed, --seed + 1, ...); a build grows by more")
      ->capture_default_str()->check(CLI::Range(1, 100));
  app->add_option("--pool", o->pool, "Random candidates the architectures are picked from by size")
      ->check(CLI::Range(2, 1000000));
  app->add_option("--epochs", o->epochs, "Training budget per run, in epochs of the 60,000 training images")
      ->capture_default_str()->check(kPositive);
  app->add_option("--jobs,-j", o->jobs, "Runs trained at once in forked workers (under mpirun: the ranks)")
      ->check(CLI::Range(1, 1024));
  app->add_flag("--list", o->list, "Print the architectures chosen (CSV: index, params, MACs, arch) and exit");
  app->add_flag("--export-pytorch", o->export_pytorch,
                "Write plan.json and each architecture's proxy-task network as DIR/nets/<index>.py, then exit "
                "(for scripts/train_reference.py on another machine)");
  app->add_flag("--report", o->report,
                "Train nothing: rewrite reference.csv and reference.json from the journal (a partial build, or runs "
                "appended by scripts/train_reference.py) and exit");
  add_scoring_flags(app, o->flags);
  app->get_option("--eval-images")->default_val(10000);
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_reference(*o); }};
}

}  // namespace nesim::cli
