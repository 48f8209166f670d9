// SCALE-Sim topology CSVs imported as the convolutions SCALE-Sim itself computes
// (docs/model-format.md, "SCALE-Sim topologies").
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "sim/graph/stats.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/scalesim_topology.h"
#include "sim/util/error.h"
#include "tests/support/input_error.h"

using namespace nesim;

namespace {

std::string topologies_dir() { return std::string(NESIM_SHARED_DIR) + "/data/scalesim/topologies"; }

const Layer& layer(const Network& net, const std::string& name) {
  const int i = net.find(name);
  REQUIRE_MESSAGE(i >= 0, "no layer named ", name);
  return net.layers[i];
}

int64_t total_macs(const Network& net) {
  int64_t macs = 0;
  for (const Layer& l : net.layers) macs += layer_macs(net, l);
  return macs;
}

using nesim::test::error_of;

std::string parse_error(const std::string& text) {
  return error_of([&] { parse_scalesim_topology(text, "t.csv", "t"); });
}

#define CHECK_HAS(text, part) CHECK_MESSAGE((text).find(part) != std::string::npos, "message: ", text)

const char* const kHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";

}  // namespace

TEST_SUITE("unit: does a SCALE-Sim topology import as the layers SCALE-Sim computes?") {
  TEST_CASE("every shipped topology imports: one Input and one conv per row, SCALE-Sim's MAC total") {
    // Rows, and sum over rows of ofmap_h * ofmap_w * filter_h * filter_w * channels * filters with
    // ofmap = ceil((ifmap - filter + stride) / stride) (SCALE-Sim v2 topology_utils.topo_calc_hyperparams).
    const std::map<std::string, std::pair<size_t, int64_t>> expected = {
        {"Resnet18", {21, 1'471'181'568}},      {"Resnet50_mlperf", {54, 3'479'536'384}},
        {"alexnet", {5, 805'118'496}},          {"mobilenet", {27, 565'519'488}},
        {"yolo_tiny", {9, 1'753'649'072}},
    };
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(topologies_dir())) {
      if (entry.path().extension() != ".csv") continue;
      const std::string stem = entry.path().stem().string();
      CAPTURE(stem);
      REQUIRE(expected.count(stem) == 1);
      ++files;
      const Network net = load_model(entry.path().string());
      const auto [rows, macs] = expected.at(stem);
      CHECK(net.name == stem);
      CHECK(net.layers.size() == 2 * rows);
      CHECK(net.outputs.empty());
      for (size_t r = 0; r < rows; ++r) {
        const Layer& in = net.layers[2 * r];
        const Layer& conv = net.layers[2 * r + 1];
        CHECK(in.op == Op::Input);
        CHECK(in.name == conv.name + ".ifmap");
        CHECK(conv.op == Op::Conv2d);
        CHECK(conv.inputs == std::vector<int>{static_cast<int>(2 * r)});
        CHECK(!conv.batch_norm);
        CHECK(!conv.bias);
        CHECK(conv.act == Act::None);
      }
      CHECK(total_macs(net) == macs);
    }
    CHECK(files == expected.size());
  }

  TEST_CASE("rows are independent: peak activation is the largest row's IFMAP + OFMAP, as SCALE-Sim runs them") {
    // mobilenet.csv Conv3: 32x112x112 in, 64x112x112 out (int8).
    const NetworkStats s = network_stats(load_model(topologies_dir() + "/mobilenet.csv"), 1);
    CHECK(s.best_order.size() == 54);
    CHECK(s.peak_activation_bytes == 32 * 112 * 112 + 64 * 112 * 112);
  }

  TEST_CASE("hand-checked rows: ResNet18 Conv1 hangs a window past the edge, MobileNet's depthwise is one filter") {
    const Network r18 = load_model(topologies_dir() + "/Resnet18.csv");
    const Layer& c1 = layer(r18, "Conv1");
    CHECK(r18.in_shape(c1) == Shape{3, 224, 224});
    CHECK(c1.kernel_h == 7);
    CHECK(c1.stride_h == 2);
    CHECK(c1.pad_top == 0);
    CHECK(c1.pad_bottom == 1);  // ceil((224 - 7 + 2) / 2) = 110, not floor((224 - 7) / 2) + 1 = 109
    CHECK(c1.out == Shape{64, 110, 110});
    CHECK(layer_macs(r18, c1) == 110LL * 110 * 7 * 7 * 3 * 64);
    const Layer& c2 = layer(r18, "Conv2_1a");
    CHECK(c2.out == Shape{64, 54, 54});  // 56x56 "already padded" IFMAP, 3x3 filter
    CHECK(layer_params(r18, c2) == 64 * 64 * 9);

    const Network mb = load_model(topologies_dir() + "/mobilenet.csv");
    const Layer& dw = layer(mb, "Conv2");
    CHECK(dw.groups == 1);
    CHECK(dw.out_channels == 1);
    CHECK(dw.out == Shape{1, 110, 110});
    CHECK(layer_macs(mb, dw) == 110LL * 110 * 3 * 3 * 32);
  }

  TEST_CASE("GEMM form: each M, N, K row is a 1x1 conv with K channels over M pixels and N filters") {
    const Network net = parse_scalesim_topology("Layer Name, M, N, K,\nTest 1, 256, 128, 64,\nQKT,1024,1024,64\n", "g.csv", "g");
    CHECK(net.layers.size() == 4);
    const Layer& t = layer(net, "Test 1");
    CHECK(net.in_shape(t) == Shape{64, 256, 1});
    CHECK(t.kernel_h == 1);
    CHECK(t.kernel_w == 1);
    CHECK(t.out == Shape{128, 256, 1});
    CHECK(layer_macs(net, t) == 256LL * 128 * 64);
    CHECK(layer_macs(net, layer(net, "QKT")) == 1024LL * 1024 * 64);
  }

  TEST_CASE("rows named DP are SCALE-Sim's per-channel depthwise split: one grouped conv, the same MACs") {
    const Network net = parse_scalesim_topology(std::string(kHeader) + "Conv_DP1, 10, 10, 3, 3, 8, 1, 1,\nConv_DP2, 10, 10, 3, 3, 8, 2, 1,\n", "t.csv", "t");
    const Layer& dw = layer(net, "Conv_DP1");
    CHECK(dw.groups == 8);
    CHECK(dw.is_depthwise(net.in_shape(dw)));
    CHECK(dw.out == Shape{8, 8, 8});
    CHECK(layer_macs(net, dw) == 8 * (8 * 8 * 3 * 3 * 1 * 1));  // 8 one-channel layers of one filter
    const Layer& mult = layer(net, "Conv_DP2");
    CHECK(mult.out == Shape{16, 8, 8});
    CHECK(layer_macs(net, mult) == 8 * (8 * 8 * 3 * 3 * 1 * 2));
  }

  TEST_CASE("format details: column stride, Sparsity column, blank lines, comments, tabs, duplicate names") {
    const Network net = parse_scalesim_topology(
        "Layer name, IFMAP height, IFMAP width, Filter height, Filter width, Channels, Num filter, Stride height, Stride width,\n"
        "\n"
        "A, 9, 12, 3, 3, 4, 5, 2, 3,\n"
        "\tB,9,9,1,1,4,4,1,#dw\n"
        "B,9,9,1,1,4,4,1\r\n",
        "t.csv", "t");
    const Layer& a = layer(net, "A");
    CHECK(a.stride_h == 2);
    CHECK(a.stride_w == 3);
    CHECK(a.out == Shape{5, 4, 4});  // ceil((9 - 3 + 2) / 2) = 4, ceil((12 - 3 + 3) / 3) = 4
    CHECK(layer(net, "B").out == Shape{4, 9, 9});
    CHECK(layer(net, "B_1").out == Shape{4, 9, 9});
    CHECK(net.find("B_1.ifmap") >= 0);

    const Network sp = parse_scalesim_topology(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,\n"
        "CONV_1,     5,            5,           3,             3,            2,        6,          1,       2:4,\n",
        "s.csv", "s");
    CHECK(layer(sp, "CONV_1").out == Shape{6, 3, 3});
  }

  TEST_CASE("bad topology rows name the file, line, row and column") {
    CHECK_HAS(parse_error(std::string(kHeader) + "Conv1, 224, 224, 7, x, 3, 64, 2,\n"),
              "t.csv:2: row 'Conv1': column 'Filter Width': expected a positive integer, got 'x'");
    CHECK_HAS(parse_error(std::string(kHeader) + "Conv1, 224, 224, 7, 7, 0, 64, 2,\n"),
              "column 'Channels': expected a positive integer, got '0'");
    CHECK_HAS(parse_error(std::string(kHeader) + "\nConv1, 224, 224, 7, 7, 3,\n"), "t.csv:3: row 'Conv1': expected 8 or 9 columns");
    CHECK_HAS(parse_error(std::string(kHeader) + "Conv1, 5, 5, 7, 7, 3, 64, 1,\n"),
              "t.csv:2: row 'Conv1': filter 7x7 is larger than the IFMAP 5x5");
    CHECK_HAS(parse_error("Layer, M, N, K,\nFC, 1, 2,\n"), "t.csv:2: row 'FC': expected 4 columns (Layer, M, N, K), got 3");
    CHECK_HAS(parse_error(std::string(kHeader) + ", 5, 5, 1, 1, 3, 64, 1,\n"), "t.csv:2: column 'Layer name': expected a layer name");
    CHECK_HAS(parse_error("Layer, IFMAP Height\n"), "t.csv:1: expected a SCALE-Sim header row");
    CHECK(parse_error(kHeader) == "t.csv: no layers (expected a SCALE-Sim header row and at least one layer row)");
    CHECK(parse_error("") == "t.csv: no layers (expected a SCALE-Sim header row and at least one layer row)");
    CHECK_HAS(error_of([] { load_model("/nonexistent/topo.csv"); }), "/nonexistent/topo.csv: cannot read the SCALE-Sim topology: no such file");
  }
}
