#include "nas/search/report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace nesim::nas {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

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

std::string pareto_svg(const SearchResult& r) {
  const double W = 640, H = 400, L = 70, B = 50, T = 20, R = 20;
  double xmax = r.baseline.latency_ms, ymax = static_cast<double>(r.baseline.eval.memory_bytes);
  double xmin = xmax, ymin = ymax;
  for (const CandidateRecord& c : r.candidates)
    if (c.eval.ok && std::isfinite(c.latency_ms)) {
      xmax = std::max(xmax, c.latency_ms);
      xmin = std::min(xmin, c.latency_ms);
      ymax = std::max(ymax, static_cast<double>(c.eval.memory_bytes));
      ymin = std::min(ymin, static_cast<double>(c.eval.memory_bytes));
    }
  xmin *= 0.95, ymin *= 0.95, xmax *= 1.02, ymax *= 1.02;
  auto X = [&](double v) { return L + (v - xmin) / std::max(1e-12, xmax - xmin) * (W - L - R); };
  auto Y = [&](double v) { return H - B - (v - ymin) / std::max(1e-12, ymax - ymin) * (H - B - T); };
  std::string s = fmt::format("<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-size='11'>\n", W, H);
  s += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#888'/>\n", L, T, W - L - R, H - B - T);
  for (int i = 0; i <= 4; ++i) {
    const double xv = xmin + (xmax - xmin) * i / 4, yv = ymin + (ymax - ymin) * i / 4;
    s += fmt::format("<text x='{:.1f}' y='{}' text-anchor='middle'>{:.2f}</text>\n", X(xv), H - B + 15, xv);
    s += fmt::format("<text x='{}' y='{:.1f}' text-anchor='end'>{:.2f}</text>\n", L - 5, Y(yv) + 4, yv / 1e6);
  }
  s += fmt::format("<text x='{}' y='{}' text-anchor='middle'>latency (ms; simulated where simulated, else refined regressor)</text>\n",
                   (L + W - R) / 2, H - 12);
  s += fmt::format("<text x='14' y='{}' transform='rotate(-90 14 {})' text-anchor='middle'>memory (MB: params + peak activations)</text>\n",
                   (T + H - B) / 2, (T + H - B) / 2);
  // At most ~3000 grey points (every k-th candidate) keep the file small.
  const size_t step = std::max<size_t>(1, r.candidates.size() / 3000);
  for (size_t i = 0; i < r.candidates.size(); i += step) {
    const CandidateRecord& c = r.candidates[i];
    if (!c.eval.ok || !std::isfinite(c.latency_ms)) continue;
    s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2' fill='{}'/>\n", X(c.latency_ms),
                     Y(static_cast<double>(c.eval.memory_bytes)), c.violation == 0 ? "#9ab" : "#ddd");
  }
  std::string line;
  for (int id : r.pareto) {
    const CandidateRecord& c = r.candidates[id];
    line += fmt::format("{:.1f},{:.1f} ", X(c.latency_ms), Y(static_cast<double>(c.eval.memory_bytes)));
  }
  s += fmt::format("<polyline points='{}' fill='none' stroke='#d33' stroke-width='1.5'/>\n", line);
  for (int id : r.pareto) {
    const CandidateRecord& c = r.candidates[id];
    s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='3.5' fill='#d33'><title>{}</title></circle>\n", X(c.latency_ms),
                     Y(static_cast<double>(c.eval.memory_bytes)), esc(c.description));
  }
  const CandidateRecord& b = r.candidates[r.best_id];
  s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='9' height='9' fill='#36c'><title>baseline</title></rect>\n",
                   X(r.baseline.latency_ms) - 4.5, Y(static_cast<double>(r.baseline.eval.memory_bytes)) - 4.5);
  s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='6' fill='none' stroke='#2a2' stroke-width='3'><title>best</title></circle>\n",
                   X(b.latency_ms), Y(static_cast<double>(b.eval.memory_bytes)));
  s += fmt::format("<text x='{}' y='{}'><tspan fill='#36c'>&#9632; baseline</tspan> <tspan fill='#2a2'>&#9675; best</tspan> "
                   "<tspan fill='#d33'>&#9679; Pareto front</tspan> <tspan fill='#9ab'>&#9679; feasible</tspan> "
                   "<tspan fill='#bbb'>&#9679; infeasible</tspan></text>\n", L + 5, T + 14);
  return s + "</svg>\n";
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
  h += "<h2>Pareto front</h2>\n" + pareto_svg(r);

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
