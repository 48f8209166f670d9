#include "sim/timing/pipeline_replay.h"

#include <algorithm>
#include <array>
#include <functional>
#include <vector>

#include "sim/timing/unit_timing.h"

namespace nesim {

namespace {

// A discrete-event replay: events run in time order, ties in the order the engine fixes by design
// (Event::operator>; tests/module checks that the two agree kernel by kernel): at one time,
// channel setups end (reaching the bus in channel order) and transfers complete, then the storer
// submits, then the loader.
class Replay {
 public:
  Replay(const Kernel& k, const HwConfig& hw)
      : tiles_(k.tiles), hw_(hw), latency_(hw.dram_latency_cycles()), s_(scratch()) {
    size_t n = tiles_.size();
    s_.tiles.resize(n);
    s_.costs.clear();
    s_.pieces.clear();
    for (size_t i = 0; i < n; ++i) {
      const Tile& t = tiles_[i];
      TileState& st = s_.tiles[i];
      st = TileState{};
      if (i > 0 && t == tiles_[i - 1]) {  // tiles mostly repeat: work each shape out once
        st.stages = s_.tiles[i - 1].stages;
        std::copy(std::begin(s_.tiles[i - 1].transfer), std::end(s_.tiles[i - 1].transfer), st.transfer);
        continue;
      }
      st.stages = tile_stages(hw, t);
      const int64_t bytes[3] = {t.load_ifmap_bytes, t.load_weight_bytes, t.store_bytes};
      for (int j = 0; j < 3; ++j) st.transfer[j] = transfer_cost(bytes[j]);
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
    at(0).load_scheduled = true;
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
  enum Kind { kSetupDone, kTransferDone, kStoreIssue, kLoadIssue };  // in their order at one time
  struct Event {
    int64_t time, seq;
    Kind kind;
    size_t arg;  // tile, or channel
    // At one time, as the engine's delta cycles order them: setups end and transfers complete
    // first (timed waits; setups reach the bus in channel order, one delta cycle per index), then
    // the storer submits, then the loader (it yields a delta cycle to the storer); the rest in the
    // order they were scheduled.
    bool operator>(const Event& o) const {
      if (time != o.time) return time > o.time;
      if (kind != o.kind) return kind > o.kind;
      return kind == kSetupDone ? arg > o.arg : seq > o.seq;
    }
  };
  struct Request {
    int64_t busy, stream;  // DRAM bus cycles; dma_stream_cycles()
    bool store;
    size_t tile;
  };
  // A transfer's pieces over the channels (dma_pieces()): s_.pieces[first, first + count).
  struct TransferCost {
    uint32_t first = 0, count = 0;
    int64_t bytes = 0;
  };
  struct Piece {
    int64_t busy, stream;  // dma_piece_busy_cycles(), dma_stream_cycles() of its bytes
  };
  // Tiles of a kernel move a few distinct byte counts: each is worked out once per replay.
  TransferCost transfer_cost(int64_t bytes) {
    for (const TransferCost& c : s_.costs)
      if (c.bytes == bytes) return c;
    TransferCost c{static_cast<uint32_t>(s_.pieces.size()), 0, bytes};
    const int pieces = dma_pieces(hw_, bytes);
    c.count = static_cast<uint32_t>(pieces);
    for (int i = 0; i < pieces; ++i)
      s_.pieces.push_back({dma_piece_busy_cycles(hw_, bytes, pieces, i),
                           dma_stream_cycles(hw_, dma_piece_bytes(hw_, bytes, pieces, i))});
    if (s_.costs.size() < 8) s_.costs.push_back(c);
    return c;
  }
  struct Channel {
    std::vector<Request> queue;  // [head, size) waiting or in service
    size_t head = 0;
    bool busy = false;
    bool empty() const { return head == queue.size(); }
  };
  struct TileState {
    int64_t issued = kUnknown, loaded = kUnknown, computed = kUnknown, stored = kUnknown;
    int64_t head_end = 0, tail_end = 0, port_end = 0;  // known once `computed` is
    TileStages stages;             // tile_stages()
    TransferCost transfer[3];      // the ifmap, weight and store transfers
    int pending_loads = 0;         // load pieces not yet arrived
    bool load_scheduled = false, store_scheduled = false;
  };
  // Buffers reused across replays: the planner replays hundreds of kernels per compile.
  struct Scratch {
    std::vector<TileState> tiles;
    std::vector<TransferCost> costs;  // the first few distinct byte counts
    std::vector<Piece> pieces;
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

  // Submits a transfer's pieces to the channels in turn; returns how many.
  int submit(const TransferCost& c, bool store, size_t tile) {
    for (uint32_t i = c.first; i < c.first + c.count; ++i) submit_piece(s_.pieces[i].busy, s_.pieces[i].stream, store, tile);
    return static_cast<int>(c.count);
  }
  void submit_piece(int64_t busy, int64_t stream, bool store, size_t tile) {
    Channel& ch = s_.channels[next_channel_];
    size_t at = next_channel_;
    next_channel_ = (next_channel_ + 1) % s_.channels.size();
    ch.queue.push_back({busy, stream, store, tile});
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
    schedule(std::max(bus_free_, now + r.stream), kTransferDone, ch);
  }
  void transfer_done(int64_t now, size_t ch) {
    Channel& c = s_.channels[ch];
    Request r = c.queue[c.head++];
    c.busy = false;
    if (!c.empty()) start(now, ch);
    if (r.store) {
      if (--pending_store_ == 0) stored(now, r.tile);
    } else if (--at(r.tile).pending_loads == 0) {
      loaded(now, r.tile);
    }
  }

  // The loader issues tile g's loads and goes straight on to tile g+1 if its buffer is free by
  // now (tile g-1 computed), as the engine's loader does within one activation.
  void load_issue(int64_t now, size_t g) {
    TileState& st = at(g);
    st.issued = now;
    st.pending_loads = submit(st.transfer[0], false, g);
    st.pending_loads += submit(st.transfer[1], false, g);
    if (st.pending_loads == 0) loaded(now, g);
    size_t next = g + 1;
    if (next >= tiles_.size() || at(next).load_scheduled) return;
    if (next < 2 || (at(next - 2).computed != kUnknown && at(next - 2).computed <= now)) {
      at(next).load_scheduled = true;
      load_issue(now, next);
    } else {
      try_load(next);  // waits for tile g-1 to compute
    }
  }
  void store_issue(int64_t now, size_t g) {
    pending_store_ = submit(at(g).transfer[2], true, g);
    if (pending_store_ == 0) stored(now, g);
  }

  void loaded(int64_t now, size_t g) {
    s_.tiles[g].loaded = now;
    try_compute(g);
  }
  void stored(int64_t now, size_t g) {
    s_.tiles[g].stored = now;
    try_compute(g + 2);
    try_store(g + 1);
  }
  // The loader issues tile g after it issued tile g-1, once tile g-2 has computed.
  void try_load(size_t g) {
    if (g >= tiles_.size() || at(g).load_scheduled || at(g - 1).issued == kUnknown) return;
    if (g >= 2 && at(g - 2).computed == kUnknown) return;
    at(g).load_scheduled = true;
    schedule(std::max(at(g - 1).issued, g >= 2 ? at(g - 2).computed : 0), kLoadIssue, g);
  }
  // The computer runs tile g's head after tile g-1's, once g is loaded and g-2 is stored; the
  // vector unit its tail after g-1's (tile_stages()).
  void try_compute(size_t g) {
    if (g >= tiles_.size() || at(g).computed != kUnknown || at(g).loaded == kUnknown) return;
    if (g >= 1 && at(g - 1).computed == kUnknown) return;
    if (g >= 2 && at(g - 2).stored == kUnknown) return;
    TileState& st = at(g);
    int64_t h0 = st.loaded, vector_free = 0, port_free = 0;
    if (g >= 1) {
      h0 = std::max(h0, at(g - 1).head_end);
      vector_free = at(g - 1).tail_end;
      port_free = at(g - 1).port_end;
    }
    if (g >= 2) h0 = std::max(h0, at(g - 2).stored);
    const TileStages& c = st.stages;
    st.head_end = c.head_vector ? std::max(h0 + c.pre, vector_free) + c.rest : h0 + c.pre;
    st.tail_end = std::max(st.head_end, vector_free) + c.tail;
    st.port_end = std::max(port_free, h0) + c.port;
    st.computed = std::max(st.tail_end, st.port_end);
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
  int pending_store_ = 0;  // pieces of the store in flight (the storer stores one tile at a time)
};

}  // namespace

int64_t replay_kernel_cycles(const Kernel& k, const HwConfig& hw) { return Replay(k, hw).run(); }

}  // namespace nesim
