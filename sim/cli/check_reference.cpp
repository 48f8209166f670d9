#include "sim/cli/check_reference.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "sim/cli/cli_util.h"
#include "sim/engine/engine.h"
#include "sim/util/error.h"
#include "sim/util/text.h"
#include "sim/util/input_file.h"

namespace nesim::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kHeader = "model,hw,layer,measured_ms";

struct Row {
  int line = 0;
  std::string model, hw, layer;  // layer "": the whole network
  double measured_ms = 0, simulated_ms = 0;
};

// A relative path is tried as given, then next to the reference file.
std::string resolve(const std::string& path, const fs::path& csv_dir) {
  if (fs::path(path).is_absolute() || fs::exists(path)) return path;
  return (csv_dir / path).string();
}

}  // namespace

ReferenceCheck check_reference(const std::string& csv_path, double tolerance_pct, std::FILE* human) {
  std::istringstream in(read_input_file(csv_path, "the --reference table"));
  fs::path dir = fs::path(csv_path).parent_path();
  std::vector<Row> rows;
  std::string line;
  bool header = false;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line != kHeader) throw input_error("{}:{}: expected the header '{}', got '{}'", csv_path, lineno, kHeader, line);
      header = true;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (line.back() == ',') cells.emplace_back();
    if (cells.size() != 4) throw input_error("{}:{}: expected 4 columns ({}), got {}", csv_path, lineno, kHeader, cells.size());
    std::optional<double> ms = text::parse_number(cells[3]);
    if (!ms || *ms <= 0)
      throw input_error("{}:{}: measured_ms: expected a positive number, got '{}'", csv_path, lineno, cells[3]);
    rows.push_back({lineno, resolve(cells[0], dir), resolve(cells[1], dir), cells[2], *ms, 0});
  }
  if (rows.empty()) throw input_error("{}: no measurements (header '{}', then one row per model or layer)", csv_path, kHeader);

  std::map<std::pair<std::string, std::string>, SimResult> runs;
  for (Row& r : rows) {
    auto key = std::make_pair(r.model, r.hw);
    if (!runs.count(key)) {
      try {
        runs[key] = simulate(read_model(r.model), read_hw(r.hw));
      } catch (const InputError& e) {
        throw input_error("{}:{}: {}", csv_path, r.line, e.what());
      }
    }
    const SimResult& sim = runs[key];
    if (r.layer.empty()) {
      r.simulated_ms = sim.latency_ms;
      continue;
    }
    auto it = std::find_if(sim.layers.begin(), sim.layers.end(), [&](const LayerRecord& l) { return l.name == r.layer; });
    if (it == sim.layers.end()) {
      std::vector<std::string> names;
      for (const LayerRecord& l : sim.layers) names.push_back(l.name);
      std::string near = text::nearest(r.layer, names);
      throw input_error("{}:{}: layer '{}' is not in {}{}", csv_path, r.line, r.layer, r.model,
                        near.empty() ? "" : " (nearest: '" + near + "')");
    }
    r.simulated_ms = static_cast<double>(it->total_cycles) / (sim.clock_mhz * 1e3);
  }
  double ape = 0;
  for (const Row& r : rows) ape += std::abs(r.simulated_ms - r.measured_ms) / r.measured_ms;
  double mape = 100 * ape / static_cast<double>(rows.size());
  bool ok = mape <= tolerance_pct;
  fmt::print(human, "reference {}  {} measurements: MAPE {:.2f}% (tolerance {}%)\n", ok ? "ok     " : "FAILED ", rows.size(), mape,
             tolerance_pct);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::abs(a.simulated_ms / a.measured_ms - 1) > std::abs(b.simulated_ms / b.measured_ms - 1);
  });
  for (size_t i = 0; i < std::min<size_t>(5, rows.size()); ++i) {
    const Row& r = rows[i];
    fmt::print(human, "  worst {}: {} on {}{}: simulated {:.4f} ms, measured {:.4f} ms ({:+.1f}%)\n", i + 1,
               text::file_stem(r.model), text::file_stem(r.hw), r.layer.empty() ? "" : " layer " + r.layer,
               r.simulated_ms, r.measured_ms, 100 * (r.simulated_ms / r.measured_ms - 1));
  }
  return {ok, mape, rows.size()};
}

}  // namespace nesim::cli
