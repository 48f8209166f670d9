#pragma once
// Where modules report what they did. Counters are always kept (they make the per-layer
// records); timeline events only when tracing was asked for.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/report/records.h"
#include "sim/timing/sram_traffic.h"

namespace nesim::engine {

struct Activity {
  bool tracing = false;
  int64_t base_cycle = 0;                 // engine time when the run started
  std::vector<int64_t> compute_cycles;    // per network layer, every unit
  std::vector<int64_t> array_cycles;      // per network layer, the MAC array and depthwise unit only
  std::vector<int64_t> executed_macs;     // per network layer, halo recompute included
  std::vector<int64_t> vector_ops;        // per network layer
  std::vector<SramTraffic> sram;          // per network layer: the units' SRAM accesses
  std::vector<TraceEvent> events;

  void reset(size_t layers, int64_t base) {
    base_cycle = base;
    compute_cycles.assign(layers, 0);
    array_cycles.assign(layers, 0);
    executed_macs.assign(layers, 0);
    vector_ops.assign(layers, 0);
    sram.assign(layers, SramTraffic{});
    events.clear();
  }
};

}  // namespace nesim::engine
