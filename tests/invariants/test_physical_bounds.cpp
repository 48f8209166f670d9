// invariants: do the physical bounds hold on random layers drawn from real networks?
// Layers come from ../shared/data/layer_shapes (nn-Meter's prior of 24 published CNNs).
#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/compiler/compiler.h"
#include "sim/engine/engine.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/timing/unit_timing.h"

using namespace nesim;

namespace {

struct Row {
  std::vector<int64_t> v;  // numeric columns after `model`
};

std::vector<Row> read_rows(const std::string& file) {
  std::ifstream in(std::string(NESIM_SHARED_DIR) + "/data/layer_shapes/" + file);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');  // model name
    Row r;
    while (std::getline(ss, cell, ',')) r.v.push_back(std::stoll(cell));
    rows.push_back(r);
  }
  return rows;
}

Network single_layer(Layer l, Shape in) {
  Network net;
  net.name = "random_" + l.name;
  Layer input;
  input.name = "input";
  input.op = Op::Input;
  input.out = in;
  net.add(input);
  l.inputs = {0};
  net.add(l);
  net.infer_shapes(net.name);
  return net;
}

Layer conv(int64_t cout, int k, int stride, int groups) {
  Layer l;
  l.name = "conv";
  l.op = Op::Conv2d;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = (k - 1) / 2;
  l.groups = groups;
  l.out_channels = cout;
  l.batch_norm = true;
  l.act = Act::Relu;
  return l;
}

// Draws `n` random layers of each kind (seeded: the same layers every run).
std::vector<Network> random_layers(int n) {
  std::mt19937 rng(2024);
  std::vector<Network> nets;
  auto pick = [&](const std::vector<Row>& rows) { return rows[rng() % rows.size()].v; };
  auto convs = read_rows("conv.csv"), dws = read_rows("dwconv.csv"), fcs = read_rows("fc.csv"),
       pools = read_rows("pooling.csv");
  for (int i = 0; i < n; ++i) {
    auto c = pick(convs);  // input_h, input_w, cin, cout, ks, stride, groups
    nets.push_back(single_layer(conv(c[3], static_cast<int>(c[4]), static_cast<int>(c[5]), static_cast<int>(c[6])),
                                {c[2], c[0], c[1]}));
    auto d = pick(dws);
    nets.push_back(single_layer(conv(d[3], static_cast<int>(d[4]), static_cast<int>(d[5]), static_cast<int>(d[6])),
                                {d[2], d[0], d[1]}));
    auto f = pick(fcs);
    Layer fc;
    fc.name = "fc";
    fc.op = Op::FullyConnected;
    fc.out_channels = f[1];
    fc.bias = true;
    nets.push_back(single_layer(fc, {f[0], 1, 1}));
    auto p = pick(pools);  // input_h, input_w, cin, cout, ks, stride
    Layer pool;
    pool.name = "pool";
    pool.op = Op::MaxPool;
    pool.kernel_h = pool.kernel_w = static_cast<int>(p[4]);
    pool.stride_h = pool.stride_w = static_cast<int>(p[5]);
    nets.push_back(single_layer(pool, {p[2], p[0], p[1]}));
  }
  return nets;
}

}  // namespace

TEST_SUITE("invariants: physical bounds on random real layers") {
  TEST_CASE("cycles, bytes and completion hold on every shipped engine") {
    std::vector<Network> nets = random_layers(25);
    for (const char* cfg : {"ne-pf8", "ne-pf16", "ne-pf32", "ne-pf64"}) {
      HwConfig hw = load_hw_config(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/" + cfg + ".yaml");
      for (const Network& net : nets) {
        CAPTURE(cfg);
        CAPTURE(net.name);
        CAPTURE(net.layers[1].out.c);
        Program p = compile(net, hw);
        SimResult r = Engine::instance().run(p);
        const Layer& l = net.layers[1];
        int64_t macs = layer_macs(net, l);

        // Compute bound: no engine does more MACs per cycle than its array has.
        CHECK(r.total_cycles * hw.macs_per_cycle() >= macs);
        // Bandwidth bound: every DRAM byte crosses the bus.
        int64_t busy = 0;
        for (const Kernel& k : p.kernels)
          for (const Tile& t : k.tiles)
            busy += dram_busy_cycles(hw, t.load_ifmap_bytes) + dram_busy_cycles(hw, t.load_weight_bytes) +
                    dram_busy_cycles(hw, t.store_bytes);
        CHECK(r.total_cycles >= busy);

        // Bytes conserved: what the records report is what the tiles moved; the input and the
        // weights are read at least once, the output written exactly once.
        int64_t rd = 0, wr = 0;
        for (const Kernel& k : p.kernels)
          for (const Tile& t : k.tiles) {
            rd += t.load_ifmap_bytes + t.load_weight_bytes;
            wr += t.store_bytes;
          }
        CHECK(r.dram_read_bytes == rd);
        CHECK(r.dram_write_bytes == wr);
        int64_t bpe = hw.bytes_per_element();
        const Shape& in = net.layers[0].out;
        int64_t weights = l.op == Op::Conv2d ? l.out_channels * (in.c / l.groups) * l.kernel_h * l.kernel_w
                          : l.op == Op::FullyConnected ? in.elements() * l.out_channels
                                                       : 0;
        // Input rows no window touches (past the last window, or skipped by a stride longer than the
        // kernel) are never needed.
        int64_t rows_needed = in.h;
        if (l.op != Op::FullyConnected) {
          int64_t dil = l.op == Op::Conv2d ? l.dilation_h : 1;
          rows_needed = std::min<int64_t>(in.h, (l.out.h - 1) * l.stride_h + dil * (l.kernel_h - 1) + 1 - l.pad_top);
          if (l.kernel_h < l.stride_h) rows_needed = std::min<int64_t>(rows_needed, l.out.h * l.kernel_h);
        }
        CHECK(r.dram_read_bytes >= (rows_needed * in.w * in.c + weights) * bpe);
        CHECK(r.dram_write_bytes == l.out.elements() * bpe);

        // No deadlock: the run ended with every layer accounted for, in order.
        REQUIRE(r.layers.size() == 1);
        CHECK(r.layers[0].end_cycle == r.total_cycles);
        CHECK(r.layers[0].compute_cycles <= r.layers[0].total_cycles);
        CHECK(r.layers[0].stall_cycles >= 0);
        CHECK(r.layers[0].mac_utilization <= 1.0);
        // SRAM: the compiler never plans beyond capacity.
        for (const Kernel& k : p.kernels) CHECK(k.sram_peak_bytes <= hw.sram_bytes());
      }
    }
  }
}
