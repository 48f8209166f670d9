#include "sim/report/svg_plot.h"
#include "sim/util/text.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace nesim::svg {

namespace {

// The plot area inside a fixed-size picture: room for tick labels left and below, legend above.
constexpr double kWidth = 640, kHeight = 400, kLeft = 80, kRight = 20, kTop = 34, kBottom = 50;

// The share of the tick range added beyond the outer ticks, so that no point sits on the frame.
constexpr double kMargin = 0.03;

// Maps data to picture coordinates, draws the frame, grid, ticks and axis labels.
class Axes {
 public:
  Axes(const Ticks& x, const Ticks& y) : x_(x), y_(y) {}

  double px(double v) const {
    const double m = kMargin * (x_.hi - x_.lo);
    return kLeft + (v - x_.lo + m) / (x_.hi - x_.lo + 2 * m) * (kWidth - kLeft - kRight);
  }
  double py(double v) const {
    const double m = kMargin * (y_.hi - y_.lo);
    return kHeight - kBottom - (v - y_.lo + m) / (y_.hi - y_.lo + 2 * m) * (kHeight - kBottom - kTop);
  }

  std::string draw(const std::string& x_label, const std::string& y_label) const {
    std::string s = fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#888'/>\n", kLeft, kTop,
                                kWidth - kLeft - kRight, kHeight - kBottom - kTop);
    s += "<g class='grid' stroke='#eee'>\n";
    for (double v : x_.values()) s += fmt::format("<line x1='{0:.1f}' y1='{1}' x2='{0:.1f}' y2='{2}'/>\n", px(v), kTop, kHeight - kBottom);
    for (double v : y_.values()) s += fmt::format("<line x1='{1}' y1='{0:.1f}' x2='{2}' y2='{0:.1f}'/>\n", py(v), kLeft, kWidth - kRight);
    s += "</g>\n<g class='ticks' fill='#444'>\n";
    for (double v : x_.values())
      s += fmt::format("<text x='{:.1f}' y='{}' text-anchor='middle'>{}</text>\n", px(v), kHeight - kBottom + 15, x_.label(v));
    for (double v : y_.values())
      s += fmt::format("<text x='{}' y='{:.1f}' text-anchor='end'>{}</text>\n", kLeft - 6, py(v) + 4, y_.label(v));
    s += "</g>\n";
    s += fmt::format("<text x='{}' y='{}' text-anchor='middle'>{}</text>\n", (kLeft + kWidth - kRight) / 2, kHeight - 12,
                     text::markup_escape(x_label));
    const double mid_y = (kTop + kHeight - kBottom) / 2;
    s += fmt::format("<text x='16' y='{0}' transform='rotate(-90 16 {0})' text-anchor='middle'>{1}</text>\n", mid_y,
                     text::markup_escape(y_label));
    return s;
  }

 private:
  Ticks x_, y_;
};

bool finite(const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); }

std::string title_of(const Point& p) {
  return p.title.empty() ? "" : "<title>" + text::markup_escape(p.title) + "</title>";
}

std::string open_svg(const char* kind) {
  return fmt::format("<svg xmlns='http://www.w3.org/2000/svg' class='{}' width='{}' height='{}' viewBox='0 0 {} {}' "
                     "font-family='sans-serif' font-size='11'>\n",
                     kind, kWidth, kHeight, kWidth, kHeight);
}

// Ticks for every finite coordinate of the given points (0..1 when there is none), each range
// widened by `widen` times its span (or of its value, when all points share it) on both sides.
std::pair<Ticks, Ticks> ticks_for(const std::vector<const Point*>& points, double widen = 0) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Point* p : points) {
    if (!finite(*p)) continue;
    x_lo = std::min(x_lo, p->x), x_hi = std::max(x_hi, p->x);
    y_lo = std::min(y_lo, p->y), y_hi = std::max(y_hi, p->y);
  }
  if (x_lo > x_hi) x_lo = y_lo = 0, x_hi = y_hi = 1;
  auto wide = [&](double lo, double hi) {
    const double by = widen * (hi > lo ? hi - lo : std::fabs(lo));
    return nice_ticks(lo - by, hi + by);
  };
  return {wide(x_lo, x_hi), wide(y_lo, y_hi)};
}

bool inside(const Ticks& x, const Ticks& y, const Point& p) {
  return finite(p) && p.x >= x.lo && p.x <= x.hi && p.y >= y.lo && p.y <= y.hi;
}

std::string legend_entry(const std::string& symbol, const std::string& colour, const std::string& name) {
  return fmt::format("<tspan fill='{}'>{} </tspan><tspan>{}</tspan><tspan>&#160;&#160;&#160;</tspan>", colour, symbol,
                     text::markup_escape(name));
}

std::vector<Point> finite_by_x(const std::vector<Point>& points) {
  std::vector<Point> out;
  for (const Point& p : points)
    if (finite(p)) out.push_back(p);
  std::stable_sort(out.begin(), out.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  return out;
}

// Points joined as steps: each y holds until the next x.
std::string step_points(const Axes& a, const std::vector<Point>& by_x) {
  std::string s;
  for (size_t i = 0; i < by_x.size(); ++i) {
    if (i > 0) s += fmt::format("{:.1f},{:.1f} ", a.px(by_x[i].x), a.py(by_x[i - 1].y));
    s += fmt::format("{:.1f},{:.1f} ", a.px(by_x[i].x), a.py(by_x[i].y));
  }
  if (!s.empty()) s.pop_back();
  return s;
}

}  // namespace

std::vector<double> Ticks::values() const {
  std::vector<double> out;
  const long first = std::lround(lo / step), last = std::lround(hi / step);
  // k / 10^d rather than k * step, so that 3 ticks of 0.1 give 0.3 and not 0.30000000000000004.
  const double scale = std::pow(10.0, decimals);
  for (long k = first; k <= last; ++k) out.push_back(std::round(k * step * scale) / scale);
  return out;
}

std::string Ticks::label(double v) const {
  if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0.0"
  return fmt::format("{:.{}f}", v, decimals);
}

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) throw std::invalid_argument("nice_ticks: non-finite axis range");
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    const double half = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= half, hi += half;
  }
  max_ticks = std::max(max_ticks, 3);  // two ticks cannot always cover a range that straddles a multiple of the step
  // The densest of 1, 2, 5 x 10^e (e rising from one decade below the plain split) that covers
  // [lo, hi] with at most max_ticks ticks.
  int exponent = static_cast<int>(std::floor(std::log10((hi - lo) / (max_ticks - 1)))) - 1;
  for (;; ++exponent)
    for (int mantissa : {1, 2, 5}) {
      const double step = mantissa * std::pow(10.0, exponent);
      const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
      if (last - first + 1 > max_ticks) continue;
      Ticks t;
      t.step = step;
      t.lo = first * step;
      t.hi = last * step;
      t.decimals = std::max(0, -exponent);
      return t;
    }
}

std::string scatter_svg(const ScatterPlot& p) {
  std::vector<const Point*> all;
  for (const Point& q : p.front.points) all.push_back(&q);
  const bool zoom = p.zoom_to_front && !all.empty();
  if (!zoom) {
    for (const Layer& l : p.cloud)
      for (const Point& q : l.points) all.push_back(&q);
    for (const Highlight& h : p.highlights) all.push_back(&h.at);
  }
  const std::pair<Ticks, Ticks> ticks = ticks_for(all, zoom ? 0.25 : 0);
  const Axes a(ticks.first, ticks.second);
  auto shown = [&](const Point& q) { return inside(ticks.first, ticks.second, q); };

  std::string s = open_svg("scatter") + a.draw(p.x_label, p.y_label);
  std::string legend;
  for (const Layer& l : p.cloud) {
    s += fmt::format("<g class='cloud' fill='{}'>\n", l.colour);
    for (const Point& q : l.points)
      if (shown(q)) s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2.5'>{}</circle>\n", a.px(q.x), a.py(q.y), title_of(q));
    s += "</g>\n";
    legend += legend_entry("&#9679;", l.colour, l.name);
  }
  // The front comes after the cloud so that it is painted above it: a thick step line, then big
  // white-edged markers, so that even a front of two points stands out.
  const std::vector<Point> front = finite_by_x(p.front.points);
  s += fmt::format("<polyline class='front' points='{}' fill='none' stroke='{}' stroke-width='2.5'/>\n",
                   step_points(a, front), p.front.colour);
  s += fmt::format("<g class='front' fill='{}' stroke='#fff' stroke-width='1.5'>\n", p.front.colour);
  for (const Point& q : front)
    s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='6'>{}</circle>\n", a.px(q.x), a.py(q.y), title_of(q));
  s += "</g>\n";
  legend += legend_entry("&#9679;&#8212;", p.front.colour, p.front.name);
  for (const Highlight& h : p.highlights) {
    if (!shown(h.at)) continue;
    if (h.mark == Mark::Square)
      s += fmt::format("<rect class='highlight' x='{:.1f}' y='{:.1f}' width='10' height='10' fill='{}'>{}</rect>\n",
                       a.px(h.at.x) - 5, a.py(h.at.y) - 5, h.colour, title_of(h.at));
    else
      s += fmt::format("<circle class='highlight' cx='{:.1f}' cy='{:.1f}' r='9' fill='none' stroke='{}' stroke-width='3'>{}</circle>\n",
                       a.px(h.at.x), a.py(h.at.y), h.colour, title_of(h.at));
    legend += legend_entry(h.mark == Mark::Square ? "&#9632;" : "&#9675;", h.colour, h.name);
  }
  s += fmt::format("<text x='{}' y='{}'>{}</text>\n", kLeft, kTop - 12, legend);
  return s + "</svg>\n";
}

std::string line_svg(const LinePlot& p) {
  std::vector<const Point*> all;
  for (const Point& q : p.line.points) all.push_back(&q);
  for (const Layer& l : p.marks)
    for (const Point& q : l.points) all.push_back(&q);
  const auto [xt, yt] = ticks_for(all);
  const Axes a(xt, yt);

  std::string s = open_svg("line") + a.draw(p.x_label, p.y_label);
  s += fmt::format("<polyline class='line' points='{}' fill='none' stroke='{}' stroke-width='2'/>\n",
                   step_points(a, finite_by_x(p.line.points)), p.line.colour);
  std::string legend = legend_entry("&#8212;", p.line.colour, p.line.name);
  for (const Layer& l : p.marks) {
    s += fmt::format("<g class='marks' fill='{0}' stroke='{0}'>\n", l.colour);
    for (const Point& q : l.points) {
      if (!finite(q)) continue;
      s += fmt::format("<line x1='{0:.1f}' y1='{1}' x2='{0:.1f}' y2='{2}' stroke-dasharray='3 3' stroke-opacity='0.6'/>\n",
                       a.px(q.x), kTop, kHeight - kBottom);
      s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='4.5'>{}</circle>\n", a.px(q.x), a.py(q.y), title_of(q));
    }
    s += "</g>\n";
    legend += legend_entry("&#9679;", l.colour, l.name);
  }
  s += fmt::format("<text x='{}' y='{}'>{}</text>\n", kLeft, kTop - 12, legend);
  return s + "</svg>\n";
}

}  // namespace nesim::svg
