#pragma once
// DRAM seen from the DMA engines: one shared data bus of fixed bandwidth behind a fixed
// first-byte latency. Transfers reserve the bus first come, first served, so concurrent
// channels overlap their setup and latency but share the bandwidth.
#include <algorithm>
#include <cstdint>

namespace nesim::engine {

class Dram {
 public:
  void configure(int64_t latency_cycles) { latency_cycles_ = latency_cycles; }
  void reset(int64_t now_cycle) { bus_free_cycle_ = now_cycle; }
  // A transfer issued at `now_cycle` that occupies the bus for `busy_cycles`: returns the cycle
  // its last byte arrives.
  int64_t reserve(int64_t now_cycle, int64_t busy_cycles) {
    int64_t start = std::max(now_cycle + latency_cycles_, bus_free_cycle_);
    bus_free_cycle_ = start + busy_cycles;
    return bus_free_cycle_;
  }

 private:
  int64_t latency_cycles_ = 0;
  int64_t bus_free_cycle_ = 0;
};

}  // namespace nesim::engine
