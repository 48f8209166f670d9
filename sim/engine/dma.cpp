#include "sim/engine/dma.h"

#include <fmt/format.h>

#include "sim/timing/unit_timing.h"

namespace nesim::engine {

DmaChannel::DmaChannel(sc_core::sc_module_name name, int index, Dram& dram, Activity& activity)
    : sc_core::sc_module(name), index_(index), dram_(dram), activity_(activity) {
  SC_HAS_PROCESS(DmaChannel);
  SC_THREAD(serve);
}

void DmaChannel::submit(int64_t bytes, Completion& c, const std::string* label) {
  queue_.push_back({bytes, &c, label});
  queued_.notify(sc_core::SC_ZERO_TIME);
}

void DmaChannel::serve() {
  for (;;) {
    while (queue_.empty()) wait(queued_);
    Request r = queue_.front();
    queue_.pop_front();
    int64_t start = now_cycles();
    wait(cycles(hw_->dma.setup_cycles));
    int64_t arrive = dram_.reserve(now_cycles(), dram_busy_cycles(*hw_, r.bytes));
    wait(cycles(arrive - now_cycles()));
    if (activity_.tracing)
      activity_.events.push_back({fmt::format("dma{}", index_), r.label ? *r.label : std::string(),
                                  start - activity_.base_cycle, now_cycles() - start, r.bytes});
    if (--r.completion->pending == 0) r.completion->done.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace nesim::engine
