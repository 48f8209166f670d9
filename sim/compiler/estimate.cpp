// The cost estimate that ranks plans: what the tiling strategies minimise and what fusion and
// the choice between strategies compare.
#include <algorithm>

#include "sim/compiler/planner.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

// Cycles a kernel of `tiles` tiles should take on the engine's pipeline: the first tile's load,
// then one tile per period of the slowest stage (compute, or the DRAM bus that the remaining
// loads and the stores share), then the last store. Tiling trades this against DRAM traffic.
int64_t LayerWork::pipeline_estimate(int64_t tiles, int64_t first_load_bytes, int64_t load_bytes,
                                    int64_t store_bytes, int64_t compute_cycles) const {
  int64_t overhead = hw_.dma.setup_cycles + hw_.dram_latency_cycles();
  auto transfer = [&](int64_t bytes) { return bytes > 0 ? overhead + dram_busy_cycles(hw_, bytes) : 0; };
  int64_t compute = ceil_div(compute_cycles, tiles);
  int64_t rest = tiles > 1 ? ceil_div(load_bytes - first_load_bytes, tiles - 1) : 0;
  int64_t bus = dram_busy_cycles(hw_, rest + ceil_div(store_bytes, tiles)) + (hw_.dma.channels > 1 ? 0 : overhead);
  return transfer(first_load_bytes) + compute + transfer(ceil_div(store_bytes, tiles)) +
         (tiles - 1) * std::max(compute, bus);
}

// pipeline_estimate() of a planned kernel, from its tiles.
int64_t LayerWork::kernel_estimate(const Kernel& k) const {
  if (k.tiles.empty()) return 0;
  auto tiles = static_cast<int64_t>(k.tiles.size());
  if (const auto& s = k.summary)
    return pipeline_estimate(tiles, s->first_load_bytes, s->load_ifmap_bytes + s->load_weight_bytes, s->store_bytes,
                             s->compute_cycles);
  int64_t load = 0, store = 0, compute = 0;
  for (const Tile& t : k.tiles) {
    load += t.load_ifmap_bytes + t.load_weight_bytes;
    store += t.store_bytes;
    for (const ComputeStep& st : t.steps) compute += step_cycles(hw_, st);
  }
  int64_t first = k.tiles[0].load_ifmap_bytes + k.tiles[0].load_weight_bytes;
  return pipeline_estimate(tiles, first, load, store, compute);
}

bool better_plan(const LayerWork& work, const Kernel& a, const Kernel& b) {
  return work.kernel_estimate(a) < work.kernel_estimate(b);
}

}  // namespace nesim::planner
