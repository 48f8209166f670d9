// unit: does the layer graph infer shapes the way PyTorch does, and reject malformed graphs clearly?
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/graph/network.h"
#include "tests/support/network_builders.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

using test::layer;
using test::with_input;

Layer conv(const std::string& name, int input, int64_t out_c, int k, int stride = 1, int pad = 0, int groups = 1) {
  Layer l = layer(name, Op::Conv2d, {input});
  l.out_channels = out_c;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = pad;
  l.groups = groups;
  return l;
}

// Shape of the last layer after inference.
Shape last_shape(Network net) {
  net.infer_shapes("t.yaml");
  return net.layers.back().out;
}

std::string error_of(Network net) {
  try {
    net.infer_shapes("t.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_SUITE("unit: layer graph") {
  TEST_CASE("op and activation names round-trip and unknown names are rejected") {
    for (Op op : {Op::Input, Op::Conv2d, Op::FullyConnected, Op::MaxPool, Op::AvgPool, Op::GlobalAvgPool, Op::Add,
                  Op::Mul, Op::Concat, Op::Resize, Op::SqueezeExcite, Op::Activation, Op::BatchNorm, Op::LayerNorm,
                  Op::ChannelScale, Op::ChannelShuffle, Op::ChannelSlice})
      CHECK(parse_op(op_name(op)) == op);
    for (Act act : {Act::None, Act::Relu, Act::Relu6, Act::HSwish, Act::HSigmoid, Act::Sigmoid, Act::Swish, Act::Gelu})
      CHECK(parse_act(act_name(act)) == act);
    CHECK(std::string(op_name(Op::FullyConnected)) == "fc");
    CHECK(std::string(op_name(Op::SqueezeExcite)) == "se");
    CHECK(std::string(op_name(Op::GlobalAvgPool)) == "global_avgpool");
    CHECK(std::string(act_name(Act::HSwish)) == "hswish");
    CHECK_FALSE(parse_op("conv").has_value());
    CHECK_FALSE(parse_act("leaky_relu").has_value());
  }

  TEST_CASE("conv output size follows floor((in + pads - dilation*(k-1) - 1) / stride) + 1") {
    Network stem = with_input({3, 224, 224});
    stem.add(conv("stem", 0, 64, 7, 2, 3));
    CHECK(last_shape(stem) == Shape{64, 112, 112});

    Network dilated = with_input({8, 10, 10});
    Layer d = conv("d", 0, 8, 3, 1, 0);
    d.dilation_h = d.dilation_w = 2;
    dilated.add(d);
    CHECK(last_shape(dilated) == Shape{8, 6, 6});
    dilated.layers[1].pad_top = dilated.layers[1].pad_bottom = 2;
    dilated.layers[1].pad_left = dilated.layers[1].pad_right = 2;
    CHECK(last_shape(dilated) == Shape{8, 10, 10});

    // Asymmetric padding and stride: H (7+1+0-2-1)/2+1 = 3, W (9+0+2-1-1)/3+1 = 4.
    Network asym = with_input({4, 7, 9});
    Layer a = conv("a", 0, 6, 1, 1, 0, 2);
    a.kernel_h = 3, a.kernel_w = 2;
    a.stride_h = 2, a.stride_w = 3;
    a.pad_top = 1, a.pad_right = 2;
    asym.add(a);
    CHECK(last_shape(asym) == Shape{6, 3, 4});
  }

  TEST_CASE("depthwise means groups == input channels == output channels") {
    Network net = with_input({32, 16, 16});
    net.add(conv("dw", 0, 32, 3, 2, 1, 32));
    net.add(conv("mult", 0, 64, 3, 1, 1, 32));
    net.add(conv("grouped", 0, 32, 3, 1, 1, 4));
    net.infer_shapes("t.yaml");
    CHECK(net.layers[1].out == Shape{32, 8, 8});
    CHECK(net.layers[1].is_depthwise(net.in_shape(net.layers[1])));
    CHECK_FALSE(net.layers[2].is_depthwise(net.in_shape(net.layers[2])));
    CHECK_FALSE(net.layers[3].is_depthwise(net.in_shape(net.layers[3])));
  }

  TEST_CASE("pooling, fc, merges, resize, se and activations produce the documented shapes") {
    Network net = with_input({16, 32, 32});
    Layer pool = conv("pool", 0, 0, 3, 2, 1);
    pool.op = Op::MaxPool;
    pool.out_channels = 999;  // ignored by pooling
    const int p = net.add(pool);
    const int c = net.add(conv("c", p, 8, 1));
    const int gap = net.add(layer("gap", Op::GlobalAvgPool, {p}));
    const int gate = net.add(conv("gate", gap, 16, 1));
    const int mul = net.add(layer("mul", Op::Mul, {gate, p}));
    const int add = net.add(layer("add", Op::Add, {p, mul, p}));
    const int cat = net.add(layer("cat", Op::Concat, {add, c}));
    Layer up = layer("up", Op::Resize, {cat});
    up.out_h = 64, up.out_w = 48;
    const int r = net.add(up);
    Layer se = layer("se", Op::SqueezeExcite, {r});
    se.se_channels = 6;
    const int s = net.add(se);
    Layer act = layer("act", Op::Activation, {s});
    act.act = Act::HSwish;
    const int a = net.add(act);
    Layer fc = layer("fc", Op::FullyConnected, {cat});
    fc.out_channels = 10;
    const int f = net.add(fc);
    net.infer_shapes("t.yaml");
    CHECK(net.layers[p].out == Shape{16, 16, 16});
    CHECK(net.layers[gap].out == Shape{16, 1, 1});
    CHECK(net.layers[mul].out == Shape{16, 16, 16});
    CHECK(net.layers[add].out == Shape{16, 16, 16});
    CHECK(net.layers[cat].out == Shape{24, 16, 16});
    CHECK(net.layers[r].out == Shape{24, 64, 48});
    CHECK(net.layers[s].out == Shape{24, 64, 48});
    CHECK(net.layers[a].out == Shape{24, 64, 48});
    CHECK(net.layers[f].out == Shape{10, 1, 1});
  }

  TEST_CASE("find, consumers and output_indices describe the graph") {
    Network net = with_input({4, 8, 8});
    const int a = net.add(conv("a", 0, 4, 1));
    const int b = net.add(conv("b", 0, 4, 1));
    const int sum = net.add(layer("sum", Op::Add, {a, b, a}));
    CHECK(net.find("b") == b);
    CHECK(net.find("nope") == -1);
    CHECK(net.output_indices() == std::vector<int>{sum});
    net.outputs = {a, sum};
    CHECK(net.output_indices() == std::vector<int>{a, sum});
    const auto cons = net.consumers();
    CHECK(cons[0] == std::vector<int>{a, b});
    CHECK(cons[a] == std::vector<int>{sum});  // listed once although read twice
    CHECK(cons[sum].empty());

    net.layers[b].name = "renamed";  // edits made straight to `layers` are still found
    CHECK(net.find("renamed") == b);
    CHECK(net.find("b") == -1);
  }

  TEST_CASE("find stays fast and correct on a 1000-layer chain") {
    Network net = with_input({1, 1, 1});
    for (int i = 1; i < 1000; ++i) net.add(conv(fmt::format("l{}", i), i - 1, 1, 1));
    for (int i = 1; i < 1000; ++i) REQUIRE(net.find(fmt::format("l{}", i)) == i);
    net.infer_shapes("t.yaml");
    CHECK(net.layers.back().out == Shape{1, 1, 1});
  }

  TEST_CASE("every malformed graph is an InputError naming the file, the layer and the problem") {
    struct Case {
      const char* what;
      std::function<void(Network&)> edit;
      std::vector<std::string> expect;
    };
    // Each case edits this valid graph: input 8x16x16 -> conv "c" 3x3 -> "x" (edited per case).
    const std::vector<Case> cases = {
        {"layer 0 not an input", [](Network& n) { n.layers[0].op = Op::Activation; },
         {"layer 'input'", "expected layer 0 to be the 'input', got activation"}},
        {"empty input shape", [](Network& n) { n.layers[0].out.h = 0; },
         {"layer 'input'", "positive input shape", "8x0x16"}},
        {"input with inputs", [](Network& n) { n.layers[0].inputs = {0}; }, {"layer 'input'", "no inputs, got 1"}},
        {"second input without a shape", [](Network& n) { n.layers[2] = layer("x", Op::Input, {}); },
         {"layer 'x'", "positive input shape", "0x0x0"}},
        {"empty name", [](Network& n) { n.layers[2].name = ""; }, {"layer #2", "non-empty name"}},
        {"duplicate name", [](Network& n) { n.layers[2].name = n.layers[1].name; },
         {"layer 'c'", "unique name", "layer 1"}},
        {"forward reference", [](Network& n) { n.layers[1].inputs = {2}; },
         {"layer 'c'", "earlier layers (index < 1), got index 2"}},
        {"negative reference", [](Network& n) { n.layers[2].inputs = {-1}; }, {"layer 'x'", "got index -1"}},
        {"conv with two inputs", [](Network& n) { n.layers[2].inputs = {0, 1}; },
         {"layer 'x'", "exactly 1 input for conv2d, got 2"}},
        {"fc without inputs", [](Network& n) { n.layers[2] = layer("x", Op::FullyConnected, {}); },
         {"layer 'x'", "exactly 1 input for fc, got 0"}},
        {"add of one", [](Network& n) { n.layers[2] = layer("x", Op::Add, {1}); },
         {"layer 'x'", "at least 2 inputs for add, got 1"}},
        {"concat of one", [](Network& n) { n.layers[2] = layer("x", Op::Concat, {1}); },
         {"layer 'x'", "at least 2 inputs for concat, got 1"}},
        {"mul of three", [](Network& n) { n.layers[2] = layer("x", Op::Mul, {0, 0, 0}); },
         {"layer 'x'", "exactly 2 inputs for mul, got 3"}},
        {"zero kernel", [](Network& n) { n.layers[2].kernel_w = 0; }, {"layer 'x'", "kernel >= 1, got 3x0"}},
        {"zero stride", [](Network& n) { n.layers[2].stride_h = 0; }, {"layer 'x'", "stride >= 1, got 0x1"}},
        {"zero dilation", [](Network& n) { n.layers[2].dilation_w = 0; }, {"layer 'x'", "dilation >= 1, got 1x0"}},
        {"negative padding", [](Network& n) { n.layers[2].pad_left = -1; }, {"layer 'x'", "padding >= 0", "left -1"}},
        {"zero groups", [](Network& n) { n.layers[2].groups = 0; }, {"layer 'x'", "groups to divide", "got groups 0"}},
        {"groups not dividing input", [](Network& n) { n.layers[2].groups = 3, n.layers[2].out_channels = 6; },
         {"layer 'x'", "input channels 8 and out_channels 6, got groups 3"}},
        {"groups not dividing output", [](Network& n) { n.layers[2].groups = 4, n.layers[2].out_channels = 6; },
         {"layer 'x'", "out_channels 6, got groups 4"}},
        {"no conv outputs", [](Network& n) { n.layers[2].out_channels = 0; },
         {"layer 'x'", "out_channels >= 1, got 0"}},
        {"kernel larger than input", [](Network& n) { n.layers[2].kernel_h = 17; },
         {"layer 'x'", "output of at least 1x1, got 0x14", "input 8x14x14"}},
        {"dilated kernel larger than input",
         [](Network& n) { n.layers[2].dilation_h = 8, n.layers[2].pad_top = 0; },
         {"layer 'x'", "at least 1x1", "dilation 8x1"}},
        {"pool window larger than input",
         [](Network& n) {
           n.layers[2] = layer("x", Op::AvgPool, {1});
           n.layers[2].kernel_h = n.layers[2].kernel_w = 15;
         },
         {"layer 'x'", "at least 1x1, got 0x0"}},
        {"fc without outputs", [](Network& n) { n.layers[2] = layer("x", Op::FullyConnected, {1}); },
         {"layer 'x'", "out_channels >= 1, got 0"}},
        {"add of different shapes", [](Network& n) { n.layers[2] = layer("x", Op::Add, {1, 1, 0}); },
         {"layer 'x'", "equal shape", "8x14x14 ('c')", "8x16x16 ('input')"}},
        {"mul of different shapes", [](Network& n) { n.layers[2] = layer("x", Op::Mul, {1, 0}); },
         {"layer 'x'", "C x 1 x 1 with the same C", "8x14x14 ('c') and 8x16x16 ('input')"}},
        {"concat of different sizes", [](Network& n) { n.layers[2] = layer("x", Op::Concat, {0, 1}); },
         {"layer 'x'", "equal H and W", "8x16x16 ('input') and 8x14x14 ('c')"}},
        {"resize to nothing",
         [](Network& n) {
           n.layers[2] = layer("x", Op::Resize, {1});
           n.layers[2].out_h = 4;
         },
         {"layer 'x'", "out_h and out_w >= 1, got 4x0"}},
        {"se without channels", [](Network& n) { n.layers[2] = layer("x", Op::SqueezeExcite, {1}); },
         {"layer 'x'", "se_channels >= 1, got 0"}},
        {"activation of two", [](Network& n) { n.layers[2] = layer("x", Op::Activation, {0, 1}); },
         {"layer 'x'", "exactly 1 input for activation, got 2"}},
        {"output out of range", [](Network& n) { n.outputs = {1, 3}; }, {"outputs[1]", "below 3, got 3"}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.what);
      Network net = with_input({8, 16, 16});
      net.add(conv("c", 0, 8, 3));
      net.add(conv("x", 1, 8, 3, 1, 1));
      REQUIRE(error_of(net) == "<no error>");
      c.edit(net);
      const std::string msg = error_of(net);
      CHECK(msg.rfind("t.yaml: ", 0) == 0);
      for (const std::string& part : c.expect) CHECK_MESSAGE(msg.find(part) != std::string::npos, msg);
    }
    CHECK(error_of(Network{}) == "t.yaml: the network has no layers (expected an 'input' layer first)");
  }

  TEST_CASE("a channel gate broadcasts in either operand order, but only with the same C") {
    Network net = with_input({8, 4, 4});
    const int g = net.add(layer("gap", Op::GlobalAvgPool, {0}));
    net.add(layer("m1", Op::Mul, {0, g}));
    net.add(layer("m2", Op::Mul, {g, 0}));
    net.infer_shapes("t.yaml");
    CHECK(net.layers[2].out == Shape{8, 4, 4});
    CHECK(net.layers[3].out == Shape{8, 4, 4});
    const int half = net.add(conv("half", g, 4, 1));
    net.add(layer("bad", Op::Mul, {0, half}));
    CHECK(error_of(net).find("layer 'bad'") != std::string::npos);
  }
}
