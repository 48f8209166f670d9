#include "nas/experiments/experiments.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "nas/accuracy/scorer.h"
#include "nas/advisor/advisor.h"
#include "nas/experiments/comparison.h"
#include "nas/regressor/regressor.h"
#include "nas/search/signal_choice.h"
#include "nas/search/space.h"
#include "sim/engine/engine.h"
#include "sim/exec/rank.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/json_text.h"

namespace nesim::nas {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kHw = "hwconfigs/ne-pf16.yaml";
constexpr const char* kRegressor = "traces/regressor-ne-pf.json";

std::string under(const ExperimentOptions& o, const std::string& rel) { return (fs::path(o.root) / rel).string(); }

// One search of a study: the options every study shares, then its own.
SearchResult search(const ExperimentOptions& o, const std::string& space, const std::string& sub,
                     const std::string& channels = "", int default_budget = 2000, uint64_t seed = 0,
                     const std::string& strategy = "evolution") {
  SearchOptions s;
  s.space_path = under(o, space);
  s.channels = channels;
  s.hw_path = kHw;
  s.hw = load_hw_config(under(o, kHw));
  s.regressor_path = under(o, kRegressor);
  s.accuracy = o.accuracy;
  s.scorer.supernet = o.scorer.supernet;
  s.accuracy_chosen_by = o.accuracy_chosen_by;
  s.strategy = strategy;
  s.budget = o.budget > 0 ? o.budget : default_budget;
  s.seed = seed ? seed : o.seed;
  s.jobs = o.jobs;
  s.parallel = o.parallel;
  s.out_dir = (fs::path(o.out_dir) / sub).string();
  s.resume = o.resume && fs::exists(fs::path(s.out_dir) / "journal.jsonl");
  s.progress = o.progress;
  if (o.progress != ProgressMode::Quiet) fmt::print(stderr, "experiment {}: search {} ({})\n", o.name, sub, space);
  return run_search(s);
}

double pct_less(double after, double before) { return (1 - after / before) * 100; }

std::string mb(int64_t bytes) { return fmt::format("{:.2f}", static_cast<double>(bytes) / 1e6); }


// ---- controls ---------------------------------------------------------------------------------

// The evaluator the scaled controls are scored with: the study's regressor, scorer and seed, as
// its searches use them.
struct StudyEvaluator {
  std::shared_ptr<const AccuracyScorer> scorer;
  std::unique_ptr<Evaluator> eval;
};

StudyEvaluator study_evaluator(const ExperimentOptions& o) {
  StudyEvaluator e;
  auto regressor = std::make_shared<const Regressor>(Regressor::load(under(o, kRegressor)));
  e.scorer = std::shared_ptr<const AccuracyScorer>(make_scorer(o.accuracy, o.scorer));
  e.eval = std::make_unique<Evaluator>(load_hw_config(under(o, kHw)), regressor, e.scorer, o.seed, 20'000);
  return e;
}

// A latency study's winner: the search's simulator-verified best.
Winner latency_winner(const SearchResult& r) {
  const json& s = r.summary;
  Winner w;
  w.evaluations = s["evaluations"].get<int>();
  w.description = s["best"]["description"].get<std::string>();
  w.latency_ms = s["best"]["latency_ms"].get<double>();
  w.memory_bytes = s["best"]["memory_bytes"].get<int64_t>();
  w.accuracy = s["best"]["accuracy_score"].get<double>();
  w.reduction_pct = s["latency_reduction_pct"].get<double>();
  w.spec = r.best_spec;
  return w;
}

std::string controls_table(const std::vector<ScaledControl>& controls, double base_ms, int64_t base_mem) {
  std::string md = "| scaled control | simulated latency (ms) | latency reduction | memory (MB) | memory reduction | "
                   "accuracy score |\n|---|---:|---:|---:|---:|---:|\n";
  for (const ScaledControl& c : controls) {
    if (!c.ok) {
      md += fmt::format("| {} | does not map: {} | | | | |\n", c.name, c.error);
      continue;
    }
    md += fmt::format("| {} | {:.3f} | {:.1f} % | {} | {:.1f} % | {:.2f} |\n", c.name, c.latency_ms,
                      pct_less(c.latency_ms, base_ms), mb(c.memory_bytes),
                      pct_less(static_cast<double>(c.memory_bytes), static_cast<double>(base_mem)), c.accuracy);
  }
  return md;
}

json controls_json(const std::vector<ScaledControl>& controls) {
  json a = json::array();
  for (const ScaledControl& c : controls) a.push_back(to_json(c));
  return a;
}

// ---- 1. detector ------------------------------------------------------------------------------

ExperimentResult detector(const ExperimentOptions& o) {
  struct Variant {
    const char* id;
    const char* what;
    const char* space;
  };
  const std::vector<Variant> variants = {
      {"V1", "depth multipliers only (global width, channels per stage)", "nas/spaces/detector_width.yaml"},
      {"V2", "fused-IBN placement only (block type per stage)", "nas/spaces/detector_fused.yaml"},
      {"V3", "both (the union of V1 and V2)", "nas/spaces/detector_both.yaml"},
  };
  const StudyEvaluator se = study_evaluator(o);
  const SearchSpace space = load_space(under(o, variants[0].space), se.eval->hw());
  // A dense task: the controls scale the input resolution too.
  const std::vector<ScaledControl> controls = scaled_controls(space.base, *se.eval, {224, 256, 288});
  ExperimentResult out;
  json rows = json::array();
  std::string md = fmt::format(
      "| variant | searched | evaluations | NAS: latency reduction, median [range] over {} seeds | random search, same "
      "budget and seeds | NAS winners above the latency-matched scaled control | accuracy score (seed {}) | memory (MB) |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|\n",
      o.seeds, o.seed);
  json v3;
  std::vector<PlotSeries> series;
  std::vector<Comparison> comparisons;
  comparisons.reserve(variants.size());
  const char* colours[] = {"#1f77b4", "#2ca02c", "#d62728"};
  double base_ms = 0, base_acc = 0;
  int64_t base_mem = 0;
  for (size_t i = 0; i < variants.size(); ++i) {
    const Variant& v = variants[i];
    json first;
    auto run = [&](uint64_t seed, bool random) {
      SearchResult r = search(o, v.space, fmt::format("{}/{}seed{}", v.id, random ? "random-" : "", seed), "", 4000,
                              seed, random ? "random" : "evolution");
      if (!random && seed == o.seed) first = r.summary;
      return r;
    };
    const Comparison& c =
        comparisons.emplace_back(compare_with_controls("latency", o.seed, o.seeds, run, latency_winner, controls));
    if (i == 0) {
      base_ms = first["baseline"]["latency_ms"].get<double>();
      base_acc = first["baseline"]["accuracy_score"].get<double>();
      base_mem = first["baseline"]["memory_bytes"].get<int64_t>();
      md += fmt::format("| baseline | SSDLite person detector, MobileNetV2 backbone, 320×320 | – | – | – | – | {:.2f} | {} |\n",
                        base_acc, mb(base_mem));
    }
    md += fmt::format("| {} | {} | {} | **{}** | {} | {} | {:.2f} | {} |\n", v.id, v.what,
                      first["evaluations"].get<int>(), reduction_cell(c.nas), reduction_cell(c.random), gain_cell(c.nas),
                      first["best"]["accuracy_score"].get<double>(), mb(first["best"]["memory_bytes"].get<int64_t>()));
    rows.push_back({{"variant", v.id}, {"searched", v.what}, {"space", v.space}, {"summary", first},
                    {"comparison", to_json(c)}});
    series.push_back({fmt::format("{} winners", v.id), colours[i], c.nas});
    if (i == 2) series.push_back({"V3 random search", "#ff7f0e", c.random});
    if (std::string(v.id) == "V3") v3 = first;
  }
  out.summary = v3;
  out.summary["ablation"] = rows;
  out.summary["seeds"] = o.seeds;
  out.summary["controls"] = controls_json(controls);
  const std::string trained =
      trained_comparison(space.base, {{"V1", &comparisons[0]}, {"V2", &comparisons[1]}, {"V3", &comparisons[2]}},
                         controls, o.training, o.out_dir, o.parallel, out.summary["trained_accuracy"]);
  out.files.emplace_back("accuracy_latency.svg",
                         comparison_svg("latency", o.accuracy, controls, series, base_ms, base_acc));
  out.markdown = md + "\n" + controls_table(controls, base_ms, base_mem) + "\n" + trained +
                 "\n![accuracy signal against simulated latency: scaled controls, winners, baseline](accuracy_latency.svg)\n";
  return out;
}

// ---- 2. classifier ----------------------------------------------------------------------------

// The study minimises memory (params + peak activation): its winner is the feasible candidate
// with the least memory (ties: lower latency, then lower id), simulated.
Winner memory_winner(const SearchResult& r, const Evaluator& eval, ModelSpec* spec_out = nullptr) {
  const CandidateRecord* best = nullptr;
  for (const CandidateRecord& c : r.candidates) {
    if (!c.eval.ok || c.violation > 0) continue;
    if (!best || c.eval.memory_bytes < best->eval.memory_bytes ||
        (c.eval.memory_bytes == best->eval.memory_bytes &&
         (c.latency_ms < best->latency_ms || (c.latency_ms == best->latency_ms && c.id < best->id))))
      best = &c;
  }
  if (!best) throw input_error("classifier study: no feasible candidate to minimise memory over");
  ModelSpec spec = to_model_spec(r.space, best->arch);
  spec.name = "classifier_search_best";
  Winner w;
  w.evaluations = r.summary["evaluations"].get<int>();
  w.description = best->description;
  w.latency_ms = eval.simulate(spec).latency_ms;
  w.memory_bytes = best->eval.memory_bytes;
  w.accuracy = best->eval.accuracy;
  w.reduction_pct = pct_less(static_cast<double>(w.memory_bytes), r.summary["baseline"]["memory_bytes"].get<double>());
  w.spec = spec;
  if (spec_out) *spec_out = spec;
  return w;
}

ExperimentResult classifier(const ExperimentOptions& o) {
  const StudyEvaluator se = study_evaluator(o);
  const HwConfig& hw = se.eval->hw();
  const SearchSpace space = load_space(under(o, "nas/spaces/classifier.yaml"), hw);
  const std::vector<ScaledControl> controls = scaled_controls(space.base, *se.eval);
  SearchResult first;
  ModelSpec winner_spec;
  // NSGA-II over (memory, latency): evolution would rank by latency alone. Random search samples
  // the same space at the same budget.
  auto run = [&](uint64_t seed, bool random) {
    SearchResult r = search(o, "nas/spaces/classifier.yaml", fmt::format("{}seed{}", random ? "random-" : "", seed),
                            "", 2000, seed, random ? "random" : "nsga2");
    if (!random && seed == o.seed) first = r;
    return r;
  };
  const Comparison c = compare_with_controls(
      "memory", o.seed, o.seeds, run, [&](const SearchResult& r) { return memory_winner(r, *se.eval); }, controls);
  const Winner w = memory_winner(first, *se.eval, &winner_spec);
  AdviseOptions a;
  a.objective = AdviseObjective::Memory;
  a.accuracy = o.accuracy;
  a.scorer.supernet = o.scorer.supernet;
  a.iso_accuracy = true;  // against the searched model, whose score is already >= the baseline's
  a.seed = o.seed;
  if (o.progress != ProgressMode::Quiet)
    a.progress = [](const std::string& line) { fmt::print(stderr, "advise: {}\n", line); };
  AdviceResult adv = advise(winner_spec, hw, a);
  ModelSpec final_spec = adv.model;
  final_spec.name = "classifier_best";
  final_spec.source = winner_spec.source + "; then nesim advise --objective memory --iso-accuracy";

  const json& base = first.summary["baseline"];
  const int64_t base_mem = base["memory_bytes"].get<int64_t>();
  const double base_acc = base["accuracy_score"].get<double>();
  int kept = 0;
  json steps = json::array();
  for (const AdviceStep& st : adv.steps)
    if (st.kept) {
      ++kept;
      steps.push_back({{"block", st.block}, {"rule", st.rule}, {"change", st.change}, {"reason", st.reason},
                       {"memory_delta_bytes", st.after.memory_bytes - st.before.memory_bytes}});
    }
  const auto row = [&](const std::string& what, int64_t params, int64_t peak, int64_t mem, double lat, double acc) {
    return fmt::format("| {} | {} | {} | {} | {:.1f} % | {:.3f} | {:.2f} |\n", what, mb(params), mb(peak), mb(mem),
                       pct_less(static_cast<double>(mem), static_cast<double>(base_mem)), lat, acc);
  };
  std::string md =
      "| model | params (M, = MB at int8) | peak activation (MB) | params + peak (MB) | memory reduction | "
      "simulated latency (ms) | accuracy score |\n|---|---:|---:|---:|---:|---:|---:|\n";
  md += row("baseline (MobileNetV2 1.0, 224×224)", base["params"].get<int64_t>(),
            base["peak_activation_bytes"].get<int64_t>(), base_mem, base["latency_ms"].get<double>(), base_acc);
  const CandidateRecord* wc = nullptr;
  for (const CandidateRecord& cand : first.candidates)
    if (cand.description == w.description) wc = &cand;
  md += row(fmt::format("NAS, seed {} (least memory, NSGA-II)", o.seed), wc->eval.params, wc->eval.peak_activation_bytes,
            w.memory_bytes, w.latency_ms, w.accuracy);
  md += row("NAS + advisor", adv.final.params, adv.final.peak_activation_bytes, adv.final.memory_bytes,
            adv.final.latency_ms, adv.final.accuracy);
  md += fmt::format(
      "\nOver {} seeds: NAS memory reduction **{}**, random search at the same budget {}; NAS winners above the "
      "memory-matched scaled control: {}.\n\n",
      o.seeds, reduction_cell(c.nas), reduction_cell(c.random), gain_cell(c.nas));

  ExperimentResult out;
  out.files.emplace_back("final.yaml", to_yaml(final_spec));
  out.files.emplace_back("accuracy_memory.svg",
                         comparison_svg("memory", o.accuracy, controls,
                                        {{"NAS winners", "#1f77b4", c.nas}, {"random search", "#ff7f0e", c.random}},
                                        static_cast<double>(base_mem) / 1e6, base_acc));
  out.summary = first.summary;
  out.summary["best"] = {{"latency_ms", adv.final.latency_ms}, {"memory_bytes", adv.final.memory_bytes},
                         {"params", adv.final.params}, {"peak_activation_bytes", adv.final.peak_activation_bytes},
                         {"macs", adv.final.macs}, {"accuracy_score", adv.final.accuracy}, {"model", "final.yaml"}};
  out.summary["search_best"] = {{"description", w.description}, {"latency_ms", w.latency_ms},
                                {"memory_bytes", w.memory_bytes}, {"accuracy_score", w.accuracy}};
  out.summary["search_latency_best"] = first.summary["best"];
  out.summary["memory_reduction_pct"] = pct_less(static_cast<double>(adv.final.memory_bytes), static_cast<double>(base_mem));
  out.summary["latency_reduction_pct"] = pct_less(adv.final.latency_ms, base["latency_ms"].get<double>());
  out.summary["iso_accuracy"] = adv.final.accuracy >= base_acc;
  out.summary["advisor_kept"] = steps;
  out.summary["advisor_tried"] = adv.steps.size();
  out.summary["seeds"] = o.seeds;
  out.summary["comparison"] = to_json(c);
  out.summary["controls"] = controls_json(controls);
  const std::string trained = trained_comparison(space.base, {{"NAS", &c}}, controls, o.training, o.out_dir, o.parallel,
                                                 out.summary["trained_accuracy"]);
  out.markdown = md + controls_table(controls, base["latency_ms"].get<double>(), base_mem) + "\n" + trained +
                 fmt::format("\nThe advisor tried {} changes on the searched model and kept {}.\n\n"
                             "![accuracy signal against memory: scaled controls, winners, baseline](accuracy_memory.svg)\n",
                             adv.steps.size(), kept);
  return out;
}

// ---- 3. segmenter -----------------------------------------------------------------------------

ExperimentResult segmenter(const ExperimentOptions& o) {
  const StudyEvaluator se = study_evaluator(o);
  const SearchSpace space = load_space(under(o, "nas/spaces/segmenter.yaml"), se.eval->hw());
  const std::vector<ScaledControl> controls = scaled_controls(space.base, *se.eval, {320, 384, 448});
  SearchResult r;
  auto run = [&](uint64_t seed, bool random) {
    SearchResult x = search(o, "nas/spaces/segmenter.yaml", fmt::format("{}seed{}", random ? "random-" : "", seed), "",
                            3000, seed, random ? "random" : "evolution");
    if (!random && seed == o.seed) r = x;
    return x;
  };
  const Comparison c = compare_with_controls("latency", o.seed, o.seeds, run, latency_winner, controls);
  // The five best simulated candidates of the first seed's search.
  std::vector<const CandidateRecord*> sims;
  for (const CandidateRecord& cand : r.candidates)
    if (cand.simulated_ms && cand.violation == 0) sims.push_back(&cand);
  std::sort(sims.begin(), sims.end(), [](const CandidateRecord* a, const CandidateRecord* b) {
    return *a->simulated_ms != *b->simulated_ms ? *a->simulated_ms < *b->simulated_ms : a->id < b->id;
  });
  if (sims.size() > 5) sims.resize(5);
  const double base_ms = r.summary["baseline"]["latency_ms"].get<double>();
  const int64_t base_mem = r.summary["baseline"]["memory_bytes"].get<int64_t>();
  const double base_acc = r.summary["baseline"]["accuracy_score"].get<double>();
  std::string md = fmt::format(
      "Over {} seeds: NAS latency reduction **{}**, random search at the same budget {}; NAS winners above the "
      "latency-matched scaled control: {}.\n\nSeed {}'s five best simulated candidates:\n\n",
      o.seeds, reduction_cell(c.nas), reduction_cell(c.random), gain_cell(c.nas), o.seed);
  md += "| rank | candidate | simulated latency (ms) | latency reduction | memory (MB) | accuracy score |\n"
        "|---:|---|---:|---:|---:|---:|\n";
  md += fmt::format("| – | baseline: {} | {:.3f} | – | {} | {:.2f} |\n", r.space.base.name, base_ms, mb(base_mem), base_acc);
  json top = json::array();
  for (size_t i = 0; i < sims.size(); ++i) {
    const CandidateRecord& cand = *sims[i];
    md += fmt::format("| {} | `{}` | {:.3f} | {:.1f} % | {} | {:.2f} |\n", i + 1, cand.description, *cand.simulated_ms,
                      pct_less(*cand.simulated_ms, base_ms), mb(cand.eval.memory_bytes), cand.eval.accuracy);
    top.push_back({{"id", cand.id}, {"description", cand.description}, {"simulated_latency_ms", *cand.simulated_ms},
                   {"latency_reduction_pct", pct_less(*cand.simulated_ms, base_ms)},
                   {"memory_bytes", cand.eval.memory_bytes}, {"accuracy_score", cand.eval.accuracy}});
  }
  ExperimentResult out;
  out.summary = r.summary;
  out.summary["top5"] = top;
  out.summary["seeds"] = o.seeds;
  out.summary["comparison"] = to_json(c);
  out.summary["controls"] = controls_json(controls);
  const std::string trained = trained_comparison(space.base, {{"NAS", &c}}, controls, o.training, o.out_dir, o.parallel,
                                                 out.summary["trained_accuracy"]);
  out.files.emplace_back("accuracy_latency.svg",
                         comparison_svg("latency", o.accuracy, controls,
                                        {{"NAS winners", "#1f77b4", c.nas}, {"random search", "#ff7f0e", c.random}},
                                        base_ms, base_acc));
  out.markdown = md + "\n" + controls_table(controls, base_ms, base_mem) + "\n" + trained +
                 "\n![accuracy signal against simulated latency: scaled controls, winners, baseline](accuracy_latency.svg)\n";
  return out;
}

// ---- 4. curation ------------------------------------------------------------------------------

// Best-so-far curves of several runs as a self-contained SVG (log-free, evaluations on x).
std::string curves_svg(const std::map<std::string, std::vector<std::vector<double>>>& runs, double target) {
  const double W = 680, H = 400, L = 70, B = 50, T = 20, R = 130;
  size_t n = 0;
  double ymin = std::numeric_limits<double>::infinity(), ymax = 0;
  for (const auto& [mode, rs] : runs)
    for (const auto& h : rs) {
      n = std::max(n, h.size());
      for (double v : h)
        if (std::isfinite(v)) ymin = std::min(ymin, v), ymax = std::max(ymax, v);
    }
  ymax = std::min(ymax, ymin * 2.5);  // the first few evaluations would flatten the interesting part
  ymin *= 0.97;
  auto X = [&](double i) { return L + i / std::max<double>(1, n - 1) * (W - L - R); };
  auto Y = [&](double v) { return H - B - (std::min(v, ymax) - ymin) / std::max(1e-12, ymax - ymin) * (H - B - T); };
  std::string s = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-size='11' "
                              "font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n", W, H);
  s += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#888'/>\n", L, T, W - L - R, H - B - T);
  for (int i = 0; i <= 4; ++i) {
    const double xv = (n - 1) * i / 4.0, yv = ymin + (ymax - ymin) * i / 4;
    s += fmt::format("<text x='{:.1f}' y='{}' text-anchor='middle'>{:.0f}</text>\n", X(xv), H - B + 15, xv + 1);
    s += fmt::format("<text x='{}' y='{:.1f}' text-anchor='end'>{:.3f}</text>\n", L - 5, Y(yv) + 4, yv);
  }
  s += fmt::format("<text x='{}' y='{}' text-anchor='middle'>evaluations</text>\n", (L + W - R) / 2, H - 12);
  s += fmt::format("<text x='14' y='{}' transform='rotate(-90 14 {})' text-anchor='middle'>best latency so far (ms)</text>\n",
                   (T + H - B) / 2, (T + H - B) / 2);
  s += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' stroke='#999' stroke-dasharray='4 3'/>\n", L, W - R,
                   Y(target), Y(target));
  s += fmt::format("<text x='{}' y='{:.1f}'>best + 5 %</text>\n", W - R + 5, Y(target) + 4);
  const std::map<std::string, std::string> colour = {{"curated", "#1f77b4"}, {"fine", "#d62728"}};
  int legend = 0;
  for (const auto& [mode, rs] : runs) {
    const std::string c = colour.count(mode) ? colour.at(mode) : "#333";
    for (const auto& h : rs) {
      std::string pts;
      for (size_t i = 0; i < h.size(); ++i)
        if (std::isfinite(h[i])) pts += fmt::format("{:.1f},{:.1f} ", X(static_cast<double>(i)), Y(h[i]));
      s += fmt::format("<polyline fill='none' stroke='{}' stroke-opacity='0.7' points='{}'/>\n", c, pts);
    }
    s += fmt::format("<text x='{}' y='{}' fill='{}'>{} ({} seeds)</text>\n", W - R + 5, T + 15 + 16 * legend++, c, mode,
                     rs.size());
  }
  return s + "</svg>\n";
}

ExperimentResult curation(const ExperimentOptions& o) {
  if (o.seeds < 1) throw input_error("--seeds: expected a positive number of seeds per channel mode, got {}", o.seeds);
  std::map<std::string, std::vector<std::vector<double>>> histories;
  std::map<std::string, std::vector<double>> finals;
  for (const std::string mode : {"curated", "fine"})
    for (int k = 0; k < o.seeds; ++k) {
      const uint64_t seed = o.seed + static_cast<uint64_t>(k);
      SearchResult r = search(o, "nas/spaces/curation.yaml", fmt::format("{}-seed{}", mode, seed), mode, 1000, seed);
      histories[mode].push_back(r.history);
      finals[mode].push_back(r.history.empty() ? std::numeric_limits<double>::infinity() : r.history.back());
    }
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [mode, f] : finals)
    for (double v : f) best = std::min(best, v);
  const double target = best * 1.05;

  json modes = json::object();
  std::string md =
      "| channel mode | seeds | reached best + 5 % | evaluations to reach it (median) | per seed | final best (ms, median) |\n"
      "|---|---:|---:|---:|---|---:|\n";
  for (const auto& [mode, hs] : histories) {
    std::vector<int> reach;
    std::vector<std::string> per;
    for (const auto& h : hs) {
      int at = -1;
      for (size_t i = 0; i < h.size(); ++i)
        if (h[i] <= target) {
          at = static_cast<int>(i) + 1;
          break;
        }
      per.push_back(at < 0 ? "–" : std::to_string(at));
      if (at > 0) reach.push_back(at);
    }
    std::vector<int> sorted = reach;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> f = finals.at(mode);
    std::sort(f.begin(), f.end());
    const std::string median = sorted.empty() ? "never" : std::to_string(sorted[sorted.size() / 2]);
    md += fmt::format("| {} | {} | {} / {} | {} | {} | {:.4f} |\n", mode, hs.size(), reach.size(), hs.size(), median,
                      fmt::join(per, ", "), f[f.size() / 2]);
    modes[mode] = {{"seeds", hs.size()}, {"reached", reach.size()}, {"evaluations_to_target", per},
                   {"median_evaluations", sorted.empty() ? json(nullptr) : json(sorted[sorted.size() / 2])},
                   {"final_best_ms", finals.at(mode)}};
  }
  ExperimentResult out;
  out.files.emplace_back("curation.svg", curves_svg(histories, target));
  out.summary = {{"best_latency_ms", best}, {"target_ms", target}, {"modes", modes},
                 {"note", "latency here is the search's score: the regressor's prediction (refined), "
                          "simulator-verified for each run's best"}};
  out.markdown = md + "\n![convergence of curated vs fine channel spaces](curation.svg)\n";
  return out;
}

}  // namespace

const std::vector<std::string>& experiment_names() {
  static const std::vector<std::string> names = {"detector", "classifier", "segmenter", "curation"};
  return names;
}

// The space whose supernet a study's accuracy signal uses: the one its searches share (the
// detector's union of V1 and V2, which holds theirs).
std::string study_space(const std::string& name) {
  return name == "detector"     ? "nas/spaces/detector_both.yaml"
         : name == "classifier" ? "nas/spaces/classifier.yaml"
         : name == "segmenter"  ? "nas/spaces/segmenter.yaml"
                                : "nas/spaces/curation.yaml";
}

ExperimentResult run_experiment(const ExperimentOptions& options) {
  const auto& names = experiment_names();
  ExperimentOptions o = options;
  if (std::find(names.begin(), names.end(), o.name) == names.end())
    throw input_error("unknown experiment '{}': expected one of {}", o.name, fmt::join(names, ", "));
  if (o.out_dir.empty()) throw input_error("--out: expected a directory for the experiment's results");
  if (o.budget < 0) throw input_error("--budget: expected a positive number of evaluations, got {}", o.budget);
  if (o.training.seeds > 0) check_scorer("train");  // may re-run the command in nesim-torch: before any file
  const SignalChoice signal =
      choose_accuracy_signal(o.accuracy, o.supernet, under(o, study_space(o.name)), o.supernet_dir);
  o.accuracy = signal.signal;
  o.scorer.supernet = signal.supernet;
  o.accuracy_chosen_by = signal.chosen_by;
  check_scorer(o.accuracy);
  // The files every study reads, checked before --out is made: a wrong --root leaves nothing.
  read_input_file(under(o, kHw), "hardware");
  read_input_file(under(o, kRegressor), "regressor");
  std::error_code ec;
  // Under MPI only rank 0 writes (sim/exec/rank.h); the other ranks compute alongside it.
  const bool created = exec::is_output_rank() && !fs::exists(fs::symlink_status(o.out_dir, ec));
  if (exec::is_output_rank()) fs::create_directories(o.out_dir, ec);
  if (ec) throw input_error("--out: cannot create directory {}: {}", o.out_dir, ec.message());
  ExperimentResult r;
  try {
    r = o.name == "detector"     ? detector(o)
        : o.name == "classifier" ? classifier(o)
        : o.name == "segmenter"  ? segmenter(o)
                                 : curation(o);
  } catch (...) {
    // Searches that were journalled stay for --resume; a directory this run made and left empty goes.
    if (created) fs::remove(o.out_dir, ec);
    throw;
  }
  r.summary["experiment"] = o.name;
  r.summary["seed"] = o.seed;
  r.summary["accuracy_measure"] = o.accuracy;
  r.summary["accuracy_chosen_by"] = o.accuracy_chosen_by;
  OutputFiles out;  // the study's files appear together, or none does
  for (const auto& [name, content] : r.files) out.add((fs::path(o.out_dir) / name).string(), content);
  out.add((fs::path(o.out_dir) / "summary.json").string(), json_text(r.summary, 2) + "\n");
  out.add((fs::path(o.out_dir) / "report.md").string(), fmt::format("# nesim experiment {}\n\n{}", o.name, r.markdown));
  out.commit();
  return r;
}

}  // namespace nesim::nas
