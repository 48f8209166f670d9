#include "sim/report/result_writers.h"
#include "sim/util/json_text.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace nesim {

using ojson = nlohmann::ordered_json;

std::string format_number(double v) { return fmt::format("{}", v); }

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string group_digits(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (v < 0) out.insert(out.begin(), '-');
  return out;
}

bool is_legacy_schema_line(std::string_view line, std::string_view kind) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line == fmt::format("# nesim-{} schema_version=1", kind);
}

std::string layers_csv_header() {
  return "model,hw,name,op,kernel,unit,start_cycle,end_cycle,total_cycles,compute_cycles,"
         "stall_cycles,dram_read_bytes,dram_write_bytes,sram_peak_bytes,mac_utilization,energy_pj,"
         "macs,params,sram_input_bytes,sram_weight_bytes,sram_psum_bytes,sram_output_bytes";
}

std::string layers_csv(const SimResult& r) {
  std::string out = layers_csv_header() + "\n";
  for (const LayerRecord& l : r.layers) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(r.model),
                       csv_field(r.hw), csv_field(l.name), csv_field(l.op), csv_field(l.kernel),
                       csv_field(l.unit), l.start_cycle, l.end_cycle, l.total_cycles,
                       l.compute_cycles, l.stall_cycles, l.dram_read_bytes, l.dram_write_bytes,
                       l.sram_peak_bytes, format_number(l.mac_utilization),
                       format_number(l.energy_pj), l.macs, l.params, l.sram_input_bytes,
                       l.sram_weight_bytes, l.sram_psum_bytes, l.sram_output_bytes);
  }
  return out;
}

ojson result_json(const SimResult& r, const std::vector<std::pair<std::string, std::string>>& hw_set) {
  ojson j;
  j["schema_version"] = kSchemaVersion;
  j["model"] = r.model;
  j["hw"] = r.hw;
  if (!hw_set.empty()) {
    ojson set = ojson::object();
    for (const auto& [key, value] : hw_set) set[key] = value;
    j["set"] = std::move(set);
  }
  j["clock_mhz"] = r.clock_mhz;
  j["total_cycles"] = r.total_cycles;
  j["latency_ms"] = r.latency_ms;
  if (r.batch > 1) {
    j["batch"] = r.batch;
    j["images_per_s"] = static_cast<double>(r.batch) * 1e3 / r.latency_ms;
  }
  j["energy_uj"] = r.energy_uj;
  j["macs"] = r.macs;
  j["params"] = r.params;
  j["dram_read_bytes"] = r.dram_read_bytes;
  j["dram_write_bytes"] = r.dram_write_bytes;
  j["mac_utilization"] = r.mac_utilization;
  ojson layers = ojson::array();
  for (const LayerRecord& l : r.layers) {
    layers.push_back({{"name", l.name},
                      {"op", l.op},
                      {"kernel", l.kernel},
                      {"unit", l.unit},
                      {"start_cycle", l.start_cycle},
                      {"end_cycle", l.end_cycle},
                      {"total_cycles", l.total_cycles},
                      {"compute_cycles", l.compute_cycles},
                      {"stall_cycles", l.stall_cycles},
                      {"dram_read_bytes", l.dram_read_bytes},
                      {"dram_write_bytes", l.dram_write_bytes},
                      {"sram_peak_bytes", l.sram_peak_bytes},
                      {"mac_utilization", l.mac_utilization},
                      {"energy_pj", l.energy_pj},
                      {"macs", l.macs},
                      {"params", l.params},
                      {"sram_input_bytes", l.sram_input_bytes},
                      {"sram_weight_bytes", l.sram_weight_bytes},
                      {"sram_psum_bytes", l.sram_psum_bytes},
                      {"sram_output_bytes", l.sram_output_bytes}});
  }
  j["layers"] = std::move(layers);
  return j;
}

namespace {

// Tracks in the order an architect reads them: DMA channels by number, then the compute units.
int track_rank(const std::string& track, int64_t* dma_channel) {
  if (track.size() > 3 && track.compare(0, 3, "dma") == 0 &&
      std::all_of(track.begin() + 3, track.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    *dma_channel = std::stoll(track.substr(3));
    return 0;
  }
  *dma_channel = 0;
  if (track == "mac_array") return 1;
  if (track == "depthwise") return 2;
  if (track == "vector") return 3;
  return 4;
}

std::vector<std::string> ordered_tracks(const std::vector<TraceEvent>& events) {
  std::vector<std::string> tracks;
  for (const TraceEvent& e : events)
    if (std::find(tracks.begin(), tracks.end(), e.track) == tracks.end()) tracks.push_back(e.track);
  std::sort(tracks.begin(), tracks.end(), [](const std::string& a, const std::string& b) {
    int64_t ca = 0, cb = 0;
    int ra = track_rank(a, &ca), rb = track_rank(b, &cb);
    if (ra != rb) return ra < rb;
    if (ca != cb) return ca < cb;
    return a < b;
  });
  return tracks;
}

// Trace times are whole steps of 2^-10 us (0.977 ns). Such numbers and their sums are exact in
// binary floating point, so a viewer that adds ts + dur in doubles (DevTools does) lands exactly
// on the next slice's ts; with decimal nanoseconds about one back-to-back pair in eight overlapped.
constexpr int64_t kTraceStepsPerUs = 1024;

// Cycle -> step is one rounding of a monotone function, so slices that do not overlap in cycles
// never overlap in steps; a slice's end and its successor's start round from the same cycle.
int64_t trace_steps(int64_t cycle, double mhz) {
  return std::llround(static_cast<long double>(cycle) * kTraceStepsPerUs / mhz);
}

// Steps as exact decimal microseconds, formatted from integers: 290625 -> "283.8134765625".
std::string trace_us(int64_t steps) {
  constexpr int64_t kPicoUsPerStep = 9765625;  // 10^10 / 1024
  std::string out = steps < 0 ? "-" : "";
  uint64_t magnitude = steps < 0 ? 0 - static_cast<uint64_t>(steps) : static_cast<uint64_t>(steps);
  out += std::to_string(magnitude / kTraceStepsPerUs);
  uint64_t frac = magnitude % kTraceStepsPerUs;
  if (frac == 0) return out;
  std::string digits = fmt::format("{:010}", frac * kPicoUsPerStep);
  return out + "." + digits.substr(0, digits.find_last_not_of('0') + 1);
}

}  // namespace

std::string trace_json(const SimResult& r) {
  constexpr int kPid = 1;
  const double mhz = r.clock_mhz > 0 ? r.clock_mhz : 1.0;  // cycles per microsecond
  std::vector<std::string> tracks = ordered_tracks(r.trace);
  std::map<std::string, int> tid;
  std::vector<std::string> events;
  events.push_back(ojson{{"name", "process_name"}, {"ph", "M"}, {"pid", kPid}, {"tid", 0},
                         {"args", {{"name", fmt::format("nesim: {} on {}", r.model, r.hw)}}}}
                       .dump(-1, ' ', false, ojson::error_handler_t::replace));
  for (size_t i = 0; i < tracks.size(); ++i) {
    tid[tracks[i]] = static_cast<int>(i) + 1;
    events.push_back(ojson{{"name", "thread_name"}, {"ph", "M"}, {"pid", kPid},
                           {"tid", tid[tracks[i]]}, {"args", {{"name", tracks[i]}}}}
                         .dump(-1, ' ', false, ojson::error_handler_t::replace));
    events.push_back(ojson{{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", kPid},
                           {"tid", tid[tracks[i]]}, {"args", {{"sort_index", i}}}}
                         .dump(-1, ' ', false, ojson::error_handler_t::replace));
  }
  for (const TraceEvent& e : r.trace) {
    bool dma = e.track.compare(0, 3, "dma") == 0;
    ojson args = {{"layer", e.name}};
    if (dma || e.bytes != 0) args["bytes"] = e.bytes;
    args["start_cycle"] = e.start_cycle;
    args["dur_cycles"] = e.dur_cycles;
    int64_t start = trace_steps(e.start_cycle, mhz), end = trace_steps(e.start_cycle + e.dur_cycles, mhz);
    events.push_back(fmt::format(R"({{"name":{},"cat":"{}","ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{}}})",
                                 json_text(ojson(e.name)), dma ? "dma" : "compute", kPid, tid[e.track],
                                 trace_us(start), trace_us(end - start), json_text(args)));
  }
  // One event per line keeps large traces diffable; the whole is still one JSON object.
  std::string out = "{\"traceEvents\":[\n";
  for (size_t i = 0; i < events.size(); ++i) out += events[i] + (i + 1 < events.size() ? ",\n" : "\n");
  out += "],\"displayTimeUnit\":\"ns\"}\n";
  return out;
}

std::string result_table(const SimResult& r) {
  size_t name_w = 5, op_w = 2, kernel_w = 6;
  for (const LayerRecord& l : r.layers) {
    name_w = std::max(name_w, l.name.size());
    op_w = std::max(op_w, l.op.size());
    kernel_w = std::max(kernel_w, l.kernel.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>12}  {:>12}  {:>12}  {:>6}  {:>10}  {:>10}\n",
                                "layer", name_w, "op", op_w, "kernel", kernel_w, "cycles",
                                "compute", "stall", "util %", "DRAM KiB", "energy uJ");
  for (const LayerRecord& l : r.layers) {
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>12}  {:>12}  {:>12}  {:>6.1f}  {:>10.1f}  {:>10.3f}\n",
                       l.name, name_w, l.op, op_w, l.kernel, kernel_w, group_digits(l.total_cycles),
                       group_digits(l.compute_cycles), group_digits(l.stall_cycles),
                       100.0 * l.mac_utilization,
                       static_cast<double>(l.dram_read_bytes + l.dram_write_bytes) / 1024.0,
                       l.energy_pj * 1e-6);
  }
  out += "\n";
  out += fmt::format("model          {} on {} ({} MHz)\n", r.model, r.hw, format_number(r.clock_mhz));
  out += fmt::format("layers         {}\n", r.layers.size());
  out += fmt::format("cycles         {}\n", group_digits(r.total_cycles));
  out += fmt::format("latency        {:.4f} ms\n", r.latency_ms);
  if (r.batch > 1)
    out += fmt::format("batch          {} images: {:.4f} ms per image, {:.1f} images/s\n", r.batch,
                       r.latency_ms / static_cast<double>(r.batch), static_cast<double>(r.batch) * 1e3 / r.latency_ms);
  out += fmt::format("energy         {:.3f} µJ\n", r.energy_uj);
  out += fmt::format("MACs           {}\n", group_digits(r.macs));
  out += fmt::format("params         {}\n", group_digits(r.params));
  out += fmt::format("DRAM read      {} bytes ({:.1f} KiB)\n", group_digits(r.dram_read_bytes),
                     static_cast<double>(r.dram_read_bytes) / 1024.0);
  out += fmt::format("DRAM write     {} bytes ({:.1f} KiB)\n", group_digits(r.dram_write_bytes),
                     static_cast<double>(r.dram_write_bytes) / 1024.0);
  out += fmt::format("MAC util       {:.1f} %\n", 100.0 * r.mac_utilization);
  return out;
}

}  // namespace nesim
