// The cost estimate that ranks plans: what the tiling strategies minimise and what fusion and
// the choice between strategies compare. The objective is the engine's cycles for the kernel, as
// replay_kernel_cycles() replays the engine's own pipeline (exact on channel-parallel engines,
// tests/module/test_pipeline_replay.cpp); ties go to less DRAM traffic, then to fewer tiles.
// Strategies search many tile shapes, too many to build and replay each: a closed form
// (pipeline_estimate()) ranks them, and the best kReplayedCandidates are built and replayed.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "sim/compiler/kernel_summary.h"
#include "sim/compiler/planner.h"
#include "sim/timing/pipeline_replay.h"
#include "sim/timing/unit_timing.h"

namespace nesim::planner {

// The engine's pipeline in closed form: the first tile's loads, then one tile per period of its
// slowest stage, then the last store. A stage's period: the computer's compute; the loader's
// transfer (two tiles' loads in flight, so half of setup and latency per tile, but no less than
// streaming the bytes); the storer's (one store at a time: all of it); the DRAM bus, which loads and stores
// share; the channels, which loads and stores share too (one DRAM latency per window of
// outstanding bursts each); with one channel, every transfer in turn.
int64_t LayerWork::pipeline_estimate(int64_t tiles, int64_t first_load_bytes, int64_t load_bytes,
                                     int64_t store_bytes, int64_t compute_cycles, int64_t load_transfers,
                                     int64_t first_load_transfers) const {
  const int64_t latency = hw_.dram_latency_cycles();
  int64_t overhead = hw_.dma.setup_cycles + latency;
  // A transfer's pieces stream in parallel, each no faster than one window of outstanding bursts
  // per latency (dma_stream_cycles()), and all of them no faster than the bus.
  const int64_t window_bytes = int64_t{hw_.dma.burst_bytes} * hw_.dma.max_outstanding;
  auto windows = [&](int64_t bytes) { return ceil_div(bytes, window_bytes); };
  auto pieces = [&](int64_t bytes) { return std::clamp<int64_t>(windows(bytes), 1, hw_.dma.channels); };
  auto stream = [&](int64_t bytes) {
    return std::max(busy_cycles(bytes), (ceil_div(windows(bytes), pieces(bytes)) - 1) * latency);
  };
  auto transfer = [&](int64_t bytes) { return bytes > 0 ? overhead + stream(bytes) : 0; };
  int64_t compute = ceil_div(compute_cycles, tiles);
  int64_t rest = tiles > 1 ? ceil_div(load_bytes - first_load_bytes, tiles - 1) : 0;
  int64_t store = ceil_div(store_bytes, tiles);
  // Transfers per tile after the first, in hundredths, so that a load every few tiles counts.
  int64_t rest_transfers = tiles > 1 ? 100 * (load_transfers - first_load_transfers) / (tiles - 1) : 0;
  int64_t store_transfers = store_bytes > 0 ? 100 : 0;
  int64_t bus = busy_cycles(rest + store);
  // The channels, which loads and stores share: each piece of a transfer holds its channel for
  // its setup and one DRAM latency per window of outstanding bursts (dma_stream_cycles()), so
  // that when latency binds, the channels together move at most channels windows per latency.
  auto channel_time = [&](int64_t bytes, int64_t transfers_x100) {
    if (bytes <= 0 || transfers_x100 <= 0) return int64_t{0};
    return (transfers_x100 * pieces(bytes) * hw_.dma.setup_cycles) / 100 + windows(bytes) * latency;
  };
  int64_t channels = ceil_div(channel_time(rest, rest_transfers) + channel_time(store, store_transfers), hw_.dma.channels);
  int64_t period;
  if (hw_.dma.channels == 1) {
    period = std::max({compute, bus + (rest_transfers + store_transfers) * overhead / 100, channels});
  } else {
    // Two tiles' loads in flight: the per-transfer overhead is paid once per two tiles.
    int64_t loader = std::max(stream(rest), (stream(rest) + std::min<int64_t>(rest_transfers, 100) * overhead / 100) / 2);
    int64_t storer = store > 0 ? overhead + stream(store) : 0;
    period = std::max({compute, bus, loader, storer, channels});
  }
  int64_t first_load = first_load_transfers > 1 && hw_.dma.channels > 1
                           ? overhead + stream(first_load_bytes)
                           : (first_load_transfers > 1 ? overhead : 0) + transfer(first_load_bytes);
  return first_load + compute + transfer(store) + (tiles - 1) * period;
}

int64_t LayerWork::busy_cycles(int64_t bytes) const {
  if (bytes <= 0) return 0;
  const int64_t burst = hw_.dma.burst_bytes;
  const double cycles = static_cast<double>(ceil_div(bytes, burst) * burst) / dram_bytes_per_cycle_;
  if (!(cycles > 0 && cycles < 1e15)) return dram_busy_cycles(hw_, bytes);  // it names the problem
  return whole_or_ceil(cycles);  // as dram_busy_cycles()
}

int64_t LayerWork::kernel_estimate(const Kernel& k) const {
  return k.summary ? k.summary->engine_cycles : replay_kernel_cycles(k, hw_);
}

int64_t LayerWork::kernel_lower_bound(const Kernel& k) const {
  if (k.tiles.empty()) return 0;
  const int64_t overhead = hw_.dma.setup_cycles + hw_.dram_latency_cycles();
  auto transfer = [&](int64_t bytes) { return bytes > 0 ? overhead + busy_cycles(bytes) : 0; };
  // Each piece of a transfer holds its channel for its setup and its dma_stream_cycles().
  auto channel_work = [&](int64_t bytes) {
    const int pieces = dma_pieces(hw_, bytes);
    int64_t work = 0;
    for (int i = 0; i < pieces; ++i)
      work += hw_.dma.setup_cycles + dma_stream_cycles(hw_, dma_piece_bytes(hw_, bytes, pieces, i));
    return work;
  };
  int64_t head = 0, vector = 0, port = 0, bus = 0, tile_bus = 0, channels = 0, tile_channels = 0;
  TileStages st;
  const Tile* prev = nullptr;
  for (const Tile& t : k.tiles) {
    if (!prev || !(t == *prev)) {  // tiles mostly repeat
      st = tile_stages(hw_, t);
      tile_bus = busy_cycles(t.load_ifmap_bytes) + busy_cycles(t.load_weight_bytes) + busy_cycles(t.store_bytes);
      tile_channels = channel_work(t.load_ifmap_bytes) + channel_work(t.load_weight_bytes) + channel_work(t.store_bytes);
    }
    head += st.pre + st.rest;
    vector += st.rest + st.tail;
    port += st.port;
    bus += tile_bus;
    channels += tile_channels;
    prev = &t;
  }
  const Tile& first = k.tiles.front();
  const int64_t first_loads = first.load_ifmap_bytes + first.load_weight_bytes > 0
                                  ? overhead + busy_cycles(first.load_ifmap_bytes) + busy_cycles(first.load_weight_bytes)
                                  : 0;
  const int64_t chain = first_loads + head + st.tail + transfer(k.tiles.back().store_bytes);
  return std::max({chain, bus > 0 ? overhead + bus : 0, vector, port, ceil_div(channels, hw_.dma.channels)});
}

PlanCost LayerWork::plan_cost(Kernel& k) const {
  if (!k.summary) k.summary = summarize_kernel(k, hw_);
  PlanCost c;
  c.cycles = k.summary->engine_cycles;
  for (const Tile& t : k.tiles) c.dram_bytes += t.load_ifmap_bytes + t.load_weight_bytes + t.store_bytes;
  c.tiles = static_cast<int64_t>(k.tiles.size());
  return c;
}

void LayerWork::offer(BestPlan& best, Kernel&& k) const {
  if (best.kernel && kernel_lower_bound(k) > best.cost.cycles) return;
  const PlanCost cost = plan_cost(k);
  if (!best.kernel || cost < best.cost) {
    best.kernel = std::move(k);
    best.cost = cost;
  }
}

bool operator<(const PlanCost& a, const PlanCost& b) {
  return std::tie(a.cycles, a.dram_bytes, a.tiles) < std::tie(b.cycles, b.dram_bytes, b.tiles);
}

std::optional<Kernel> LayerWork::best_of(std::vector<Candidate>& candidates,
                                         const std::function<Kernel(const Candidate&)>& build) const {
  if (candidates.empty()) return std::nullopt;
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.cycles, a.dram_bytes, a.tiles) < std::tie(b.cycles, b.dram_bytes, b.tiles);
  });
  std::optional<Kernel> best;
  PlanCost best_cost;
  int built = 0;
  int64_t off_by_32ths = 0;
  for (const Candidate& c : candidates) {
    if (c.tiles > kMaxKernelTiles) continue;  // built only if nothing else fits (below)
    // The closed form is within a few percent of the replay where it matters: a candidate it
    // puts well behind the best replayed one is not worth building.
    if (best && c.cycles > best_cost.cycles + best_cost.cycles / 16) break;
    Kernel k = build(c);
    // A candidate that cannot beat the best replay is not replayed. It still counts as built, and
    // it is skipped only where its replay could not have changed when the search stops (the
    // closed form is already known to be off, or the bound shows it off by 1/32 for this one too),
    // so that the plan is the one replaying every candidate would pick.
    if (best) {
      const int64_t bound = kernel_lower_bound(k), closed = std::max<int64_t>(1, c.cycles);
      const bool off_anyway = off_by_32ths > 0 || (bound > closed && (bound - closed) * 32 >= closed);
      if (bound > best_cost.cycles && off_anyway) {
        off_by_32ths = std::max<int64_t>(off_by_32ths, 1);
        if (++built == kReplayedCandidates) break;
        continue;
      }
    }
    PlanCost cost = plan_cost(k);
    // How far the closed form was off (in 32nds): where it is close, the first replays settle it.
    off_by_32ths = std::max(off_by_32ths, std::abs(cost.cycles - c.cycles) * 32 / std::max<int64_t>(1, c.cycles));
    if (!best || cost < best_cost) {
      best = std::move(k);
      best_cost = cost;
    }
    ++built;
    if (built == kReplayedCandidates || (built >= kTrustedReplayedCandidates && off_by_32ths == 0)) break;
  }
  if (!best) return build(candidates.front());  // throws: too many tiles (check_tile_count())
  return best;
}

}  // namespace nesim::planner
