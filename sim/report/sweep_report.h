#pragma once
// What `nesim sweep` writes: one row per simulation of the grid, the Pareto summary of
// latency against area for each model, and the same as a self-contained HTML page.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nesim {

// One simulation of a sweep: which point of the grid it was, and its totals.
struct SweepRun {
  int model_index = 0;             // which --model file: the Pareto summary is per model file
  std::string model, hw;           // network name, hardware config name
  std::vector<std::string> values; // one per swept key (SweepTable::keys), as the user wrote it
  int64_t total_cycles = 0;
  double latency_ms = 0, energy_uj = 0;
  int64_t macs = 0, params = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  double mac_utilization = 0;
  double area_proxy = 0;           // HwConfig::area_proxy() of the configuration that ran
  // Why this point could not be simulated (e.g. a layer that does not fit SRAM); "" when it ran.
  // A failed point keeps its grid values and area_proxy, and has no totals.
  std::string error;
  bool ok() const { return error.empty(); }
};

struct SweepTable {
  std::vector<std::string> keys;   // swept hardware keys, in command-line order
  std::vector<SweepRun> runs;      // job order: model, then hw file, then keys (last fastest)
};

// The header line of sweep_csv() for these swept keys, without its newline.
std::string sweep_csv_header(const std::vector<std::string>& keys);
// The header (model, hw, <keys>, totals, area_proxy, status, error), then a row per run; a failed
// run has status "error", its message, and empty totals.
std::string sweep_csv(const SweepTable& t);
// {schema_version, keys, failed, runs: [...], pareto: [{model, runs: [indices]}]}; a failed run
// has "status": "error", "error" and null totals.
nlohmann::ordered_json sweep_json(const SweepTable& t);

// Indices of the runs of `model_index` not dominated in (area_proxy, latency_ms), both lower
// is better, sorted by area; failed runs are left out. Of several identical points only the
// first in job order is kept.
std::vector<size_t> pareto_front(const std::vector<SweepRun>& runs, int model_index);
// The per-model Pareto fronts as a readable table.
std::string pareto_summary(const SweepTable& t);
// A self-contained HTML page (inline SVG and CSS, no scripts or network): per model, latency
// against area_proxy of every run with the front highlighted, and a table of the front.
std::string sweep_html(const SweepTable& t);

}  // namespace nesim
