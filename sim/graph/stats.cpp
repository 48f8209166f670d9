#include "sim/graph/stats.h"

#include <algorithm>
#include <bit>
#include <queue>
#include <tuple>
#include <unordered_set>

#include "sim/util/checked.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

// Executes layers in some topological order and tracks the bytes of live tensors. The network
// input is produced before the first step; a tensor dies when its last consumer has run, unless
// it is a network output.
class Liveness {
 public:
  Liveness(const Network& net, int bytes_per_element) : n_(static_cast<int>(net.layers.size())) {
    consumers_ = net.consumers();
    is_output_.assign(n_, false);
    for (int o : net.output_indices()) is_output_[o] = true;
    for (const Layer& l : net.layers) {
      bytes_.push_back(l.out.elements() * bytes_per_element);
      std::vector<int> ins = l.inputs;
      std::sort(ins.begin(), ins.end());
      ins.erase(std::unique(ins.begin(), ins.end()), ins.end());
      inputs_.push_back(std::move(ins));
    }
  }

  int size() const { return n_; }
  int64_t bytes(int i) const { return bytes_[i]; }
  const std::vector<int>& consumers(int i) const { return consumers_[i]; }
  const std::vector<int>& inputs(int i) const { return inputs_[i]; }
  // Live bytes before any layer runs: the input, if anything reads it or it is an output.
  int64_t initial_live() const { return persists(0) ? bytes_[0] : 0; }
  bool persists(int i) const { return is_output_[i] || !consumers_[i].empty(); }

  // Live bytes after running `layer`, where done(t) says whether layer t has already run.
  template <typename Done>
  int64_t live_after(int layer, int64_t live, Done done) const {
    int64_t v = live + (persists(layer) ? bytes_[layer] : 0);
    for (int t : inputs_[layer]) {
      if (is_output_[t]) continue;
      const auto& c = consumers_[t];
      if (std::all_of(c.begin(), c.end(), [&](int k) { return k == layer || done(k); })) v -= bytes_[t];
    }
    return v;
  }

  // Peak of a complete order (order[0] is the input).
  int64_t peak(const std::vector<int>& order) const {
    std::vector<bool> done(n_, false);
    done[0] = true;
    int64_t live = initial_live(), peak = bytes_[0];
    for (size_t k = 1; k < order.size(); ++k) {
      const int l = order[k];
      peak = std::max(peak, live + bytes_[l]);
      live = live_after(l, live, [&](int t) { return done[t]; });
      done[l] = true;
    }
    return peak;
  }

  // Greedy order: among ready layers run the one leaving the fewest live bytes, then the one with
  // the cheapest step, then the lowest index.
  std::vector<int> greedy_order() const {
    std::vector<bool> done(n_, false);
    std::vector<int> missing(n_), ready, order = {0};
    for (int i = 0; i < n_; ++i) missing[i] = static_cast<int>(inputs_[i].size());
    done[0] = true;
    release(0, missing, ready);
    for (int i = 1; i < n_; ++i)  // further inputs are ready from the start
      if (inputs_[i].empty()) ready.insert(std::upper_bound(ready.begin(), ready.end(), i), i);
    int64_t live = initial_live();
    while (!ready.empty()) {
      auto key = [&](int l) {
        return std::tuple(live_after(l, live, [&](int t) { return bool(done[t]); }), bytes_[l], l);
      };
      auto best = std::min_element(ready.begin(), ready.end(), [&](int a, int b) { return key(a) < key(b); });
      const int l = *best;
      ready.erase(best);
      live = live_after(l, live, [&](int t) { return bool(done[t]); });
      done[l] = true;
      order.push_back(l);
      release(l, missing, ready);
    }
    return order;
  }

  // Lower bound on the peak of every order: while L runs, each ancestor t of L that an
  // unfinished layer still needs (a consumer on a path through L, or t is an output) is live.
  int64_t lower_bound() const {
    const size_t words = (n_ + 63) / 64;
    std::vector<uint64_t> anc(n_ * words, 0), desc(n_ * words, 0), mask(words);
    auto set = [&](std::vector<uint64_t>& v, int row, int bit) {
      v[row * words + bit / 64] |= uint64_t{1} << (bit % 64);
    };
    auto merge = [&](std::vector<uint64_t>& dst, int row, const std::vector<uint64_t>& src, int src_row) {
      for (size_t w = 0; w < words; ++w) dst[row * words + w] |= src[src_row * words + w];
    };
    for (int i = 0; i < n_; ++i)
      for (int p : inputs_[i]) merge(anc, i, anc, p), set(anc, i, p);
    for (int i = n_ - 1; i >= 0; --i)
      for (int c : consumers_[i]) merge(desc, i, desc, c), set(desc, i, c);

    std::vector<int64_t> step(bytes_);
    int64_t outputs = 0;
    for (int t = 0; t < n_; ++t) {
      if (is_output_[t]) outputs += bytes_[t];
      std::fill(mask.begin(), mask.end(), is_output_[t] ? ~uint64_t{0} : 0);
      if (!is_output_[t]) {
        for (int c : consumers_[t]) {
          for (size_t w = 0; w < words; ++w) mask[w] |= anc[c * words + w];
          mask[c / 64] |= uint64_t{1} << (c % 64);
        }
      }
      for (size_t w = 0; w < words; ++w)
        for (uint64_t m = mask[w] & desc[t * words + w]; m; m &= m - 1)
          step[w * 64 + std::countr_zero(m)] += bytes_[t];
    }
    return std::max(outputs, *std::max_element(step.begin(), step.end()));
  }

 private:
  // Marks consumers of `l` whose inputs have all run as ready, keeping `ready` sorted.
  void release(int l, std::vector<int>& missing, std::vector<int>& ready) const {
    for (int c : consumers_[l])
      if (--missing[c] == 0) ready.insert(std::upper_bound(ready.begin(), ready.end(), c), c);
  }

  int n_;
  std::vector<int64_t> bytes_;
  std::vector<bool> is_output_;
  std::vector<std::vector<int>> consumers_, inputs_;
};

// Best-first search over "which layers have run" sets for the order with the least peak: the
// cost of a path is its largest step, so popping sets in order of cost (floored at a global lower
// bound, ties to the deepest set, then first found) makes the first complete set popped optimal.
class PeakSearch {
 public:
  enum class Outcome { Improved, UpperBoundIsOptimal, Capped };

  PeakSearch(const Liveness& g, int64_t max_states)
      : g_(g), words_((g.size() + 63) / 64), max_states_(max_states),
        seen_(64, Hash{this}, Equal{this}) {
    uint64_t x = 0x9e3779b97f4a7c15;
    for (int i = 0; i < g.size(); ++i) zobrist_.push_back(splitmix(x));
  }

  // Looks for an order with peak below `upper`; `lower` is a valid lower bound on every order.
  Outcome run(int64_t lower, int64_t upper, std::vector<int>& order, int64_t& peak) {
    Node root{};
    root.key = std::max(lower, g_.bytes(0));
    root.live = g_.initial_live();
    root.parent = -1;
    bits_.assign(words_, 0);
    bits_[0] = 1;
    root.ready_begin = 0;
    for (int i = 1; i < g_.size(); ++i)
      if (std::all_of(g_.inputs(i).begin(), g_.inputs(i).end(), [](int p) { return p == 0; })) ready_.push_back(i);
    root.ready_end = static_cast<int>(ready_.size());
    nodes_.push_back(root);
    seen_.insert(0);
    queue_.push({root.key, 0, seq_++, 0});

    while (!queue_.empty()) {
      const Entry e = queue_.top();
      queue_.pop();
      Node& node = nodes_[e.id];
      if (node.expanded || e.key > node.key) continue;
      if (node.depth == g_.size() - 1) {
        peak = node.key;
        order.clear();
        for (int id = e.id; id > 0; id = nodes_[id].parent) order.push_back(nodes_[id].layer);
        order.push_back(0);
        std::reverse(order.begin(), order.end());
        return Outcome::Improved;
      }
      node.expanded = true;
      if (!expand(e.id, upper)) return Outcome::Capped;
    }
    return Outcome::UpperBoundIsOptimal;
  }

 private:
  struct Node {
    uint64_t hash = 0;
    int64_t key = 0, live = 0;  // key: largest step on the best path so far, floored at the bound
    int parent = -1, layer = 0, depth = 0;
    int ready_begin = 0, ready_end = 0;  // slice of ready_
    bool expanded = false;
  };
  struct Entry {
    int64_t key;
    int depth;
    int64_t seq;
    int id;
    bool operator<(const Entry& o) const {  // priority_queue pops the largest: invert
      if (key != o.key) return key > o.key;
      if (depth != o.depth) return depth < o.depth;
      return seq > o.seq;
    }
  };
  struct Hash {
    const PeakSearch* s;
    size_t operator()(int id) const { return s->nodes_[id].hash; }
  };
  struct Equal {
    const PeakSearch* s;
    bool operator()(int a, int b) const {
      return std::equal(s->row(a), s->row(a) + s->words_, s->row(b));
    }
  };

  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  const uint64_t* row(int id) const { return bits_.data() + static_cast<size_t>(id) * words_; }
  bool done(int id, int layer) const { return (row(id)[layer / 64] >> (layer % 64)) & 1; }

  // A ready layer whose step does not raise the path's cost and that leaves no more bytes live
  // can run first in some optimal completion (moving it earlier shrinks every step it passes).
  int forced_move(int id) const {
    const Node& s = nodes_[id];
    for (int r = s.ready_begin; r < s.ready_end; ++r) {
      const int l = ready_[r];
      if (s.live + g_.bytes(l) <= s.key && g_.live_after(l, s.live, [&](int t) { return done(id, t); }) <= s.live)
        return r;
    }
    return -1;
  }

  // Pushes every child of `id` whose step stays below `upper`; false once the state cap is hit.
  bool expand(int id, int64_t upper) {
    const int forced = forced_move(id);
    const int first = forced >= 0 ? forced : nodes_[id].ready_begin;
    const int last = forced >= 0 ? forced + 1 : nodes_[id].ready_end;
    for (int r = first; r < last; ++r) {
      const Node parent = nodes_[id];
      const int l = ready_[r];
      const int64_t key = std::max(parent.key, parent.live + g_.bytes(l));
      if (key >= upper) continue;

      const int child = static_cast<int>(nodes_.size());
      bits_.resize(bits_.size() + words_);
      std::copy_n(row(id), words_, bits_.data() + static_cast<size_t>(child) * words_);
      bits_[static_cast<size_t>(child) * words_ + l / 64] |= uint64_t{1} << (l % 64);
      Node c;
      c.hash = parent.hash ^ zobrist_[l];
      c.key = key;
      c.parent = id;
      c.layer = l;
      c.depth = parent.depth + 1;
      nodes_.push_back(c);
      if (auto it = seen_.find(child); it != seen_.end()) {
        const int old = *it;
        nodes_.pop_back();
        bits_.resize(bits_.size() - words_);
        if (key < nodes_[old].key) {
          nodes_[old].key = key, nodes_[old].parent = id, nodes_[old].layer = l;
          queue_.push({key, nodes_[old].depth, seq_++, old});
        }
        continue;
      }
      nodes_[child].live = g_.live_after(l, parent.live, [&](int t) { return done(id, t); });
      nodes_[child].ready_begin = static_cast<int>(ready_.size());
      for (int k = parent.ready_begin; k < parent.ready_end; ++k)
        if (const int k_layer = ready_[k]; k_layer != l) ready_.push_back(k_layer);
      for (int k : g_.consumers(l)) {
        const auto& ins = g_.inputs(k);
        if (std::all_of(ins.begin(), ins.end(), [&](int p) { return done(child, p); })) ready_.push_back(k);
      }
      std::sort(ready_.begin() + nodes_[child].ready_begin, ready_.end());
      nodes_[child].ready_end = static_cast<int>(ready_.size());
      seen_.insert(child);
      queue_.push({key, c.depth, seq_++, child});
      if (static_cast<int64_t>(nodes_.size()) > max_states_) return false;
    }
    return true;
  }

  const Liveness& g_;
  size_t words_;
  int64_t max_states_;
  std::vector<uint64_t> zobrist_, bits_;
  std::vector<Node> nodes_;
  std::vector<int> ready_;
  std::unordered_set<int, Hash, Equal> seen_;
  std::priority_queue<Entry> queue_;
  int64_t seq_ = 0;
};

}  // namespace

LayerCounts try_layer_counts(const Network& net, const Layer& l) {
  using checked::add;
  using checked::mul;
  LayerCounts n{0, 0, 0};
  const int64_t out = l.out.c * l.out.h * l.out.w;  // infer_shapes() bounds it by 2^40
  auto channel = [&]() -> std::optional<int64_t> {  // bias and folded batch norm
    return add(l.bias ? l.out_channels : 0, l.batch_norm ? 2 * l.out_channels : 0);
  };
  auto plus = [](std::optional<int64_t> a, std::optional<int64_t> b) -> std::optional<int64_t> {
    return a && b ? add(*a, *b) : std::nullopt;
  };
  const std::optional<int64_t> fused_act = l.act != Act::None && l.op != Op::Activation ? out : 0;
  n.vector_ops = fused_act;
  switch (l.op) {
    case Op::Conv2d: {
      const int64_t in_per_group = net.in_shape(l).c / l.groups;
      n.params = plus(mul(l.out_channels, in_per_group, l.kernel_h, l.kernel_w), channel());
      n.macs = mul(l.out.h, l.out.w, l.out_channels, in_per_group, l.kernel_h, l.kernel_w);
      break;
    }
    case Op::FullyConnected: {
      const Shape& in = net.in_shape(l);
      const std::optional<int64_t> weights = mul(in.c, in.h, in.w, l.out_channels);
      n.params = plus(weights, channel());
      n.macs = weights;
      break;
    }
    case Op::SqueezeExcite: {
      const int64_t c = net.in_shape(l).c, se = l.se_channels;
      n.params = plus(mul(2, c, se), add(c, se));
      n.macs = mul(2, c, se);
      n.vector_ops = mul(2, net.in_shape(l).c, net.in_shape(l).h, net.in_shape(l).w);  // pool + gate
      break;
    }
    case Op::MaxPool:
    case Op::AvgPool: n.vector_ops = mul(out, l.kernel_h, l.kernel_w); break;
    case Op::GlobalAvgPool: n.vector_ops = mul(net.in_shape(l).c, net.in_shape(l).h, net.in_shape(l).w); break;
    case Op::Add: n.vector_ops = plus(mul(out, static_cast<int64_t>(l.inputs.size()) - 1), fused_act); break;
    case Op::Mul: n.vector_ops = plus(out, fused_act); break;
    case Op::Activation: n.vector_ops = out; break;
    case Op::Resize: n.vector_ops = mul(out, l.resize_mode == ResizeMode::Bilinear ? 4 : 1); break;
    case Op::BatchNorm:  // scale and shift
      n.params = mul(2, l.out.c);
      n.vector_ops = plus(mul(out, 2), fused_act);
      break;
    case Op::LayerNorm:  // mean, variance, normalise, scale and shift
      n.params = mul(2, l.out.c);
      n.vector_ops = plus(mul(out, 5), fused_act);
      break;
    case Op::ChannelScale:
      n.params = l.out.c;
      n.vector_ops = plus(out, fused_act);
      break;
    default: break;  // ChannelShuffle and ChannelSlice move data (DMA), computing nothing
  }
  return n;
}

namespace {

int64_t count_or_throw(std::optional<int64_t> v, const Layer& l, const char* what) {
  if (!v) throw input_error("layer '{}': its {} overflow a 64-bit count (docs/model-format.md, Limits)", l.name, what);
  return *v;
}

}  // namespace

int64_t layer_params(const Network& net, const Layer& l) {
  return count_or_throw(try_layer_counts(net, l).params, l, "parameters");
}

int64_t layer_macs(const Network& net, const Layer& l) {
  return count_or_throw(try_layer_counts(net, l).macs, l, "MACs");
}

int64_t layer_vector_ops(const Network& net, const Layer& l) {
  return count_or_throw(try_layer_counts(net, l).vector_ops, l, "vector operations");
}

NetworkStats network_stats(const Network& net, int bytes_per_element, int64_t max_search_states) {
  NetworkStats s;
  for (const Layer& l : net.layers) {
    const LayerCounts n = try_layer_counts(net, l);
    s.params = count_or_throw(checked::add(s.params, count_or_throw(n.params, l, "parameters")), l,
                              "parameters, summed over the network so far,");
    s.macs = count_or_throw(checked::add(s.macs, count_or_throw(n.macs, l, "MACs")), l,
                            "MACs, summed over the network so far,");
    s.vector_ops = count_or_throw(checked::add(s.vector_ops, count_or_throw(n.vector_ops, l, "vector operations")),
                                  l, "vector operations, summed over the network so far,");
  }
  if (net.layers.empty()) return s;

  const Liveness g(net, bytes_per_element);
  std::vector<int> index_order(net.layers.size());
  for (size_t i = 0; i < index_order.size(); ++i) index_order[i] = static_cast<int>(i);
  std::vector<int> greedy = g.greedy_order();
  const int64_t greedy_peak = g.peak(greedy), index_peak = g.peak(index_order);
  s.best_order = greedy_peak < index_peak ? std::move(greedy) : std::move(index_order);
  s.peak_activation_bytes = std::min(greedy_peak, index_peak);

  const int64_t lower = g.lower_bound();
  if (lower >= s.peak_activation_bytes) return s;
  // Keep the memo under ~64 MiB of state bits on very large networks.
  const int64_t words = (g.size() + 63) / 64;
  PeakSearch search(g, std::min(max_search_states, (int64_t{1} << 23) / words));
  s.peak_is_exact = search.run(lower, s.peak_activation_bytes, s.best_order, s.peak_activation_bytes) !=
                    PeakSearch::Outcome::Capped;
  return s;
}

}  // namespace nesim
