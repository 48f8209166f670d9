#include "nas/experiments/comparison.h"

#include <fmt/format.h>

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
    w.beats_control = w.accuracy > c->accuracy;
  } else {
    w.beats_control = true;  // nothing uniformly scaled is as fast (small): the winner is alone there
  }
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
  int k = 0;
  for (const Winner& x : w) k += x.beats_control;
  return fmt::format("{} / {}", k, w.size());
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

}  // namespace nesim::nas
