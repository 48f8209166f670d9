#include "sim/engine/dma.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/timing/unit_timing.h"

namespace nesim::engine {

DmaChannel::DmaChannel(sc_core::sc_module_name name, int index, Dram& dram, Activity& activity)
    : sc_core::sc_module(name), index_(index), dram_(dram), activity_(activity) {
  SC_HAS_PROCESS(DmaChannel);
  SC_THREAD(serve);
}

void DmaChannel::submit(int64_t bytes, int64_t busy_cycles, Completion& c, const std::string* label) {
  queue_.push_back({bytes, busy_cycles, &c, label});
  queued_.notify(sc_core::SC_ZERO_TIME);
}

void DmaChannel::serve() {
  for (;;) {
    while (queue_.empty()) wait(queued_);
    Request r = queue_.front();
    queue_.pop_front();
    int64_t start = now_cycles();
    wait(cycles(hw_->dma.setup_cycles));
    // Channels whose setups end together reach the bus in the order of their index, whatever
    // order SystemC wakes them in (it does not promise one): one delta cycle per index.
    for (int i = 0; i < index_; ++i) wait(sc_core::SC_ZERO_TIME);
    // The bus is reserved for the bytes' share of the bandwidth; the channel itself streams no
    // faster than its outstanding-burst windows allow (dma_stream_cycles).
    int64_t arrive = std::max(dram_.reserve(now_cycles(), r.busy_cycles),
                              now_cycles() + dma_stream_cycles(*hw_, r.bytes));
    wait(cycles(arrive - now_cycles()));
    if (activity_.tracing)
      activity_.events.push_back({fmt::format("dma{}", index_), r.label ? *r.label : std::string(),
                                  start - activity_.base_cycle, now_cycles() - start, r.bytes});
    if (--r.completion->pending == 0) r.completion->done.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace nesim::engine
