#pragma once
// One DMA channel: a queue of transfers served in order. Each transfer costs the channel's
// setup, then the DRAM's latency and its share of the bus (dram.h), but no less than the channel's
// outstanding-burst windows need (dma_stream_cycles in unit_timing.h: the latency once per window
// of dma.max_outstanding bursts); the requester is told through its completion counter.
#include <systemc>

#include <deque>
#include <string>

#include "sim/engine/clock.h"
#include "sim/engine/dram.h"
#include "sim/engine/trace.h"
#include "sim/hw/hw_config.h"

namespace nesim::engine {

struct Completion {
  int pending = 0;
  sc_core::sc_event done;
};

class DmaChannel : public sc_core::sc_module {
 public:
  DmaChannel(sc_core::sc_module_name name, int index, Dram& dram, Activity& activity);
  void configure(const HwConfig& hw) { hw_ = &hw; }
  // Queues a transfer of `bytes` that occupies the DRAM bus for `busy_cycles`
  // (dma_piece_busy_cycles()); `c.pending` must already count it.
  void submit(int64_t bytes, int64_t busy_cycles, Completion& c, const std::string* label);

 private:
  struct Request {
    int64_t bytes, busy_cycles;
    Completion* completion;
    const std::string* label;
  };
  void serve();

  int index_;
  Dram& dram_;
  Activity& activity_;
  const HwConfig* hw_ = nullptr;
  std::deque<Request> queue_;
  sc_core::sc_event queued_;
};

}  // namespace nesim::engine
