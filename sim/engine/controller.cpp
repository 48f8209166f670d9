#include "sim/engine/controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/timing/unit_timing.h"

namespace nesim::engine {

using sc_core::SC_ZERO_TIME;

Controller::Controller(sc_core::sc_module_name name, Activity& activity)
    : sc_core::sc_module(name),
      activity_(activity),
      mac_array_("mac_array", activity),
      depthwise_("depthwise", activity),
      vector_("vector", activity) {
  for (int i = 0; i < kMaxDmaChannels; ++i)
    channels_.push_back(std::make_unique<DmaChannel>(fmt::format("dma{}", i).c_str(), i, dram_, activity));
  SC_HAS_PROCESS(Controller);
  SC_THREAD(loader);
  SC_THREAD(computer);
  SC_THREAD(finisher);
  SC_THREAD(storer);
}

void Controller::launch(const Program& program) {
  program_ = &program;
  const HwConfig& hw = program.hw;
  dram_.configure(hw.dram_latency_cycles());
  dram_.reset(now_cycles());
  for (auto& ch : channels_) ch->configure(hw);
  mac_array_.configure(hw);
  depthwise_.configure(hw);
  vector_.configure(hw);
  tiles_.clear();
  first_tile_.clear();
  for (size_t k = 0; k < program.kernels.size(); ++k) {
    first_tile_.push_back(tiles_.size());
    for (const Tile& t : program.kernels[k].tiles) tiles_.push_back({static_cast<int>(k), &t});
  }
  spans_.assign(program.kernels.size(), {});
  issued_ = headed_ = tailed_ = computed_ = stored_ = 0;
  port_end_.assign(tiles_.size(), 0);
  next_channel_ = 0;
  load_done_[0].pending = load_done_[1].pending = store_done_.pending = 0;
  start_.notify(SC_ZERO_TIME);
}

void Controller::dma(int64_t bytes, Completion& c, const std::string* label) {
  const HwConfig& hw = program_->hw;
  const int pieces = dma_pieces(hw, bytes);
  for (int i = 0; i < pieces; ++i) {
    ++c.pending;
    channels_[next_channel_]->submit(dma_piece_bytes(hw, bytes, pieces, i),
                                     dma_piece_busy_cycles(hw, bytes, pieces, i), c, label);
    next_channel_ = (next_channel_ + 1) % hw.dma.channels;
  }
}

ComputeUnit& Controller::unit_for(Unit u) {
  switch (u) {
    case Unit::MacArray: return mac_array_;
    case Unit::Depthwise: return depthwise_;
    case Unit::Vector: break;
  }
  return vector_;
}

void Controller::loader() {
  for (;;) {
    wait(start_);
    const auto& kernels = program_->kernels;
    for (size_t k = 0; k < kernels.size(); ++k) {
      size_t first = first_tile_[k], n = kernels[k].tiles.size();
      while (stored_ < first) wait(stored_ev_);
      // Every channel is idle now; each kernel's transfers take the channels in turn from the
      // first, as the replay of a kernel on an idle engine does (channels reach the bus in index
      // order, so where a kernel starts in the turn would change its cycles).
      next_channel_ = 0;
      spans_[k].start_cycle = spans_[k].end_cycle = now_cycles() - activity_.base_cycle;
      for (size_t g = first; g < first + n; ++g) {
        if (computed_ + 2 <= g) {  // both input buffers busy
          while (computed_ + 2 <= g) wait(computed_ev_);
          // The storer, woken by the same tile, submits its store first (one delta cycle), so
          // that the channels' turns do not depend on the order SystemC runs the two threads in.
          wait(SC_ZERO_TIME);
        }
        const Tile& t = *tiles_[g].tile;
        dma(t.load_ifmap_bytes, load_done_[g % 2], &kernels[k].name);
        dma(t.load_weight_bytes, load_done_[g % 2], &kernels[k].name);
        issued_ = g + 1;
        issued_ev_.notify(SC_ZERO_TIME);
      }
    }
  }
}

void Controller::computer() {
  for (;;) {
    wait(start_);
    for (size_t g = 0; g < tiles_.size(); ++g) {
      const Completion& loads = load_done_[g % 2];
      while (issued_ <= g || loads.pending > 0) wait(issued_ev_ | load_done_[0].done | load_done_[1].done);
      while (stored_ + 2 <= g) wait(stored_ev_);  // both output buffers still draining
      const std::string& label = kernel_name(g);
      const Tile& t = *tiles_[g].tile;
      const int64_t head_start = now_cycles();
      port_end_[g] = std::max(g > 0 ? port_end_[g - 1] : 0, head_start) + tile_port_cycles(program_->hw, t);
      const size_t tail_begin = tile_tail_begin(t);
      for (size_t i = 0; i < tail_begin; ++i) {
        // A vector step of the head waits for the vector unit to finish the tile before.
        if (t.steps[i].unit == Unit::Vector)
          while (tailed_ < g) wait(tailed_ev_);
        unit_for(t.steps[i].unit).execute(t.steps[i], label);
      }
      headed_ = g + 1;
      headed_ev_.notify(SC_ZERO_TIME);
    }
  }
}

void Controller::finisher() {
  for (;;) {
    wait(start_);
    for (size_t g = 0; g < tiles_.size(); ++g) {
      while (headed_ <= g) wait(headed_ev_);
      const std::string& label = kernel_name(g);
      const Tile& t = *tiles_[g].tile;
      for (size_t i = tile_tail_begin(t); i < t.steps.size(); ++i) vector_.execute(t.steps[i], label);
      tailed_ = g + 1;
      tailed_ev_.notify(SC_ZERO_TIME);
      // The SRAM port also carries the tile's DMA fills and drains: the time it lacks is a stall.
      if (int64_t port_stall = port_end_[g] - now_cycles(); port_stall > 0) wait(cycles(port_stall));
      computed_ = g + 1;
      computed_ev_.notify(SC_ZERO_TIME);
    }
  }
}

void Controller::storer() {
  for (;;) {
    wait(start_);
    for (size_t g = 0; g < tiles_.size(); ++g) {
      while (computed_ <= g) wait(computed_ev_);
      int k = tiles_[g].kernel;
      dma(tiles_[g].tile->store_bytes, store_done_, &kernel_name(g));
      while (store_done_.pending > 0) wait(store_done_.done);
      stored_ = g + 1;
      spans_[static_cast<size_t>(k)].end_cycle = now_cycles() - activity_.base_cycle;
      stored_ev_.notify(SC_ZERO_TIME);
    }
  }
}

}  // namespace nesim::engine
