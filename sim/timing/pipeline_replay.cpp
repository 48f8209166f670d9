#include "sim/timing/pipeline_replay.h"

#include <algorithm>
#include <deque>
#include <queue>
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
      : tiles_(k.tiles), hw_(hw), channels_(static_cast<size_t>(std::max(1, hw.dma.channels))),
        latency_(hw.dram_latency_cycles()) {
    size_t n = tiles_.size();
    load_scheduled_.assign(n, false);
    store_scheduled_.assign(n, false);
    loaded_.assign(n, kUnknown);
    computed_.assign(n, kUnknown);
    stored_.assign(n, kUnknown);
    compute_.resize(n);
    const Tile* prev = nullptr;
    for (size_t i = 0; i < n; ++i) {
      if (prev && *prev == tiles_[i]) {
        compute_[i] = compute_[i - 1];
      } else {
        compute_[i] = 0;
        for (const ComputeStep& s : tiles_[i].steps) compute_[i] += step_cycles(hw, s);
      }
      prev = &tiles_[i];
    }
  }

  int64_t run() {
    if (tiles_.empty()) return 0;
    schedule(0, kLoadIssue, 0);
    for (;;) {
      if (!wakeups_.empty() && (events_.empty() || events_.top().time > wakeup_time_)) {
        flush_wakeups();
        continue;
      }
      if (events_.empty()) break;
      Event e = events_.top();
      events_.pop();
      wakeup_time_ = e.time;
      switch (e.kind) {
        case kLoadIssue: load_issue(e.time, e.arg); break;
        case kStoreIssue: store_issue(e.time, e.arg); break;
        case kSetupDone: setup_done(e.time, e.arg); break;
        case kTransferDone: transfer_done(e.time, e.arg); break;
      }
    }
    return stored_.back();
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
    int64_t bytes;
    bool store;
    size_t tile;
  };
  struct Channel {
    std::deque<Request> queue;
    bool busy = false;
  };

  void schedule(int64_t time, Kind kind, size_t arg) { events_.push({time, seq_++, kind, arg}); }

  void submit(int64_t now, int64_t bytes, bool store, size_t tile) {
    Channel& ch = channels_[next_channel_];
    size_t at = next_channel_;
    next_channel_ = (next_channel_ + 1) % channels_.size();
    ch.queue.push_back({bytes, store, tile});
    if (!ch.busy) {
      // An idle channel wakes a delta cycle later; SystemC runs the channels woken in one delta in
      // the reverse order of their wake-ups, so they reach the bus in that order (flush_wakeups()).
      ch.busy = true;
      wakeups_.push_back(at);
    }
  }
  void flush_wakeups() {
    for (size_t i = wakeups_.size(); i-- > 0;) start(wakeup_time_, wakeups_[i]);
    wakeups_.clear();
  }
  void start(int64_t now, size_t ch) {
    channels_[ch].busy = true;
    schedule(now + hw_.dma.setup_cycles, kSetupDone, ch);
  }
  void setup_done(int64_t now, size_t ch) {
    const Request& r = channels_[ch].queue.front();
    int64_t begin = std::max(now + latency_, bus_free_);
    bus_free_ = begin + dram_busy_cycles(hw_, r.bytes);
    schedule(bus_free_, kTransferDone, ch);
  }
  void transfer_done(int64_t now, size_t ch) {
    Channel& c = channels_[ch];
    Request r = c.queue.front();
    c.queue.pop_front();
    c.busy = false;
    if (!c.queue.empty()) start(now, ch);
    if (r.store) {
      stored(now, r.tile);
    } else if (--pending_loads_ == 0) {
      loaded(now, r.tile);
    }
  }

  void load_issue(int64_t now, size_t g) {
    const Tile& t = tiles_[g];
    pending_loads_ = (t.load_ifmap_bytes > 0 ? 1 : 0) + (t.load_weight_bytes > 0 ? 1 : 0);
    if (t.load_ifmap_bytes > 0) submit(now, t.load_ifmap_bytes, false, g);
    if (t.load_weight_bytes > 0) submit(now, t.load_weight_bytes, false, g);
    if (pending_loads_ == 0) loaded(now, g);
  }
  void store_issue(int64_t now, size_t g) {
    if (tiles_[g].store_bytes > 0) {
      submit(now, tiles_[g].store_bytes, true, g);
    } else {
      stored(now, g);
    }
  }

  void loaded(int64_t now, size_t g) {
    loaded_[g] = now;
    try_compute(g);
    try_load(g + 1);
  }
  void stored(int64_t now, size_t g) {
    stored_[g] = now;
    try_compute(g + 2);
    try_store(g + 1);
  }
  // The loader issues tile g after tile g-1 has loaded and tile g-2 has computed.
  void try_load(size_t g) {
    if (g >= tiles_.size() || load_scheduled_[g] || loaded_[g - 1] == kUnknown) return;
    if (g >= 2 && computed_[g - 2] == kUnknown) return;
    load_scheduled_[g] = true;
    schedule(std::max(loaded_[g - 1], g >= 2 ? computed_[g - 2] : 0), kLoadIssue, g);
  }
  // The computer runs tile g after tile g-1, once g is loaded and g-2 is stored.
  void try_compute(size_t g) {
    if (g >= tiles_.size() || computed_[g] != kUnknown || loaded_[g] == kUnknown) return;
    if (g >= 1 && computed_[g - 1] == kUnknown) return;
    if (g >= 2 && stored_[g - 2] == kUnknown) return;
    int64_t begin = loaded_[g];
    if (g >= 1) begin = std::max(begin, computed_[g - 1]);
    if (g >= 2) begin = std::max(begin, stored_[g - 2]);
    computed_[g] = begin + compute_[g];
    try_store(g);
    try_load(g + 2);
    try_compute(g + 1);
  }
  // The storer stores tile g after tile g-1 is stored, once g has computed.
  void try_store(size_t g) {
    if (g >= tiles_.size() || store_scheduled_[g] || computed_[g] == kUnknown) return;
    if (g >= 1 && stored_[g - 1] == kUnknown) return;
    store_scheduled_[g] = true;
    schedule(std::max(computed_[g], g >= 1 ? stored_[g - 1] : 0), kStoreIssue, g);
  }

  const std::vector<Tile>& tiles_;
  const HwConfig& hw_;
  std::vector<Channel> channels_;
  size_t next_channel_ = 0;
  std::vector<size_t> wakeups_;  // idle channels given a transfer at wakeup_time_
  int64_t wakeup_time_ = 0;
  int64_t latency_, bus_free_ = 0, seq_ = 0;
  int pending_loads_ = 0;
  std::vector<bool> load_scheduled_, store_scheduled_;
  std::vector<int64_t> loaded_, computed_, stored_, compute_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
};

}  // namespace

int64_t replay_kernel_cycles(const Kernel& k, const HwConfig& hw) { return Replay(k, hw).run(); }

}  // namespace nesim
