#pragma once
// What a simulation produces: one record per original layer, totals, and an optional timeline.
// Writers in this folder turn these into the CSV / JSON / Perfetto files of the output contract.
#include <cstdint>
#include <string>
#include <vector>

namespace nesim {

struct LayerRecord {
  std::string name, op, kernel, unit;
  int64_t start_cycle = 0, end_cycle = 0;
  int64_t total_cycles = 0;      // end - start
  int64_t compute_cycles = 0;    // cycles its unit was busy on this layer's steps
  int64_t stall_cycles = 0;      // total - compute: waiting on DMA / pipeline
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t sram_peak_bytes = 0;
  int64_t macs = 0, params = 0;
  double mac_utilization = 0;    // macs / (total_cycles * HwConfig::peak_macs_per_cycle()): MAC array + dedicated depthwise unit
  double energy_pj = 0;
  // SRAM bytes the units moved for this layer, by operand (sim/timing/sram_traffic.h); DMA fills
  // and drains are not in these (they are dram_read_bytes / dram_write_bytes).
  int64_t sram_input_bytes = 0, sram_weight_bytes = 0, sram_psum_bytes = 0, sram_output_bytes = 0;
};

struct TraceEvent {
  std::string track;             // "dma0", "dma1", "mac_array", "vector", "depthwise"
  std::string name;              // kernel or layer name
  int64_t start_cycle = 0, dur_cycles = 0;
  int64_t bytes = 0;             // for DMA events
};

struct SimResult {
  std::string model, hw;
  double clock_mhz = 0;
  int64_t total_cycles = 0;
  int64_t batch = 1;                // images in the run: cycles, MACs, traffic and energy cover all of them
  double latency_ms = 0, energy_uj = 0;
  int64_t macs = 0, params = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  double mac_utilization = 0;
  std::vector<LayerRecord> layers;  // execution order
  std::vector<TraceEvent> trace;    // filled only when tracing was asked for
};

}  // namespace nesim
