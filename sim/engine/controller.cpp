#include "sim/engine/controller.h"

#include <fmt/format.h>

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
  loaded_ = computed_ = stored_ = 0;
  next_channel_ = 0;
  load_done_.pending = store_done_.pending = 0;
  start_.notify(SC_ZERO_TIME);
}

void Controller::dma(int64_t bytes, Completion& c, const std::string* label) {
  if (bytes <= 0) return;
  ++c.pending;
  channels_[next_channel_]->submit(bytes, c, label);
  next_channel_ = (next_channel_ + 1) % program_->hw.dma.channels;
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
      spans_[k].start_cycle = spans_[k].end_cycle = now_cycles() - activity_.base_cycle;
      for (size_t g = first; g < first + n; ++g) {
        while (computed_ + 2 <= g) wait(computed_ev_);  // both input buffers busy
        const Tile& t = *tiles_[g].tile;
        dma(t.load_ifmap_bytes, load_done_, &kernels[k].name);
        dma(t.load_weight_bytes, load_done_, &kernels[k].name);
        while (load_done_.pending > 0) wait(load_done_.done);
        loaded_ = g + 1;
        loaded_ev_.notify(SC_ZERO_TIME);
      }
    }
  }
}

void Controller::computer() {
  for (;;) {
    wait(start_);
    for (size_t g = 0; g < tiles_.size(); ++g) {
      while (loaded_ <= g) wait(loaded_ev_);
      while (stored_ + 2 <= g) wait(stored_ev_);  // both output buffers still draining
      const std::string& label = program_->kernels[static_cast<size_t>(tiles_[g].kernel)].name;
      for (const ComputeStep& s : tiles_[g].tile->steps) unit_for(s.unit).execute(s, label);
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
      dma(tiles_[g].tile->store_bytes, store_done_, &program_->kernels[static_cast<size_t>(k)].name);
      while (store_done_.pending > 0) wait(store_done_.done);
      stored_ = g + 1;
      spans_[static_cast<size_t>(k)].end_cycle = now_cycles() - activity_.base_cycle;
      stored_ev_.notify(SC_ZERO_TIME);
    }
  }
}

}  // namespace nesim::engine
