// The plots of the HTML reports: round-number ticks, the Pareto front painted above the cloud,
// and both pages drawing what they claim (a front per sweep model, the convergence plot's marks).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "nas/search/report.h"
#include "sim/report/svg_plot.h"
#include "sim/report/sweep_report.h"

using namespace nesim;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The text from the first `open` to the next `close` after it.
std::string section(const std::string& text, const std::string& open, const std::string& close = "</g>") {
  const size_t a = text.find(open);
  REQUIRE(a != std::string::npos);
  const size_t b = text.find(close, a + open.size());
  REQUIRE(b != std::string::npos);
  return text.substr(a, b - a);
}

bool is_one_two_five(double step) {
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-12));
  for (double m : {1.0, 2.0, 5.0})
    if (std::fabs(mantissa - m) < 1e-9) return true;
  return false;
}

std::vector<std::string> labels(const svg::Ticks& t) {
  std::vector<std::string> out;
  for (double v : t.values()) out.push_back(t.label(v));
  return out;
}

// A search of 60 candidates whose front has only two points, checked by the simulator twice.
nas::SearchResult small_search() {
  nas::SearchResult r;
  r.space.name = "toy";
  r.summary = nlohmann::json::object();
  for (int i = 0; i < 60; ++i) {
    nas::CandidateRecord c;
    c.id = i;
    c.latency_ms = 2.0 + 0.05 * (i % 17);
    c.eval.memory_bytes = 3'000'000 + 40'000 * (i % 11);
    c.violation = i % 5 == 0 ? 1 : 0;
    r.candidates.push_back(c);
    r.history.push_back(i < 3 ? INFINITY : 2.0 + 1.0 / i);
  }
  r.candidates[7].latency_ms = 1.1, r.candidates[7].eval.memory_bytes = 3'500'000;
  r.candidates[8].latency_ms = 1.6, r.candidates[8].eval.memory_bytes = 2'500'000;
  r.pareto = {7, 8};
  r.best_id = 7;
  r.baseline = r.candidates[0];
  r.checks = {{20, 7, 1.0, 1.1, -9.1}, {20, 8, 1.5, 1.6, -6.2}, {40, 3, 2.1, 2.1, 0.0}};
  r.refinements = {{20, 7.6, 1.08}};
  return r;
}

}  // namespace

TEST_SUITE("report: plots") {
  TEST_CASE("nice ticks: hand-worked ranges give 1-2-5 steps from a multiple of the step") {
    svg::Ticks t = svg::nice_ticks(0.37, 1.83);  // 0.1 and 0.2 would need 17 and 10 ticks
    CHECK(t.step == doctest::Approx(0.5));
    CHECK(labels(t) == std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0"});
    CHECK(labels(svg::nice_ticks(0, 100)) == std::vector<std::string>{"0", "20", "40", "60", "80", "100"});
    CHECK(labels(svg::nice_ticks(320, 2048)) == std::vector<std::string>{"0", "500", "1000", "1500", "2000", "2500"});
    CHECK(labels(svg::nice_ticks(-0.03, 0.07)) == std::vector<std::string>{"-0.05", "0.00", "0.05", "0.10"});
    const svg::Ticks flat = svg::nice_ticks(3, 3);  // one value: a small range around it
    CHECK(flat.lo < 3);
    CHECK(flat.hi > 3);
    CHECK_THROWS_AS(svg::nice_ticks(0, INFINITY), std::invalid_argument);
  }

  TEST_CASE("nice ticks: on random ranges, at most max_ticks round ticks that cover the data and print exactly") {
    std::mt19937_64 rng(13);
    std::uniform_real_distribution<double> unit(0, 1);
    for (int trial = 0; trial < 2000; ++trial) {
      const double scale = std::pow(10.0, std::floor(unit(rng) * 16) - 8);
      const double lo = (unit(rng) - 0.3) * scale, hi = lo + unit(rng) * scale;
      const int max_ticks = 3 + trial % 6;
      CAPTURE(lo);
      CAPTURE(hi);
      CAPTURE(max_ticks);
      const svg::Ticks t = svg::nice_ticks(lo, hi, max_ticks);
      const std::vector<double> v = t.values();
      CHECK(v.size() >= 2);
      CHECK(static_cast<int>(v.size()) <= max_ticks);
      CHECK(is_one_two_five(t.step));
      CHECK(t.lo <= lo);
      CHECK(t.hi >= hi);
      for (double x : v) CHECK(std::fabs(std::strtod(t.label(x).c_str(), nullptr) - x) <= t.step * 1e-6);
    }
  }

  TEST_CASE("scatter: a two-point front is drawn after the cloud, big, and joined by a step line") {
    svg::ScatterPlot p;
    p.x_label = "latency (ms)", p.y_label = "memory (MB)";
    svg::Layer cloud{"feasible", "#9ab", {}};
    for (int i = 0; i < 50; ++i) cloud.points.push_back({1.0 + 0.02 * i, 5.0 - 0.05 * (i % 7), ""});
    cloud.points.push_back({NAN, 1.0, ""});
    p.cloud = {cloud};
    p.front = {"Pareto front", "#d33", {{1.5, 1.0, "b"}, {1.0, 2.0, "a<x>"}}};
    p.highlights = {{"best", "#2a2", svg::Mark::Ring, {1.0, 2.0, "best"}}};
    const std::string s = svg::scatter_svg(p);
    CHECK(count(section(s, "<g class='cloud'"), "<circle") == 50);  // the NaN point is left out
    CHECK(s.find("nan") == std::string::npos);
    const size_t last_cloud = s.rfind("<circle cx", s.find("</g>", s.find("<g class='cloud'")));
    CHECK(s.find("<polyline class='front'") > last_cloud);
    CHECK(s.find("<g class='front'") > s.find("<polyline class='front'"));
    const std::string front = section(s, "<g class='front'");
    CHECK(count(front, "r='6'") == 2);
    CHECK(front.find("a&lt;x&gt;") != std::string::npos);
    // Sorted by latency and joined as steps: a, the corner (b's latency at a's memory), b.
    const std::string line = section(s, "<polyline class='front' points='", "' ");
    CHECK(count(line, ",") == 3);
    CHECK(s.find("latency (ms)") != std::string::npos);
    CHECK(s.find(">1.2<") != std::string::npos);  // x from 1.0 to 1.98: ticks 1.0, 1.2, ..., 2.0
    CHECK(s.find(">2.0<") != std::string::npos);
  }

  TEST_CASE("scatter zoomed to the front: axes around the front, points outside them left out") {
    svg::ScatterPlot p;
    p.cloud = {{"feasible", "#9ab", {{2.02, 3.01, ""}, {15.0, 7.0, "far"}}}};
    p.front = {"Pareto front", "#d33", {{2.0, 3.0, ""}, {2.1, 2.9, ""}}};
    p.highlights = {{"baseline", "#36c", svg::Mark::Square, {3.6, 5.0, ""}}};
    p.zoom_to_front = true;
    const std::string s = svg::scatter_svg(p);
    CHECK(count(section(s, "<g class='cloud'"), "<circle") == 1);
    CHECK(s.find("class='highlight'") == std::string::npos);
    CHECK(s.find(">2.10<") != std::string::npos);  // x ticks in steps of 0.05 around 2.0 .. 2.1
    p.zoom_to_front = false;
    CHECK(count(section(svg::scatter_svg(p), "<g class='cloud'"), "<circle") == 2);
  }

  TEST_CASE("line plot: steps through the history, one mark and guide per event") {
    svg::LinePlot p;
    p.x_label = "evaluations", p.y_label = "best latency (ms)";
    p.line = {"best", "#36c", {{1, INFINITY, ""}, {2, 3.0, ""}, {3, 2.5, ""}, {4, 2.5, ""}}};
    p.marks = {{"simulator check", "#e80", {{3, 2.5, "check"}}}};
    const std::string s = svg::line_svg(p);
    CHECK(count(section(s, "<polyline class='line' points='", "' "), ",") == 5);  // 3 points, 2 corners
    const std::string marks = section(s, "<g class='marks'");
    CHECK(count(marks, "<circle") == 1);
    CHECK(count(marks, "stroke-dasharray") == 1);
    CHECK(s.find("inf") == std::string::npos);
  }

  TEST_CASE("search report: the front above the cloud, and a convergence plot marking each simulator check") {
    const std::string html = nas::render_report(small_search());
    CHECK(count(html, "class='scatter'") == 3);  // all candidates, around the front, accuracy against latency
    CHECK(html.find("<h2>Accuracy against latency</h2>") != std::string::npos);
    const std::string scatter = section(html, "class='scatter'", "</svg>");
    CHECK(scatter.find("<polyline class='front'") > scatter.rfind("<g class='cloud'"));
    CHECK(count(section(scatter, "<g class='front'"), "<circle") == 2);
    const std::string line = section(html, "class='line'", "</svg>");
    const size_t checks = line.find("<g class='marks' fill='#e80'");
    REQUIRE(checks != std::string::npos);
    CHECK(count(line.substr(checks, line.find("</g>", checks) - checks), "<circle") == 2);  // evaluations 20 and 40
    CHECK(line.find("2 candidates simulated") != std::string::npos);
    CHECK(line.find("oracle correction now 1.0800") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("href=") == std::string::npos);
  }

  TEST_CASE("sweep page: one scatter per model and a table row per front point") {
    SweepTable t{{"mac_array.pf"}, {}};
    auto run = [](int model, const char* name, double area, double latency, const char* pf) {
      SweepRun r;
      r.model_index = model;
      r.model = name;
      r.hw = "ne";
      r.values = {pf};
      r.area_proxy = area;
      r.latency_ms = latency;
      return r;
    };
    t.runs = {run(0, "a", 300, 1.0, "32"), run(0, "a", 100, 3.0, "8"), run(0, "a", 200, 3.5, "16"),
              run(1, "b&c", 100, 9.0, "8"), run(1, "b&c", 300, 4.0, "32")};
    const std::string html = sweep_html(t);
    CHECK(count(html, "class='scatter'") == 2);
    CHECK(count(html, "<polyline class='front'") == 2);
    CHECK(html.find("<h2>b&amp;c</h2>") != std::string::npos);
    CHECK(html.find("2 of 3 runs on the front") != std::string::npos);
    CHECK(count(html, "<tr><td>") == 4);  // a: 2 front points, b&c: 2
    CHECK(html.find("ne mac_array.pf=16") != std::string::npos);  // the tooltip of the dominated run
  }
}
