#include "sim/report/sweep_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/report/result_writers.h"
#include "sim/report/svg_plot.h"
#include "sim/util/text.h"

namespace nesim {

using ojson = nlohmann::ordered_json;

namespace {

// "hw pf=8 sram.kib=256": which point of the grid a run was.
std::string run_label(const SweepTable& t, const SweepRun& r) {
  std::string s = r.hw;
  for (size_t k = 0; k < t.keys.size() && k < r.values.size(); ++k) s += fmt::format(" {}={}", t.keys[k], r.values[k]);
  return s;
}

std::vector<int> model_indices(const std::vector<SweepRun>& runs) {
  std::vector<int> models;
  for (const SweepRun& r : runs)
    if (std::find(models.begin(), models.end(), r.model_index) == models.end())
      models.push_back(r.model_index);
  return models;
}

const std::string& model_name(const std::vector<SweepRun>& runs, int model_index) {
  return std::find_if(runs.begin(), runs.end(), [&](const SweepRun& r) { return r.model_index == model_index; })->model;
}

}  // namespace

std::string sweep_csv_header(const std::vector<std::string>& keys) {
  std::string out = "model,hw";
  for (const std::string& k : keys) out += "," + csv_field(k);
  return out +
         ",total_cycles,latency_ms,energy_uj,macs,params,dram_read_bytes,dram_write_bytes,"
         "mac_utilization,area_proxy,status,error";
}

std::string sweep_csv(const SweepTable& t) {
  std::string out = sweep_csv_header(t.keys) + "\n";
  for (const SweepRun& r : t.runs) {
    out += csv_field(r.model) + "," + csv_field(r.hw);
    for (const std::string& v : r.values) out += "," + csv_field(v);
    if (r.ok())
      out += fmt::format(",{},{},{},{},{},{},{},{}", r.total_cycles, format_number(r.latency_ms),
                         format_number(r.energy_uj), r.macs, r.params, r.dram_read_bytes,
                         r.dram_write_bytes, format_number(r.mac_utilization));
    else
      out += ",,,,,,,,";
    out += fmt::format(",{},{},{}\n", format_number(r.area_proxy), r.ok() ? "ok" : "error", csv_field(r.error));
  }
  return out;
}

ojson sweep_json(const SweepTable& t) {
  ojson runs = ojson::array();
  size_t failed = 0;
  for (const SweepRun& r : t.runs) {
    ojson set = ojson::object();
    for (size_t k = 0; k < t.keys.size() && k < r.values.size(); ++k) set[t.keys[k]] = r.values[k];
    ojson run = {{"model", r.model}, {"hw", r.hw}, {"set", std::move(set)}, {"status", r.ok() ? "ok" : "error"}};
    if (!r.ok()) {
      ++failed;
      run["error"] = r.error;
    }
    const auto total = [&](const char* key, const ojson& value) { run[key] = r.ok() ? value : ojson(nullptr); };
    total("total_cycles", r.total_cycles);
    total("latency_ms", r.latency_ms);
    total("energy_uj", r.energy_uj);
    total("macs", r.macs);
    total("params", r.params);
    total("dram_read_bytes", r.dram_read_bytes);
    total("dram_write_bytes", r.dram_write_bytes);
    total("mac_utilization", r.mac_utilization);
    run["area_proxy"] = r.area_proxy;
    runs.push_back(std::move(run));
  }
  ojson pareto = ojson::array();
  for (int m : model_indices(t.runs)) pareto.push_back({{"model", model_name(t.runs, m)}, {"runs", pareto_front(t.runs, m)}});
  return ojson{{"schema_version", kSchemaVersion}, {"keys", t.keys}, {"failed", failed},
               {"runs", std::move(runs)}, {"pareto", std::move(pareto)}};
}

std::vector<size_t> pareto_front(const std::vector<SweepRun>& runs, int model_index) {
  std::vector<size_t> order;
  for (size_t i = 0; i < runs.size(); ++i)
    if (runs[i].model_index == model_index && runs[i].ok()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (runs[a].area_proxy != runs[b].area_proxy) return runs[a].area_proxy < runs[b].area_proxy;
    return runs[a].latency_ms < runs[b].latency_ms;
  });
  // Walking by increasing area, a point is on the front iff it is faster than all before it.
  std::vector<size_t> front;
  for (size_t i : order)
    if (front.empty() || runs[i].latency_ms < runs[front.back()].latency_ms) front.push_back(i);
  return front;
}

std::string pareto_summary(const SweepTable& t) {
  std::string out;
  for (int m : model_indices(t.runs)) {
    std::vector<size_t> front = pareto_front(t.runs, m);
    size_t points = std::count_if(t.runs.begin(), t.runs.end(),
                                  [&](const SweepRun& r) { return r.model_index == m; });
    size_t failed = std::count_if(t.runs.begin(), t.runs.end(),
                                  [&](const SweepRun& r) { return r.model_index == m && !r.ok(); });
    out += fmt::format("Pareto front for {} (latency vs area proxy): {} of {} points{}\n", model_name(t.runs, m),
                       front.size(), points, failed ? fmt::format(" ({} failed)", failed) : "");
    if (front.empty()) continue;
    std::vector<std::string> header = {"area_proxy", "latency_ms", "energy_uj", "mac_util", "hw"};
    header.insert(header.end(), t.keys.begin(), t.keys.end());
    std::vector<std::vector<std::string>> rows = {header};
    for (size_t i : front) {
      const SweepRun& r = t.runs[i];
      std::vector<std::string> row = {fmt::format("{:.1f}", r.area_proxy),
                                      fmt::format("{:.4f}", r.latency_ms),
                                      fmt::format("{:.3f}", r.energy_uj),
                                      fmt::format("{:.1f}%", 100.0 * r.mac_utilization), r.hw};
      row.insert(row.end(), r.values.begin(), r.values.end());
      rows.push_back(std::move(row));
    }
    std::vector<size_t> width(header.size(), 0);
    for (const auto& row : rows)
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    for (const auto& row : rows) {
      std::string line = " ";
      for (size_t c = 0; c < row.size(); ++c) {
        bool numeric = c < 4;  // right-align the numbers, left-align names and values
        line += numeric ? fmt::format("  {:>{}}", row[c], width[c]) : fmt::format("  {:<{}}", row[c], width[c]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  return out;
}

std::string sweep_html(const SweepTable& t) {
  std::string h =
      "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>nesim sweep</title>\n"
      "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
      "th{background:#f4f4f4}td.l{text-align:left}</style></head><body>\n<h1>nesim sweep</h1>\n";
  std::string keys;
  for (const std::string& k : t.keys) keys += (keys.empty() ? "" : ", ") + ("<code>" + text::markup_escape(k) + "</code>");
  h += fmt::format("<p>{} runs; swept keys: {}. A run is on the Pareto front when no other run of the same model "
                   "is both smaller (area_proxy) and faster (latency).</p>\n",
                   t.runs.size(), keys.empty() ? "none" : keys);
  for (int m : model_indices(t.runs)) {
    const std::vector<size_t> front = pareto_front(t.runs, m);
    svg::ScatterPlot p;
    p.x_label = "area proxy (MACs + SRAM KiB)";
    p.y_label = "latency (ms)";
    p.cloud = {{"run", "#9ab", {}}};
    p.front = {"Pareto front", "#d33", {}};
    size_t points = 0;
    for (const SweepRun& r : t.runs)
      if (r.model_index == m) {
        p.cloud[0].points.push_back({r.area_proxy, r.latency_ms, run_label(t, r)});
        ++points;
      }
    for (size_t i : front) p.front.points.push_back({t.runs[i].area_proxy, t.runs[i].latency_ms, run_label(t, t.runs[i])});
    h += fmt::format("<h2>{}</h2>\n<p>{} of {} runs on the front.</p>\n", text::markup_escape(t.runs[front.front()].model),
                     front.size(), points);
    h += svg::scatter_svg(p);
    h += "<table><tr><th>area_proxy</th><th>latency ms</th><th>energy uJ</th><th>MAC utilisation</th><th>hw</th>";
    for (const std::string& k : t.keys) h += "<th>" + text::markup_escape(k) + "</th>";
    h += "</tr>\n";
    for (size_t i : front) {
      const SweepRun& r = t.runs[i];
      h += fmt::format("<tr><td>{:.1f}</td><td>{:.4f}</td><td>{:.3f}</td><td>{:.1f} %</td><td class='l'>{}</td>", r.area_proxy,
                       r.latency_ms, r.energy_uj, 100.0 * r.mac_utilization, text::markup_escape(r.hw));
      for (const std::string& v : r.values) h += "<td class='l'>" + text::markup_escape(v) + "</td>";
      h += "</tr>\n";
    }
    h += "</table>\n";
  }
  return h + "</body></html>\n";
}

}  // namespace nesim
