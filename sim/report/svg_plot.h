#pragma once
// Inline-SVG plots for the self-contained HTML reports (`nesim search`'s report.html and
// `nesim sweep --html`): no scripts, fonts or fetched files, so a page opens from anywhere.
//
// Example:
//   svg::ScatterPlot p;
//   p.x_label = "area proxy (MACs + SRAM KiB)", p.y_label = "latency (ms)";
//   p.cloud.push_back({"all runs", "#9ab", {{300, 1.2, "pf=8"}, {900, 0.7, "pf=32"}}});
//   p.front = {"Pareto front", "#d33", {{300, 1.2, "pf=8"}, {900, 0.7, "pf=32"}}};
//   std::string svg = svg::scatter_svg(p);   // the front is drawn above the cloud
#include <string>
#include <vector>

namespace nesim::svg {

// Round-number axis ticks ("nice numbers", Heckbert, Graphics Gems 1990): the step is 1, 2 or 5
// times a power of ten, and the axis runs from a multiple of the step at or below the data's
// lowest value to one at or above its highest.
struct Ticks {
  double lo = 0, hi = 1, step = 1;  // axis ends (both ticks) and the distance between ticks
  int decimals = 0;                 // digits after the point that write every tick exactly

  std::vector<double> values() const;  // lo, lo + step, ..., hi
  std::string label(double v) const;   // v with `decimals` digits
};
// Ticks covering [lo, hi] with at most `max_ticks` (at least 3) ticks; lo == hi gets a small range
// around the value. Non-finite bounds are a std::invalid_argument.
Ticks nice_ticks(double lo, double hi, int max_ticks = 6);


struct Point {
  double x = 0, y = 0;
  std::string title;  // tooltip, plain text (escaped when drawn, text::markup_escape); "" = none
};

// Points of one kind: one colour, one legend entry.
struct Layer {
  std::string name, colour;
  std::vector<Point> points;
};

enum class Mark { Square, Ring };

// One point singled out above everything else (the baseline, the best candidate).
struct Highlight {
  std::string name, colour;
  Mark mark = Mark::Ring;
  Point at;
};

struct ScatterPlot {
  std::string x_label, y_label;       // with units: "latency (ms)"
  std::vector<Layer> cloud;           // small points, drawn first, in order
  Layer front;                        // big points joined by a step line, drawn above the cloud
  std::vector<Highlight> highlights;  // drawn last
  // Axes around the front only (points outside left out), for a front lost in a wide cloud.
  bool zoom_to_front = false;
};
// <svg class='scatter'>: the cloud in <g class='cloud'>, then the front as
// <polyline class='front'> and <g class='front'>, then the highlights and the legend.
// Non-finite points are left out.
std::string scatter_svg(const ScatterPlot& p);

struct LinePlot {
  std::string x_label, y_label;
  Layer line;               // joined in x order as steps: each value holds until the next x
  std::vector<Layer> marks; // events on the line, each with a dashed vertical guide, drawn above it
};
// <svg class='line'>: <polyline class='line'>, then each mark layer as <g class='marks'>.
std::string line_svg(const LinePlot& p);

}  // namespace nesim::svg
