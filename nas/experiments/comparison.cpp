#include "nas/experiments/comparison.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nas/accuracy/rank_stats.h"
#include "sim/report/svg_plot.h"

namespace nesim::nas {

namespace {

double x_of(const std::string& objective, double latency_ms, int64_t memory_bytes) {
  return objective == "memory" ? static_cast<double>(memory_bytes) / 1e6 : latency_ms;
}

void match(Winner& w, const std::string& objective, const std::vector<ScaledControl>& controls) {
  const double target = objective == "memory" ? static_cast<double>(w.memory_bytes) : w.latency_ms;
  if (const ScaledControl* c = matched_control(controls, objective, target)) {
    w.matched = c->name;
    w.matched_accuracy = c->accuracy;
    // Above by more than rounding: a signal computed two ways may differ in its last bits.
    w.beats_control = w.accuracy > c->accuracy + 1e-9 * std::max(1.0, std::abs(c->accuracy));
  }  // else: nothing uniformly scaled is as fast (small); no verdict (gain_cell() counts these apart)
}

}  // namespace

Comparison compare_with_controls(const std::string& objective, uint64_t first_seed, int seeds, const RunSearch& run,
                                 const PickWinner& pick, const std::vector<ScaledControl>& controls) {
  Comparison c;
  c.objective = objective;
  for (int k = 0; k < seeds; ++k) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(k);
    for (bool random : {false, true}) {
      Winner w = pick(run(seed, random));
      w.seed = seed;
      match(w, objective, controls);
      (random ? c.random : c.nas).push_back(std::move(w));
    }
  }
  return c;
}

std::string reduction_cell(const std::vector<Winner>& w) {
  std::vector<double> v;
  for (const Winner& x : w) v.push_back(x.reduction_pct);
  const Spread s = spread(v);
  return fmt::format("{:.1f} % [{:.1f}–{:.1f}]", s.median, s.min, s.max);
}

std::string gain_cell(const std::vector<Winner>& w) {
  int k = 0, alone = 0;
  for (const Winner& x : w) k += x.beats_control, alone += x.matched.empty();
  std::string cell = fmt::format("{} / {}", k, w.size() - static_cast<size_t>(alone));
  if (alone > 0) cell += fmt::format(" ({} with no control as fast or small)", alone);
  return cell;
}

nlohmann::json to_json(const Comparison& c) {
  auto list = [](const std::vector<Winner>& ws) {
    nlohmann::json a = nlohmann::json::array();
    for (const Winner& w : ws)
      a.push_back({{"seed", w.seed},
                   {"evaluations", w.evaluations},
                   {"description", w.description},
                   {"latency_ms", w.latency_ms},
                   {"memory_bytes", w.memory_bytes},
                   {"accuracy_score", w.accuracy},
                   {"reduction_pct", w.reduction_pct},
                   {"matched_control", w.matched.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.matched)},
                   {"matched_control_accuracy_score", w.matched.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.matched_accuracy)},
                   {"beats_matched_control", w.beats_control}});
    return a;
  };
  auto stats = [](const std::vector<Winner>& ws) {
    std::vector<double> v;
    for (const Winner& w : ws) v.push_back(w.reduction_pct);
    const Spread s = spread(v);
    return nlohmann::json{{"median", s.median}, {"min", s.min}, {"max", s.max}};
  };
  return {{"objective", c.objective},
          {"seeds", c.nas.size()},
          {"nas", list(c.nas)},
          {"random", list(c.random)},
          {"nas_reduction_pct", stats(c.nas)},
          {"random_reduction_pct", stats(c.random)}};
}

std::string comparison_svg(const std::string& objective, const std::string& accuracy_label,
                           const std::vector<ScaledControl>& controls, const std::vector<PlotSeries>& series,
                           double baseline_x, double baseline_accuracy) {
  svg::ScatterPlot p;
  p.x_label = objective == "memory" ? "params + peak activation (MB)" : "simulated latency (ms)";
  p.y_label = "accuracy (" + accuracy_label + ")";
  svg::Layer ctl{"scaled controls", "#888", {}};
  for (const ScaledControl& c : controls)
    if (c.ok) ctl.points.push_back({x_of(objective, c.latency_ms, c.memory_bytes), c.accuracy, c.name});
  p.cloud.push_back(std::move(ctl));
  for (const PlotSeries& s : series) {
    svg::Layer l{s.name, s.colour, {}};
    for (const Winner& w : s.winners)
      l.points.push_back({x_of(objective, w.latency_ms, w.memory_bytes), w.accuracy,
                          fmt::format("{} seed {}: {}", s.name, w.seed, w.description)});
    p.cloud.push_back(std::move(l));
  }
  p.highlights.push_back({"baseline", "#000", svg::Mark::Square, {baseline_x, baseline_accuracy, "baseline"}});
  return svg::scatter_svg(p);
}

std::string trained_comparison(const ModelSpec& baseline, const std::vector<std::pair<std::string, const Comparison*>>& runs,
                               const std::vector<ScaledControl>& controls, const TrainingPlan& plan,
                               const std::string& out_dir, const ParallelMap& parallel, nlohmann::json& summary) {
  if (plan.seeds <= 0) {
    summary = "not measured (--train-seeds 0): every accuracy here is the signal named in accuracy_measure";
    return "Trained accuracy: not measured in this run (`--train-seeds 0`); the accuracy columns above are the "
           "signal named in `accuracy_measure`, not trained networks.\n";
  }
  std::vector<ModelToTrain> models = {{"baseline", baseline}};
  models.back().spec.name = baseline.name.empty() ? "baseline" : baseline.name;
  struct Row {
    std::string label;
    size_t winner, control;  // indices into models; control == 0: none matched
  };
  std::vector<Row> rows;
  for (const auto& [label, c] : runs)
    for (const Winner& w : c->nas) {
      models.push_back({fmt::format("{} seed {}", label, w.seed), w.spec});
      models.back().spec.name = fmt::format("{}_seed{}", label.empty() ? "winner" : label, w.seed);
      const size_t winner = models.size() - 1;
      size_t control = 0;
      for (const ScaledControl& sc : controls)
        if (sc.ok && sc.name == w.matched) {
          models.push_back({"control " + sc.name, sc.spec});
          control = models.size() - 1;
        }
      rows.push_back({models[winner].role, winner, control});
    }
  const std::vector<TrainedModel> t = train_models(models, plan, out_dir, parallel);
  const TrainedModel& base = t.front();
  const SeedNoiseEstimate noise = pooled_seed_noise(t);
  const int seeds = plan.seeds;
  const double margin = noise_margin(noise, seeds, seeds);
  std::string md = fmt::format(
      "Trained proxy-task accuracy (Fashion-MNIST at 56 × 56, {} training steps of batch {}, tested on {} images; "
      "mean ± sd over {} seeds; detector and segmenter networks as classifiers of their backbones). Seed noise, "
      "pooled over the {} models: sd {}, so two means of {} seeds differ beyond it when they are more than {} apart "
      "(two-sided 95 %, Student's t):\n\n"
      "| model | trained accuracy | matched scaled control | its trained accuracy | iso-accuracy | NAS gain |\n"
      "|---|---:|---|---:|---|---|\n| baseline | {} | | | | |\n",
      plan.trainer.train_steps, plan.trainer.train_batch, plan.trainer.eval_images, plan.seeds, t.size(),
      std::isfinite(noise.sd) ? fmt::format("{:.4f} ({} df)", noise.sd, noise.df) : std::string("unknown (one seed)"),
      seeds, std::isfinite(margin) ? fmt::format("{:.4f}", margin) : std::string("(unknown)"), mean_sd(base));
  nlohmann::json verdicts = nlohmann::json::array();
  for (const Row& r : rows) {
    const TrainedModel& w = t[r.winner];
    const bool iso = !std::isnan(w.mean) && (w.mean >= base.mean || !beyond_noise(w, base, noise));
    const TrainedModel* c = r.control ? &t[r.control] : nullptr;
    const bool gain = c ? (w.mean > c->mean && beyond_noise(w, *c, noise)) : false;
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", r.label, mean_sd(w), c ? c->role.substr(8) : "none as fast",
                      c ? mean_sd(*c) : "", iso ? "yes" : "**no**",
                      c ? (gain ? "yes" : "no: not beyond seed noise of the scaled control") : "no control to compare");
    verdicts.push_back({{"model", r.label}, {"iso_accuracy", iso}, {"nas_gain", gain},
                        {"matched_control", c ? nlohmann::json(c->role.substr(8)) : nlohmann::json(nullptr)}});
  }
  nlohmann::json trained = nlohmann::json::array();
  for (const TrainedModel& m : t) trained.push_back(to_json(m));
  summary = {{"proxy_task", "fashion-mnist 56x56, 10 classes"},
             {"train_steps", plan.trainer.train_steps},
             {"batch", plan.trainer.train_batch},
             {"eval_images", plan.trainer.eval_images},
             {"seeds", plan.seeds},
             {"noise_rule", "|mean_a - mean_b| > t(0.975, df) * seed_sd * sqrt(1/n_a + 1/n_b)"},
             {"seed_sd", finite_or_null(noise.sd)},
             {"seed_sd_df", noise.df},
             {"noise_margin", finite_or_null(margin)},
             {"models", trained},
             {"verdicts", verdicts}};
  return md;
}

}  // namespace nesim::nas
