// unit: are parameter, MAC, vector-op counts and the peak activation memory of a network right?
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/graph/stats.h"
#include "tests/support/network_builders.h"

using namespace nesim;

namespace {

using test::layer;
using test::with_input;

Layer conv(const std::string& name, int input, int64_t out_c, int k = 1, int stride = 1, int groups = 1) {
  Layer l = layer(name, Op::Conv2d, {input});
  l.out_channels = out_c;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = (k - 1) / 2;
  l.groups = groups;
  return l;
}

// Bytes live while `l` runs after the layers in `done`, straight from the definition: every
// produced tensor that is a network output or has a consumer not yet run, plus l's output.
int64_t step_bytes(const Network& net, const std::vector<bool>& done, int l, int bpe) {
  const auto cons = net.consumers();
  const auto outs = net.output_indices();
  int64_t live = net.layers[l].out.elements();
  for (size_t t = 0; t < net.layers.size(); ++t) {
    if (!done[t]) continue;
    const bool out = std::count(outs.begin(), outs.end(), static_cast<int>(t)) > 0;
    const bool needed = std::any_of(cons[t].begin(), cons[t].end(), [&](int c) { return !done[c]; });
    if (out || needed) live += net.layers[t].out.elements();
  }
  return live * bpe;
}

int64_t reference_peak(const Network& net, const std::vector<int>& order, int bpe) {
  std::vector<bool> done(net.layers.size(), false);
  done[0] = true;
  int64_t peak = net.layers[0].out.elements() * bpe;
  for (size_t k = 1; k < order.size(); ++k) {
    peak = std::max(peak, step_bytes(net, done, order[k], bpe));
    done[order[k]] = true;
  }
  return peak;
}

// Least peak over all topological orders, by dynamic programming over every subset (small graphs).
int64_t reference_best_peak(const Network& net, int bpe) {
  const int n = static_cast<int>(net.layers.size());
  std::vector<int64_t> memo(size_t{1} << n, -1);
  std::function<int64_t(uint32_t)> finish = [&](uint32_t mask) -> int64_t {
    if (mask == (uint32_t{1} << n) - 1) return 0;
    if (memo[mask] >= 0) return memo[mask];
    std::vector<bool> done(n);
    for (int t = 0; t < n; ++t) done[t] = mask >> t & 1;
    int64_t best = INT64_MAX;
    for (int l = 1; l < n; ++l) {
      const auto& ins = net.layers[l].inputs;
      if (done[l] || !std::all_of(ins.begin(), ins.end(), [&](int p) { return done[p]; })) continue;
      best = std::min(best, std::max(step_bytes(net, done, l, bpe), finish(mask | uint32_t{1} << l)));
    }
    return memo[mask] = best;
  };
  return std::max(net.layers[0].out.elements() * bpe, finish(1));
}

bool is_topological_permutation(const Network& net, const std::vector<int>& order) {
  std::vector<bool> done(net.layers.size(), false);
  if (order.size() != net.layers.size()) return false;
  for (int l : order) {
    if (l < 0 || l >= static_cast<int>(done.size()) || done[l]) return false;
    for (int p : net.layers[l].inputs)
      if (!done[p]) return false;
    done[l] = true;
  }
  return true;
}

// x (10 B) feeds a1 (100 B) -> a2 (1 B) and b1 (50 B); concat(a2, b1). Index order runs b1 first.
Network branching() {
  Network net = with_input({10, 1, 1});
  const int b1 = net.add(conv("b1", 0, 50));
  const int a1 = net.add(conv("a1", 0, 100));
  const int a2 = net.add(conv("a2", a1, 1));
  net.add(layer("cat", Op::Concat, {a2, b1}));
  net.infer_shapes("t");
  return net;
}

}  // namespace

TEST_SUITE("unit: network stats") {
  TEST_CASE("conv, depthwise, grouped conv, fc and se count parameters and MACs like torchvision") {
    Network net = with_input({3, 32, 32});
    Layer c = conv("conv", 0, 16, 3);
    c.batch_norm = true;
    const int ci = net.add(c);
    Layer dw = conv("dw", ci, 16, 3, 2, 16);
    dw.batch_norm = true;
    const int dwi = net.add(dw);
    const int gi = net.add(conv("grouped", dwi, 4, 1, 1, 2));
    Layer fc = layer("fc", Op::FullyConnected, {gi});
    fc.out_channels = 10;
    fc.bias = true;
    const int fci = net.add(fc);
    Layer se = layer("se", Op::SqueezeExcite, {dwi});
    se.se_channels = 4;
    const int sei = net.add(se);
    net.infer_shapes("t");
    REQUIRE(net.layers[dwi].out == Shape{16, 16, 16});
    REQUIRE(net.layers[gi].out == Shape{4, 16, 16});

    CHECK(layer_params(net, net.layers[ci]) == 16 * 3 * 3 * 3 + 2 * 16);  // 464
    CHECK(layer_macs(net, net.layers[ci]) == 32 * 32 * 16 * 3 * 9);       // 442,368
    CHECK(layer_params(net, net.layers[dwi]) == 16 * 1 * 9 + 2 * 16);     // 176
    CHECK(layer_macs(net, net.layers[dwi]) == 16 * 16 * 16 * 9);          // 36,864
    CHECK(layer_params(net, net.layers[gi]) == 4 * (16 / 2));
    CHECK(layer_macs(net, net.layers[gi]) == 16 * 16 * 4 * 8);
    CHECK(layer_params(net, net.layers[fci]) == 4 * 16 * 16 * 10 + 10);  // flattens 4x16x16
    CHECK(layer_macs(net, net.layers[fci]) == 4 * 16 * 16 * 10);
    CHECK(layer_params(net, net.layers[sei]) == 16 * 4 + 4 + 4 * 16 + 16);  // 148
    CHECK(layer_macs(net, net.layers[sei]) == 2 * 16 * 4);
    CHECK(layer_params(net, net.layers[0]) == 0);
    CHECK(layer_macs(net, net.layers[0]) == 0);
  }

  TEST_CASE("vector ops count pooling windows, merges, activations, resize and SE gating") {
    Network net = with_input({16, 32, 32});  // 16,384 elements
    const int64_t e = 16 * 32 * 32;
    Layer pool = conv("pool", 0, 0, 3, 2);
    pool.op = Op::MaxPool;
    const int p = net.add(pool);
    const int gap = net.add(layer("gap", Op::GlobalAvgPool, {0}));
    Layer relu_conv = conv("relu_conv", 0, 8);
    relu_conv.act = Act::Relu;
    const int rc = net.add(relu_conv);
    const int plain = net.add(conv("plain", 0, 8));
    const int add = net.add(layer("add", Op::Add, {0, 0, 0}));
    Layer add_relu = layer("add_relu", Op::Add, {0, 0});
    add_relu.act = Act::Relu;
    const int ar = net.add(add_relu);
    const int mul = net.add(layer("mul", Op::Mul, {0, gap}));
    Layer up = layer("up", Op::Resize, {0});
    up.out_h = up.out_w = 64;
    const int near = net.add(up);
    up.name = "up_bilinear";
    up.resize_mode = ResizeMode::Bilinear;
    const int bil = net.add(up);
    const int act = net.add(layer("act", Op::Activation, {0}));
    Layer se = layer("se", Op::SqueezeExcite, {0});
    se.se_channels = 4;
    const int sei = net.add(se);
    const int cat = net.add(layer("cat", Op::Concat, {0, 0}));
    net.infer_shapes("t");

    const auto ops = [&](int i) { return layer_vector_ops(net, net.layers[i]); };
    CHECK(ops(p) == 16 * 16 * 16 * 9);
    CHECK(ops(gap) == e);
    CHECK(ops(rc) == 8 * 32 * 32);
    CHECK(ops(plain) == 0);
    CHECK(ops(add) == 2 * e);
    CHECK(ops(ar) == 2 * e);  // one add plus the fused relu
    CHECK(ops(mul) == e);
    CHECK(ops(near) == 16 * 64 * 64);
    CHECK(ops(bil) == 4 * 16 * 64 * 64);
    CHECK(ops(act) == e);
    CHECK(ops(sei) == 2 * e);
    CHECK(ops(cat) == 0);
    CHECK(layer_macs(net, net.layers[p]) == 0);
    CHECK(layer_params(net, net.layers[mul]) == 0);
  }

  TEST_CASE("network totals sum the layers") {
    Network net = with_input({3, 32, 32});
    Layer c = conv("conv", 0, 16, 3);
    c.batch_norm = true;
    c.act = Act::Relu;
    const int ci = net.add(c);
    Layer dw = conv("dw", ci, 16, 3, 2, 16);
    dw.batch_norm = true;
    dw.act = Act::Relu;
    const int gap = net.add(layer("gap", Op::GlobalAvgPool, {net.add(dw)}));
    Layer fc = layer("fc", Op::FullyConnected, {gap});
    fc.out_channels = 10;
    fc.bias = true;
    net.add(fc);
    net.infer_shapes("t");
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.params == 464 + 176 + 170);
    CHECK(s.macs == 442'368 + 36'864 + 160);
    CHECK(s.vector_ops == 16 * 32 * 32 + 16 * 16 * 16 + 16 * 16 * 16);
  }

  TEST_CASE("peak activation of a chain is the largest input + output pair") {
    Network net = with_input({4, 4, 4});  // 64 B
    net.add(conv("c1", 0, 8));            // 128 B
    net.add(conv("c2", 1, 2));            // 32 B
    net.add(conv("c3", 2, 1));            // 16 B
    net.infer_shapes("t");
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.peak_activation_bytes == 64 + 128);
    CHECK(s.peak_is_exact);
    CHECK(s.best_order == std::vector<int>{0, 1, 2, 3});
    CHECK(network_stats(net, 2).peak_activation_bytes == 2 * (64 + 128));
  }

  TEST_CASE("a 1000-layer chain is solved exactly") {
    Network net = with_input({1, 2, 2});
    for (int i = 1; i < 1000; ++i) net.add(conv(fmt::format("l{}", i), i - 1, i % 7 + 1));
    net.infer_shapes("t");
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.peak_activation_bytes == 4 * (6 + 7));  // the largest neighbouring channel pair
    CHECK(s.peak_is_exact);
    CHECK(s.best_order.size() == 1000);
    CHECK(std::is_sorted(s.best_order.begin(), s.best_order.end()));
  }

  TEST_CASE("peak activation of a residual block keeps the skip tensor live") {
    Network net = with_input({8, 4, 4});  // x: 128 B
    net.add(conv("a", 0, 16));            // 256 B
    net.add(conv("b", 1, 8));             // 128 B
    net.add(layer("add", Op::Add, {0, 2}));
    net.infer_shapes("t");
    // a: x + a = 384; b: x + a + b = 512; add: x + b + add = 384.
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.peak_activation_bytes == 512);
    CHECK(s.peak_is_exact);
  }

  TEST_CASE("network outputs stay live to the end") {
    Network net = with_input({10, 1, 1});
    const int a = net.add(conv("a", 0, 20));
    const int b = net.add(conv("b", a, 5));
    const int c = net.add(conv("c", b, 30));
    net.infer_shapes("t");
    CHECK(network_stats(net, 1).peak_activation_bytes == 5 + 30);  // a is freed once b has run
    net.outputs = {a, c};
    CHECK(network_stats(net, 1).peak_activation_bytes == 20 + 5 + 30);
  }

  TEST_CASE("the best order beats index order on a branching graph") {
    const Network net = branching();
    // Index order b1, a1, a2: a1 runs with x + b1 live = 10 + 50 + 100 = 160.
    CHECK(reference_peak(net, {0, 1, 2, 3, 4}, 1) == 160);
    // Best: finish a1 -> a2 first (x + a1 + a2 = 111), then b1 (x + a2 + b1 = 61), cat (102).
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.peak_activation_bytes == 111);
    CHECK(s.peak_activation_bytes < 160);
    CHECK(s.peak_is_exact);
    CHECK(s.best_order == std::vector<int>{0, 2, 3, 1, 4});
  }

  TEST_CASE("a capped search falls back to a heuristic order and says so") {
    const Network net = branching();
    const NetworkStats s = network_stats(net, 1, 1);
    CHECK_FALSE(s.peak_is_exact);
    CHECK(s.peak_activation_bytes >= 111);
    CHECK(is_topological_permutation(net, s.best_order));
    CHECK(reference_peak(net, s.best_order, 1) == s.peak_activation_bytes);
  }

  TEST_CASE("independent inputs (SCALE-Sim rows) are loaded when the search finds it cheapest") {
    Network net = with_input({10, 1, 1});
    const int c1 = net.add(conv("c1", 0, 20));
    Layer ifmap = layer("c3.ifmap", Op::Input, {});
    ifmap.out = {30, 1, 1};
    const int c3 = net.add(conv("c3", net.add(ifmap), 5));
    net.outputs = {c1, c3};
    net.infer_shapes("t");
    // Index order: c1 (30), ifmap (20 + 30), c3 (20 + 30 + 5 = 55). Best: ifmap (40), c3 (45), c1 (35).
    CHECK(reference_peak(net, {0, 1, 2, 3}, 1) == 55);
    const NetworkStats s = network_stats(net, 1);
    CHECK(s.peak_activation_bytes == 45);
    CHECK(s.peak_activation_bytes == reference_best_peak(net, 1));
    CHECK(s.peak_is_exact);
    CHECK(s.best_order == std::vector<int>{0, 2, 3, 1});
    const NetworkStats capped = network_stats(net, 1, 1);
    CHECK(is_topological_permutation(net, capped.best_order));
    CHECK(reference_peak(net, capped.best_order, 1) == capped.peak_activation_bytes);
  }

  TEST_CASE("the order search matches exhaustive search on random small graphs, deterministically") {
    uint64_t seed = 12345;
    const auto next = [&](int bound) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<int>((seed >> 33) % static_cast<uint64_t>(bound));
    };
    for (int trial = 0; trial < 300; ++trial) {
      const int n = 3 + next(9);  // up to 11 layers
      Network net = with_input({1 + next(30), 1, 1});
      for (int i = 1; i < n; ++i) {
        const int a = next(i);
        if (i >= 2 && next(3) == 0) {
          int b = next(i);
          if (b == a) b = (a + 1) % i;
          net.add(layer(fmt::format("l{}", i), Op::Concat, {a, b}));
        } else {
          net.add(conv(fmt::format("l{}", i), a, 1 + next(40)));
        }
      }
      if (next(2) == 0) net.outputs = {n - 1, 1 + next(n - 1)};
      net.infer_shapes("t");
      CAPTURE(trial);
      const NetworkStats s = network_stats(net, 2);
      REQUIRE(s.peak_is_exact);
      CHECK(s.peak_activation_bytes == reference_best_peak(net, 2));
      CHECK(is_topological_permutation(net, s.best_order));
      CHECK(reference_peak(net, s.best_order, 2) == s.peak_activation_bytes);
      const NetworkStats again = network_stats(net, 2);
      CHECK(again.best_order == s.best_order);
    }
  }
}
