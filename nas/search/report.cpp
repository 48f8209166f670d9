#include "nas/search/report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sim/report/svg_plot.h"
#include "sim/util/text.h"

namespace nesim::nas {

namespace {

std::string esc(const std::string& s) { return text::markup_escape(s); }

// Simulated milliseconds per block (a layer "s2b1.expand" belongs to block "s2b1"), in first-seen order.
std::vector<std::pair<std::string, double>> per_block(const SimResult& s) {
  std::vector<std::pair<std::string, double>> out;
  std::map<std::string, size_t> at;
  for (const LayerRecord& l : s.layers) {
    const std::string block = l.name.substr(0, l.name.find('.'));
    if (!at.count(block)) {
      at[block] = out.size();
      out.emplace_back(block, 0.0);
    }
    out[at[block]].second += static_cast<double>(l.total_cycles) / (s.clock_mhz * 1e3);
  }
  return out;
}

// Latency against memory of every candidate evaluated, the Pareto front above them; zoomed: only
// the neighbourhood of the front.
std::string pareto_svg(const SearchResult& r, bool zoom_to_front) {
  svg::ScatterPlot p;
  p.x_label = "latency (ms; simulated where simulated, else refined regressor)";
  p.y_label = "memory (MB: parameters + peak activations)";
  auto point = [](const CandidateRecord& c, std::string title) {
    return svg::Point{c.latency_ms, static_cast<double>(c.eval.memory_bytes) / 1e6, std::move(title)};
  };
  svg::Layer infeasible{"infeasible", "#ccc", {}}, feasible{"feasible", "#9ab", {}};
  // At most ~3000 cloud points (every k-th candidate) keep the file small.
  const size_t step = std::max<size_t>(1, r.candidates.size() / 3000);
  for (size_t i = 0; i < r.candidates.size(); i += step) {
    const CandidateRecord& c = r.candidates[i];
    if (c.eval.ok) (c.violation == 0 ? feasible : infeasible).points.push_back(point(c, ""));
  }
  p.cloud = {infeasible, feasible};
  std::string objectives;
  for (const std::string& o : r.space.objectives) objectives += (objectives.empty() ? "" : ", ") + o;
  p.front = {fmt::format("Pareto front ({})", objectives), "#d33", {}};
  for (int id : r.pareto) p.front.points.push_back(point(r.candidates[id], r.candidates[id].description));
  p.highlights = {{"baseline", "#36c", svg::Mark::Square, point(r.baseline, "baseline")},
                  {"best", "#2a2", svg::Mark::Ring, point(r.candidates[r.best_id], "best")}};
  p.zoom_to_front = zoom_to_front;
  return svg::scatter_svg(p);
}

// The accuracy estimate against latency of every candidate evaluated, the accuracy-latency front
// above them: what a user trades, whatever the search's own objectives were.
std::string accuracy_svg(const SearchResult& r) {
  svg::ScatterPlot p;
  const std::string signal = r.summary.value("accuracy_scorer", "");
  p.x_label = "latency (ms; simulated where simulated, else refined regressor)";
  p.y_label = "accuracy estimate (" + signal + "; higher is better)";
  auto point = [](const CandidateRecord& c, std::string title) {
    return svg::Point{c.latency_ms, c.eval.accuracy, std::move(title)};
  };
  svg::Layer infeasible{"infeasible", "#ccc", {}}, feasible{"feasible", "#9ab", {}};
  const size_t step = std::max<size_t>(1, r.candidates.size() / 3000);
  for (size_t i = 0; i < r.candidates.size(); i += step) {
    const CandidateRecord& c = r.candidates[i];
    if (c.eval.ok && c.eval.accuracy_ok) (c.violation == 0 ? feasible : infeasible).points.push_back(point(c, ""));
  }
  p.cloud = {infeasible, feasible};
  p.front = {"accuracy-latency front", "#d33", {}};
  for (int id : r.accuracy_front) p.front.points.push_back(point(r.candidates[id], r.candidates[id].description));
  p.highlights = {{"baseline", "#36c", svg::Mark::Square, point(r.baseline, "baseline")},
                  {"best", "#2a2", svg::Mark::Ring, point(r.candidates[r.best_id], "best")}};
  return svg::scatter_svg(p);
}

// Best feasible latency after each evaluation, with the evaluations at which the simulator
// checked the oracle's top candidates, and those at which the oracle was refined.
std::string convergence_svg(const SearchResult& r) {
  svg::LinePlot p;
  p.x_label = "evaluations (candidates scored)";
  p.y_label = "best feasible latency so far (ms)";
  p.line = {"best feasible", "#36c", {}};
  for (size_t i = 0; i < r.history.size(); ++i) p.line.points.push_back({static_cast<double>(i + 1), r.history[i], ""});
  auto best_at = [&](int evaluation) {
    return evaluation >= 1 && evaluation <= static_cast<int>(r.history.size()) ? r.history[evaluation - 1] : NAN;
  };
  svg::Layer checks{"simulator check", "#e80", {}}, refined{"oracle refined", "#83c", {}};
  std::map<int, std::pair<int, double>> per_check;  // evaluation -> (candidates simulated, sum of |error| %)
  for (const SimulationCheck& k : r.checks) {
    per_check[k.at_evaluation].first += 1;
    per_check[k.at_evaluation].second += std::fabs(k.error_pct);
  }
  for (const auto& [at, n_err] : per_check)
    checks.points.push_back({static_cast<double>(at), best_at(at),
                             fmt::format("evaluation {}: {} candidates simulated, mean |error| {:.2f} %", at,
                                         n_err.first, n_err.second / n_err.first)});
  for (const Refinement& f : r.refinements)
    refined.points.push_back({static_cast<double>(f.at_evaluation), best_at(f.at_evaluation),
                              fmt::format("evaluation {}: oracle correction now {:.4f}", f.at_evaluation, f.correction)});
  p.marks = {checks, refined};
  return svg::line_svg(p);
}

}  // namespace

std::string render_report(const SearchResult& r) {
  const CandidateRecord& best = r.candidates.at(r.best_id);
  const nlohmann::json& s = r.summary;
  std::string h = "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>nesim search: " + esc(r.space.name) +
                  "</title>\n<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
                  "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                  "th{background:#f4f4f4}td.l{text-align:left}tr.chg td{background:#fff6d6}"
                  ".bar{display:inline-block;height:10px}</style></head><body>\n";
  h += fmt::format("<h1>nesim search: {}</h1>\n<p>Space <code>{}</code> on <code>{}</code>, strategy {}, seed {}, "
                   "{} evaluations, {} simulations, accuracy scorer <code>{}</code>.</p>\n",
                   esc(r.space.name), esc(s.value("space", "")), esc(s.value("hw", "")), esc(s.value("strategy", "")),
                   s.value("seed", 0), r.candidates.size(), r.simulations, esc(s.value("accuracy_scorer", "")));
  h += "<h2>Baseline vs best (latency from the simulator)</h2>\n<table><tr><th></th><th>latency ms</th><th>memory bytes</th>"
       "<th>params</th><th>MACs</th><th>peak activation bytes</th><th>accuracy score</th><th>feasible</th></tr>\n";
  for (const auto* c : {&r.baseline, &best})
    h += fmt::format("<tr><td class='l'>{}</td><td>{:.4f}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4f}</td><td>{}</td></tr>\n",
                     c == &best ? "best" : "baseline", c->latency_ms, c->eval.memory_bytes, c->eval.params, c->eval.macs,
                     c->eval.peak_activation_bytes, c->eval.accuracy, c->violation == 0 ? "yes" : "no");
  h += fmt::format("</table><p>Latency reduction <b>{:.1f} %</b>, memory reduction <b>{:.1f} %</b>.</p>\n",
                   s.value("latency_reduction_pct", 0.0), s.value("memory_reduction_pct", 0.0));
  h += "<h2>Pareto front</h2>\n" + pareto_svg(r, false);
  h += "<p>Around the front (candidates outside these axes left out):</p>\n" + pareto_svg(r, true);
  const std::string chosen_by = s.contains("accuracy") ? s["accuracy"].value("chosen_by", "") : "";
  h += "<h2>Accuracy against latency</h2>\n<p>Accuracy estimate: <code>" + esc(s.value("accuracy_scorer", "")) +
       "</code> (" + esc(chosen_by) + "; what it is worth against trained accuracy: docs/accuracy.md). The front "
       "holds the candidates no other beats on both.</p>\n" + accuracy_svg(r);
  h += "<h2>Convergence</h2>\n<p>Best feasible latency after each evaluation. It can step up where a simulator "
       "check replaced a prediction by the simulated latency, or where the oracle was refined.</p>\n" +
       convergence_svg(r);

  h += "<h2>Architecture diff</h2>\n<p>The base model's own choices are shown at their closest grid point.</p>\n"
       "<table><tr><th>decision</th><th>base</th><th>best</th></tr>\n";
  const Arch base = base_arch(r.space);
  for (size_t i = 0; i < r.space.decisions.size(); ++i) {
    const Decision& d = r.space.decisions[i];
    const bool changed = base.genes[i] != best.arch.genes[i];
    h += fmt::format("<tr{}><td class='l'>{}</td><td>{}</td><td>{}</td></tr>\n", changed ? " class='chg'" : "", esc(d.name),
                     esc(d.labels[base.genes[i]]), esc(d.labels[best.arch.genes[i]]));
  }
  h += "</table>\n";

  h += "<h2>Per-block simulated latency</h2>\n<table><tr><th>block</th><th>baseline ms</th><th>best ms</th><th></th></tr>\n";
  const auto bb = per_block(r.baseline_sim), nb = per_block(r.best_sim);
  std::map<std::string, double> best_ms(nb.begin(), nb.end()), base_ms(bb.begin(), bb.end());
  std::vector<std::string> order;
  for (const auto& [n, v] : bb) order.push_back(n);
  for (const auto& [n, v] : nb)
    if (!base_ms.count(n)) order.push_back(n);
  double top = 1e-12;
  for (const auto& [n, v] : bb) top = std::max(top, v);
  for (const auto& [n, v] : nb) top = std::max(top, v);
  for (const std::string& n : order) {
    const double a = base_ms.count(n) ? base_ms[n] : 0, b = best_ms.count(n) ? best_ms[n] : 0;
    h += fmt::format("<tr><td class='l'>{}</td><td>{}</td><td>{}</td><td class='l'><span class='bar' style='width:{:.0f}px;background:#36c'></span><br>"
                     "<span class='bar' style='width:{:.0f}px;background:#2a2'></span></td></tr>\n",
                     esc(n), base_ms.count(n) ? fmt::format("{:.4f}", a) : "", best_ms.count(n) ? fmt::format("{:.4f}", b) : "",
                     a / top * 300, b / top * 300);
  }
  h += fmt::format("<tr><th class='l'>total</th><th>{:.4f}</th><th>{:.4f}</th><th></th></tr></table>\n",
                   r.baseline_sim.latency_ms, r.best_sim.latency_ms);

  h += "<h2>Simulator checks of the latency oracle</h2>\n<table><tr><th>at evaluation</th><th>candidate</th>"
       "<th>predicted ms</th><th>simulated ms</th><th>error %</th></tr>\n";
  for (const SimulationCheck& k : r.checks)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.2f}</td></tr>\n", k.at_evaluation, k.id,
                     k.predicted_ms, k.simulated_ms, k.error_pct);
  h += "</table>\n";
  if (!r.refinements.empty()) {
    h += "<p>Oracle refinements (regressor latency x correction):</p><ul>\n";
    for (const Refinement& f : r.refinements)
      h += fmt::format("<li>at evaluation {}: mean check error {:.2f} %, correction {:.4f}</li>\n", f.at_evaluation,
                       f.mean_error_pct, f.correction);
    h += "</ul>\n";
  }
  h += fmt::format("<p>Best: <code>{}</code></p>\n</body></html>\n", esc(best.description));
  return h;
}

}  // namespace nesim::nas
