#include "sim/timing/pipeline_replay.h"

#include <algorithm>
#include <array>
#include <functional>
#include <vector>

#include "sim/timing/unit_timing.h"

namespace nesim {

namespace {

// A discrete-event replay: events run in time order, ties in the order they were scheduled, which
// follows the order the SystemC kernel runs the engine's processes in (tests/module checks that the
// two agree kernel by kernel): at one time, the storer submits before the loader, and channels
// woken by a submission start after channels that go on with their queues.
class Replay {
 public:
  Replay(const Kernel& k, const HwConfig& hw)
      : tiles_(k.tiles), hw_(hw), latency_(hw.dram_latency_cycles()), s_(scratch()) {
    size_t n = tiles_.size();
    s_.tiles.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const Tile& t = tiles_[i];
      TileState& st = s_.tiles[i];
      st = TileState{};
      if (i > 0 && t == tiles_[i - 1]) {  // tiles mostly repeat: work each shape out once
        st.compute = s_.tiles[i - 1].compute;
        std::copy(std::begin(s_.tiles[i - 1].busy), std::end(s_.tiles[i - 1].busy), st.busy);
        continue;
      }
      for (const ComputeStep& s : t.steps) st.compute += step_cycles(hw, s);
      st.busy[0] = dram_busy_cycles(hw, t.load_ifmap_bytes);
      st.busy[1] = dram_busy_cycles(hw, t.load_weight_bytes);
      st.busy[2] = dram_busy_cycles(hw, t.store_bytes);
    }
    s_.channels.resize(static_cast<size_t>(std::max(1, hw.dma.channels)));
    for (Channel& c : s_.channels) {
      c.queue.clear();
      c.head = 0;
      c.busy = false;
    }
    s_.events.clear();
    s_.wakeups.clear();
  }

  int64_t run() {
    if (tiles_.empty()) return 0;
    schedule(0, kLoadIssue, 0);
    for (;;) {
      if (!s_.wakeups.empty() && (s_.events.empty() || s_.events.front().time > wakeup_time_)) {
        flush_wakeups();
        continue;
      }
      if (s_.events.empty()) break;
      std::pop_heap(s_.events.begin(), s_.events.end(), std::greater<Event>());
      Event e = s_.events.back();
      s_.events.pop_back();
      wakeup_time_ = e.time;
      switch (e.kind) {
        case kLoadIssue: load_issue(e.time, e.arg); break;
        case kStoreIssue: store_issue(e.time, e.arg); break;
        case kSetupDone: setup_done(e.time, e.arg); break;
        case kTransferDone: transfer_done(e.time, e.arg); break;
      }
    }
    return s_.tiles.back().stored;
  }

 private:
  static constexpr int64_t kUnknown = -1;
  enum Kind { kLoadIssue, kStoreIssue, kSetupDone, kTransferDone };
  struct Event {
    int64_t time, seq;
    Kind kind;
    size_t arg;  // tile, or channel
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  struct Request {
    int64_t busy;  // DRAM bus cycles
    bool store;
    size_t tile;
  };
  struct Channel {
    std::vector<Request> queue;  // [head, size) waiting or in service
    size_t head = 0;
    bool busy = false;
    bool empty() const { return head == queue.size(); }
  };
  struct TileState {
    int64_t loaded = kUnknown, computed = kUnknown, stored = kUnknown;
    int64_t compute = 0;
    int64_t busy[3] = {0, 0, 0};  // bus cycles of the ifmap, weight and store transfers
    bool load_scheduled = false, store_scheduled = false;
  };
  // Buffers reused across replays: the planner replays hundreds of kernels per compile.
  struct Scratch {
    std::vector<TileState> tiles;
    std::vector<Channel> channels;
    std::vector<Event> events;  // a min-heap by (time, seq)
    std::vector<size_t> wakeups;
  };
  static Scratch& scratch() {
    thread_local Scratch s;
    return s;
  }

  void schedule(int64_t time, Kind kind, size_t arg) {
    s_.events.push_back({time, seq_++, kind, arg});
    std::push_heap(s_.events.begin(), s_.events.end(), std::greater<Event>());
  }

  void submit(int64_t now, int64_t busy, bool store, size_t tile) {
    Channel& ch = s_.channels[next_channel_];
    size_t at = next_channel_;
    next_channel_ = (next_channel_ + 1) % s_.channels.size();
    ch.queue.push_back({busy, store, tile});
    if (!ch.busy) {
      // An idle channel wakes a delta cycle later; SystemC runs the channels woken in one delta in
      // the reverse order of their wake-ups, so they reach the bus in that order (flush_wakeups()).
      ch.busy = true;
      s_.wakeups.push_back(at);
    }
  }
  void flush_wakeups() {
    for (size_t i = s_.wakeups.size(); i-- > 0;) start(wakeup_time_, s_.wakeups[i]);
    s_.wakeups.clear();
  }
  void start(int64_t now, size_t ch) {
    s_.channels[ch].busy = true;
    schedule(now + hw_.dma.setup_cycles, kSetupDone, ch);
  }
  void setup_done(int64_t now, size_t ch) {
    const Channel& c = s_.channels[ch];
    const Request& r = c.queue[c.head];
    int64_t begin = std::max(now + latency_, bus_free_);
    bus_free_ = begin + r.busy;
    schedule(bus_free_, kTransferDone, ch);
  }
  void transfer_done(int64_t now, size_t ch) {
    Channel& c = s_.channels[ch];
    Request r = c.queue[c.head++];
    c.busy = false;
    if (!c.empty()) start(now, ch);
    if (r.store) {
      stored(now, r.tile);
    } else if (--pending_loads_ == 0) {
      loaded(now, r.tile);
    }
  }

  void load_issue(int64_t now, size_t g) {
    const Tile& t = tiles_[g];
    pending_loads_ = (t.load_ifmap_bytes > 0 ? 1 : 0) + (t.load_weight_bytes > 0 ? 1 : 0);
    if (t.load_ifmap_bytes > 0) submit(now, s_.tiles[g].busy[0], false, g);
    if (t.load_weight_bytes > 0) submit(now, s_.tiles[g].busy[1], false, g);
    if (pending_loads_ == 0) loaded(now, g);
  }
  void store_issue(int64_t now, size_t g) {
    if (tiles_[g].store_bytes > 0) {
      submit(now, s_.tiles[g].busy[2], true, g);
    } else {
      stored(now, g);
    }
  }

  void loaded(int64_t now, size_t g) {
    s_.tiles[g].loaded = now;
    try_compute(g);
    try_load(g + 1);
  }
  void stored(int64_t now, size_t g) {
    s_.tiles[g].stored = now;
    try_compute(g + 2);
    try_store(g + 1);
  }
  // The loader issues tile g after tile g-1 has loaded and tile g-2 has computed.
  void try_load(size_t g) {
    if (g >= tiles_.size() || at(g).load_scheduled || at(g - 1).loaded == kUnknown) return;
    if (g >= 2 && at(g - 2).computed == kUnknown) return;
    at(g).load_scheduled = true;
    schedule(std::max(at(g - 1).loaded, g >= 2 ? at(g - 2).computed : 0), kLoadIssue, g);
  }
  // The computer runs tile g after tile g-1, once g is loaded and g-2 is stored.
  void try_compute(size_t g) {
    if (g >= tiles_.size() || at(g).computed != kUnknown || at(g).loaded == kUnknown) return;
    if (g >= 1 && at(g - 1).computed == kUnknown) return;
    if (g >= 2 && at(g - 2).stored == kUnknown) return;
    int64_t begin = at(g).loaded;
    if (g >= 1) begin = std::max(begin, at(g - 1).computed);
    if (g >= 2) begin = std::max(begin, at(g - 2).stored);
    at(g).computed = begin + at(g).compute;
    try_store(g);
    try_load(g + 2);
    try_compute(g + 1);
  }
  // The storer stores tile g after tile g-1 is stored, once g has computed.
  void try_store(size_t g) {
    if (g >= tiles_.size() || at(g).store_scheduled || at(g).computed == kUnknown) return;
    if (g >= 1 && at(g - 1).stored == kUnknown) return;
    at(g).store_scheduled = true;
    schedule(std::max(at(g).computed, g >= 1 ? at(g - 1).stored : 0), kStoreIssue, g);
  }

  TileState& at(size_t g) { return s_.tiles[g]; }

  const std::vector<Tile>& tiles_;
  const HwConfig& hw_;
  int64_t latency_;
  Scratch& s_;
  size_t next_channel_ = 0;
  int64_t wakeup_time_ = 0;  // of the idle channels in s_.wakeups
  int64_t bus_free_ = 0, seq_ = 0;
  int pending_loads_ = 0;
};

}  // namespace

int64_t replay_kernel_cycles(const Kernel& k, const HwConfig& hw) { return Replay(k, hw).run(); }

}  // namespace nesim
