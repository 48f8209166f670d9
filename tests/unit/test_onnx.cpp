// unit: ONNX in and out (sim/modelfmt/onnx_*.cpp, sim/export/). The fixtures in tests/onnx/fixtures
// are written once by tests/onnx/make_fixtures.py: three real torch.onnx.export graphs, whose
// torch parameter and MAC counts are in expected.json, and one hand-made file per error.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/export/onnx_export.h"
#include "sim/export/pytorch_export.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/network_spec.h"
#include "sim/modelfmt/onnx_import.h"
#include "tests/support/input_error.h"

namespace {

using namespace nesim;
using nesim::test::error_of;

const std::string kFixtures = std::string(NESIM_SOURCE_DIR) + "/tests/onnx/fixtures/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_op(const Network& net, Op op) {
  int n = 0;
  for (const Layer& l : net.layers) n += l.op == op;
  return n;
}

const Layer& layer(const Network& net, const std::string& name) {
  const int i = net.find(name);
  REQUIRE_MESSAGE(i >= 0, "no layer ", name);
  return net.layers[i];
}

}  // namespace

TEST_SUITE("unit: does an ONNX graph that torch.onnx.export wrote import with torch's counts?") {
  TEST_CASE("the exported fixtures give torch's parameters exactly and its hook-counted MACs") {
    const nlohmann::json expected = nlohmann::json::parse(slurp(kFixtures + "expected.json"));
    for (const auto& [name, want] : expected.items()) {
      CAPTURE(name);
      const Network net = load_model(kFixtures + name + ".onnx");
      const NetworkStats s = network_stats(net, 1);
      CHECK(s.params == want["params"].get<int64_t>());
      CHECK(s.macs == want["macs"].get<int64_t>());
    }
  }

  TEST_CASE("opset 13 MobileNetV3-style: conv+BN+hardswish fold into one layer, SE becomes one layer") {
    const Network net = load_onnx(kFixtures + "tiny_mbv3.onnx");
    const Layer& stem = layer(net, "stem/stem_0/Conv");  // the ONNX node name, '.' written '_'
    CHECK(stem.batch_norm);
    CHECK(stem.act == Act::HSwish);  // x * hardsigmoid(x) before opset 14
    CHECK(count_op(net, Op::SqueezeExcite) == 1);
    CHECK(count_op(net, Op::Activation) == 0);
    const Layer& pool = layer(net, "pool/MaxPool");
    CHECK(pool.ceil_mode);
    CHECK(pool.out == Shape{16, 8, 8});  // 16x16, k3 s2, ceil mode: 8 (floor would give 7)
    CHECK(net.layers.back().op == Op::FullyConnected);  // x.view(x.size(0), -1): folded shape arithmetic
  }

  TEST_CASE("opset 11 ShuffleNetV2-style: chunk is two channel slices, view-transpose-view one shuffle") {
    const Network net = load_onnx(kFixtures + "tiny_shuffle.onnx");
    CHECK(count_op(net, Op::ChannelSlice) == 2);
    CHECK(count_op(net, Op::ChannelShuffle) == 1);
    for (const Layer& l : net.layers)
      if (l.op == Op::ChannelShuffle) CHECK(l.groups == 2);
    CHECK(net.layers.back().op == Op::GlobalAvgPool);
  }

  TEST_CASE("ConvNeXt-style: permute and LayerNorm (opset 17, or decomposed at 13), Linear as 1x1 conv, GELU, layer scale") {
    for (const char* file : {"tiny_convnext.onnx", "tiny_convnext_opset13.onnx"}) {
      CAPTURE(file);
      const Network net = load_onnx(kFixtures + file);
      CHECK(count_op(net, Op::LayerNorm) == 1);
      CHECK(count_op(net, Op::ChannelScale) == 1);
      CHECK(count_op(net, Op::Resize) == 1);
      CHECK(count_op(net, Op::Activation) == 0);
      int gelu = 0;
      for (const Layer& l : net.layers) gelu += l.act == Act::Gelu;
      CHECK(gelu == 1);
      CHECK(net.layers.back().out == Shape{16, 16, 16});
    }
  }

  TEST_CASE("hand-made: a Pad folds into the pool, Shape-Gather-Unsqueeze-Concat-Reshape folds to a flatten") {
    const Network net = load_onnx(kFixtures + "shape_chain.onnx");
    const Layer& pool = layer(net, "pool");
    CHECK(pool.pad_bottom == 1);
    CHECK(pool.pad_right == 1);
    CHECK(pool.pad_top == 0);
    CHECK(pool.out == Shape{4, 4, 4});
  }
}

TEST_SUITE("unit: does a bad ONNX file give one message naming the file and what is wrong?") {
  TEST_CASE("each error names the file, and the node, op and opset where there is one") {
    const struct {
      const char* file;
      const char* needle;
    } cases[] = {
        {"unsupported_op.onnx", "node 'leaky' (LeakyRelu, opset 13): unsupported operator"},
        {"opset_too_new.onnx", "opset 21 is newer than nesim supports"},
        {"dynamic_shape.onnx", "dimension 2 (H) is dynamic ('height') with no default size"},
        {"external_data.onnx", "external file 'weights.bin'"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.file);
      const std::string e = error_of([&] { load_model(kFixtures + c.file); });
      CHECK_MESSAGE(e.find(kFixtures + c.file) == 0, e);
      CHECK_MESSAGE(e.find(c.needle) != std::string::npos, e);
    }
  }

  TEST_CASE("truncated or foreign bytes are an error, never a crash") {
    const std::string good = slurp(kFixtures + "tiny_mbv3.onnx");
    for (size_t n : {size_t{0}, size_t{1}, size_t{10}, good.size() / 3, good.size() / 2, good.size() - 1}) {
      CAPTURE(n);
      const std::string e = error_of([&] { import_onnx(good.substr(0, n), "t.onnx", "t"); });
      CHECK_MESSAGE(e.rfind("t.onnx: ", 0) == 0, e);
    }
    CHECK(error_of([] { import_onnx("name: not onnx\n", "t.onnx", "t"); }).find("not an ONNX model") !=
          std::string::npos);
  }
}

TEST_SUITE("unit: do exports carry the network, and does a round trip give it back?") {
  TEST_CASE("zoo models: ONNX export and re-import keep layers, parameters, MACs and blocks") {
    for (const char* model : {"mobilenet_v3_small", "efficientnet_b0", "resnet18", "ssdlite_mobilenet_v2"}) {
      CAPTURE(model);
      const Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/" + model + ".yaml");
      const std::string bytes = onnx_model_bytes(net);
      CHECK(bytes == onnx_model_bytes(net));  // deterministic
      const Network back = import_onnx(bytes, "net.onnx", net.name);
      const NetworkStats a = network_stats(net, 1), b = network_stats(back, 1);
      CHECK(back.layers.size() == net.layers.size());
      CHECK(a.params == b.params);
      CHECK(a.macs == b.macs);
      CHECK(a.vector_ops == b.vector_ops);
      CHECK(back.output_indices().size() == net.output_indices().size());
      for (size_t i = 0; i < net.layers.size(); ++i) CHECK(back.layers[i].block_type == net.layers[i].block_type);
    }
  }

  TEST_CASE("an imported network written as YAML expands to the same network") {
    for (const char* name : {"tiny_mbv3", "tiny_shuffle", "tiny_convnext"}) {
      CAPTURE(name);
      const Network net = load_onnx(kFixtures + name + ".onnx");
      const Network again = expand(parse_model_yaml(to_yaml(network_to_spec(net, "t.onnx")), "t.yaml"), "t.yaml");
      REQUIRE(again.layers.size() == net.layers.size());
      for (size_t i = 1; i < net.layers.size(); ++i) {
        CHECK(again.layers[i].name == net.layers[i].name);
        CHECK(again.layers[i].out == net.layers[i].out);
        CHECK(layer_params(again, again.layers[i]) == layer_params(net, net.layers[i]));
      }
    }
  }

  TEST_CASE("a depthwise conv with BN and default padding is written as a dwconv block (it follows the width)") {
    const ModelSpec spec = network_to_spec(load_onnx(kFixtures + "tiny_mbv3.onnx"), "t.onnx");
    int dw = 0;
    for (const BlockSpec& b : spec.stem) dw += b.type == "dwconv";
    CHECK(dw == 1);
  }

  TEST_CASE("a network the block format cannot say is an error naming the layer") {
    Network net = load_onnx(kFixtures + "tiny_mbv3.onnx");
    net.layers[1].kernel_w = 1;
    CHECK(error_of([&] { network_to_spec(net, "t.onnx"); }).find("layer 'stem/stem_0/Conv'") != std::string::npos);
  }

  TEST_CASE("net.py is deterministic, nests dotted names and has a module per parameterised layer") {
    const Network net = load_model(std::string(NESIM_SOURCE_DIR) + "/models/mobilenet_v3_small.yaml");
    const std::string py = pytorch_source(net);
    CHECK(py == pytorch_source(net));
    CHECK(py.find("class Net(nn.Module)") != std::string::npos);
    CHECK(py.find("_put(self.layers, \"s1b0.se\", SqueezeExcite(") != std::string::npos);
    CHECK(py.find("INPUT_SHAPE = (3, 224, 224)") != std::string::npos);
  }
}
