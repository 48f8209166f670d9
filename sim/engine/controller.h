#pragma once
// The controller walks the compiled program's tiles through a three-stage pipeline with double
// buffering: the loader issues a tile's loads as soon as one of the two input buffers is free
// (tile i-2 has computed), without waiting for the previous tile's loads to arrive, so up to two
// tiles' transfers are in flight; the computer runs tile i's head once its loads have arrived and
// tile i-2 is stored; the finisher runs its tail on the vector unit while the computer goes on to
// tile i+1, and holds the tile until the SRAM port has carried its bytes (tile_stages() in
// unit_timing.h); the storer stores each computed tile. A transfer longer than one outstanding-
// burst window is split over the channels (dma_pieces in unit_timing.h). A kernel's first load
// waits until every earlier tile is stored (its input is the previous kernels' output).
#include <systemc>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sim/compiler/program.h"
#include "sim/engine/compute_unit.h"
#include "sim/engine/dma.h"

namespace nesim::engine {

constexpr int kMaxDmaChannels = 16;

struct KernelSpan {
  int64_t start_cycle = 0, end_cycle = 0;
};

class Controller : public sc_core::sc_module {
 public:
  Controller(sc_core::sc_module_name name, Activity& activity);
  // Starts a program at the next delta cycle; sc_start() then runs it to the end.
  void launch(const Program& program);
  const std::vector<KernelSpan>& spans() const { return spans_; }

 private:
  struct TileRef {
    int kernel;
    const Tile* tile;
  };
  void loader();
  void computer();
  void finisher();
  void storer();
  void dma(int64_t bytes, Completion& c, const std::string* label);
  ComputeUnit& unit_for(Unit u);
  const std::string& kernel_name(size_t tile) const {  // of the kernel tile `tile` belongs to
    return program_->kernels[static_cast<size_t>(tiles_[tile].kernel)].name;
  }

  Activity& activity_;
  Dram dram_;
  std::vector<std::unique_ptr<DmaChannel>> channels_;
  ComputeUnit mac_array_, depthwise_, vector_;

  const Program* program_ = nullptr;
  std::vector<TileRef> tiles_;
  std::vector<size_t> first_tile_;  // per kernel
  std::vector<KernelSpan> spans_;
  // Tiles whose loads are issued, whose heads have run, whose tails have run, computed, stored.
  size_t issued_ = 0, headed_ = 0, tailed_ = 0, computed_ = 0, stored_ = 0;
  std::vector<int64_t> port_end_;  // per tile: when the SRAM port has carried its bytes
  int next_channel_ = 0;
  sc_core::sc_event start_, issued_ev_, headed_ev_, tailed_ev_, computed_ev_, stored_ev_;
  std::array<Completion, 2> load_done_;  // tile g's loads: load_done_[g % 2], one per input buffer
  Completion store_done_;
};

}  // namespace nesim::engine
