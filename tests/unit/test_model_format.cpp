// The block-level model format (docs/model-format.md): parsing, expansion into layers, width
// scaling, naming, writing back, and one clear message for every kind of bad input.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"
#include "tests/support/input_error.h"

using namespace nesim;

namespace {

Network build(const std::string& yaml) { return expand(parse_model_yaml(yaml, "t.yaml"), "t.yaml"); }

const Layer& layer(const Network& net, const std::string& name) {
  const int i = net.find(name);
  REQUIRE_MESSAGE(i >= 0, "no layer named ", name);
  return net.layers[i];
}

std::vector<std::string> layer_names(const Network& net) {
  std::vector<std::string> names;
  for (const Layer& l : net.layers) names.push_back(l.name);
  return names;
}

// Everything expand() decides about a layer, for comparing two expansions.
std::string describe(const Layer& l) {
  return fmt::format(
      "{} op={} in=[{}] k={}x{} s={}x{} pad={},{},{},{} d={}x{} g={} oc={} bias={} bn={} act={} se={},{},{} "
      "resize={}x{},{} block={}/{} out={}x{}x{}",
      l.name, op_name(l.op), fmt::join(l.inputs, ","), l.kernel_h, l.kernel_w, l.stride_h, l.stride_w, l.pad_top,
      l.pad_bottom, l.pad_left, l.pad_right, l.dilation_h, l.dilation_w, l.groups, l.out_channels, l.bias,
      l.batch_norm, act_name(l.act), l.se_channels, act_name(l.se_act), act_name(l.se_gate), l.out_h, l.out_w,
      static_cast<int>(l.resize_mode), l.block, l.block_type, l.out.c, l.out.h, l.out.w);
}

std::string describe(const Network& net) {
  std::string s = fmt::format("{} outputs=[{}]\n", net.name, fmt::join(net.outputs, ","));
  for (const Layer& l : net.layers) s += describe(l) + "\n";
  return s;
}

using nesim::test::error_of;

std::string build_error(const std::string& yaml) {
  return error_of([&] { build(yaml); });
}

#define CHECK_HAS(text, part) CHECK_MESSAGE((text).find(part) != std::string::npos, "message: ", text)

// A model with one stage of `blocks` (a YAML flow list) on an input of C x 8 x 8.
std::string stage_model(int c, const std::string& blocks, const std::string& extra = "") {
  return fmt::format("input: [{}, 8, 8]\n{}stages:\n  - blocks: {}\n", c, extra, blocks);
}

std::string models_dir() { return std::string(NESIM_SOURCE_DIR) + "/models"; }

}  // namespace

TEST_SUITE("unit: does the block-level model format expand as documented?") {
  TEST_CASE("ibn with an expand layer: 1x1 expand, depthwise, linear project, no add across stride 2") {
    const Network net = build(stage_model(16, "[{type: ibn, out: 24, expand: 6, stride: 2}]"));
    CHECK(layer_names(net) == std::vector<std::string>{"input", "s1b0.expand", "s1b0.dw", "s1b0.project"});
    const Layer& e = layer(net, "s1b0.expand");
    CHECK(e.op == Op::Conv2d);
    CHECK(e.kernel_h == 1);
    CHECK(e.out_channels == 96);
    CHECK(e.batch_norm);
    CHECK(!e.bias);
    CHECK(e.act == Act::Relu);
    CHECK(e.block == "s1b0");
    CHECK(e.block_type == "ibn");
    const Layer& dw = layer(net, "s1b0.dw");
    CHECK(dw.kernel_h == 3);
    CHECK(dw.stride_h == 2);
    CHECK(dw.pad_top == 1);
    CHECK(dw.groups == 96);
    CHECK(dw.is_depthwise(net.in_shape(dw)));
    CHECK(dw.out == Shape{96, 4, 4});
    const Layer& p = layer(net, "s1b0.project");
    CHECK(p.act == Act::None);
    CHECK(p.batch_norm);
    CHECK(p.out == Shape{24, 4, 4});
    CHECK(net.output_indices() == std::vector<int>{3});
  }

  TEST_CASE("ibn with expand 1 has no expand layer, and a residual add when stride 1 and in == out") {
    const Network net = build(stage_model(16, "[{type: ibn, out: 16, expand: 1, kernel: 5}]"));
    CHECK(layer_names(net) == std::vector<std::string>{"input", "s1b0.dw", "s1b0.project", "s1b0.add"});
    CHECK(layer(net, "s1b0.dw").pad_top == 2);
    const Layer& add = layer(net, "s1b0.add");
    CHECK(add.op == Op::Add);
    CHECK(add.inputs == std::vector<int>{0, 2});
    CHECK(add.act == Act::None);
    CHECK(add.out == Shape{16, 8, 8});
  }

  TEST_CASE("ibn expanded channels: ratio rounds half to even, expand_channels equal to input skips the expand") {
    CHECK(layer(build(stage_model(10, "[{type: ibn, out: 8, expand: 0.25}]")), "s1b0.expand").out_channels == 2);
    CHECK(layer(build(stage_model(14, "[{type: ibn, out: 8, expand: 0.25}]")), "s1b0.expand").out_channels == 4);
    const Network net = build(stage_model(16, "[{type: ibn, out: 16, expand_channels: 16}]"));
    CHECK(net.find("s1b0.expand") < 0);
    CHECK(layer(net, "s1b0.dw").out_channels == 16);
    CHECK(layer(build(stage_model(16, "[{type: ibn, out: 24, expand_channels: 72}]")), "s1b0.dw").groups == 72);
  }

  TEST_CASE("fused_ibn: full k x k conv to expanded channels then project; with expand 1 straight to out") {
    const Network net = build(stage_model(16, "[{type: fused_ibn, out: 16, expand: 4}, {type: fused_ibn, out: 24, expand: 1, stride: 2}]"));
    CHECK(layer_names(net) ==
          std::vector<std::string>{"input", "s1b0.fused", "s1b0.project", "s1b0.add", "s1b1.fused"});
    const Layer& f = layer(net, "s1b0.fused");
    CHECK(f.kernel_h == 3);
    CHECK(f.groups == 1);
    CHECK(f.out_channels == 64);
    CHECK(f.block_type == "fused_ibn");
    CHECK(layer(net, "s1b0.project").out_channels == 16);
    const Layer& g = layer(net, "s1b1.fused");
    CHECK(g.out_channels == 24);
    CHECK(g.stride_h == 2);
    CHECK(g.act == Act::Relu);
    CHECK(g.out == Shape{24, 4, 4});
  }

  TEST_CASE("residual rules: none across channel change, residual: false removes it, true where impossible is an error") {
    CHECK(build(stage_model(16, "[{type: ibn, out: 24, expand: 6}]")).find("s1b0.add") < 0);
    CHECK(build(stage_model(16, "[{type: ibn, out: 16, expand: 6, residual: false}]")).find("s1b0.add") < 0);
    CHECK(build(stage_model(16, "[{type: ibn, out: 16, expand: 6, residual: true}]")).find("s1b0.add") >= 0);
    const std::string e = build_error(stage_model(16, "[{type: ibn, out: 16, expand: 6, stride: 2, residual: true}]"));
    CHECK_HAS(e, "t.yaml:3: stages[0].blocks[0] (block 's1b0'): key 'residual'");
    CHECK_HAS(e, "stride 2");
  }

  TEST_CASE("SE channels: MobileNetV3 rounds expanded/4 to 8, EfficientNet takes max(1, input/4) unrounded") {
    // torchvision MobileNetV3: _make_divisible(72 // 4, 8) = 24 (18 -> 16 is below 0.9 * 18).
    const Network v3 = build(stage_model(24, "[{type: ibn, out: 40, expand_channels: 72, kernel: 5, stride: 2, se: 0.25}]",
                                         "defaults: {se_gate: hsigmoid}\n"));
    const Layer& se = layer(v3, "s1b0.se");
    CHECK(se.op == Op::SqueezeExcite);
    CHECK(se.se_channels == 24);
    CHECK(se.se_act == Act::Relu);
    CHECK(se.se_gate == Act::HSigmoid);
    CHECK(se.bias);
    CHECK(v3.layers[se.inputs[0]].name == "s1b0.dw");
    CHECK(v3.layers[layer(v3, "s1b0.project").inputs[0]].name == "s1b0.se");
    CHECK(layer(build(stage_model(16, "[{type: ibn, out: 16, expand_channels: 120, se: 0.25}]")), "s1b0.se").se_channels == 32);
    // torchvision EfficientNet: max(1, int(16 * 0.25)) = 4 and max(1, int(2 * 0.25)) = 1.
    const std::string eff = "defaults: {se_base: input, se_divisor: 1, se_act: swish}\n";
    const Network eff_net = build(stage_model(16, "[{type: ibn, out: 24, expand: 6, se: 0.25}]", eff));
    const Layer& e = layer(eff_net, "s1b0.se");
    CHECK(e.se_channels == 4);
    CHECK(e.se_act == Act::Swish);
    CHECK(layer(build(stage_model(2, "[{type: ibn, out: 8, expand: 6, se: 0.25}]", eff)), "s1b0.se").se_channels == 1);
    CHECK(build(stage_model(16, "[{type: ibn, out: 16, se: 0}]")).find("s1b0.se") < 0);
  }

  TEST_CASE("width multiplier rounds as _make_divisible; width_min, fixed and fc are honoured") {
    CHECK(make_divisible(16, 8) == 16);
    CHECK(make_divisible(12, 8) == 16);
    CHECK(make_divisible(7, 8) == 8);
    CHECK(make_divisible(18, 8) == 24);
    CHECK(make_divisible(22.5, 8) == 24);
    CHECK(make_divisible(1792, 8) == 1792);
    const std::string model = R"(input: [3, 32, 32]
width_multiplier: 0.5
stem:
  - {type: conv, out: 32, stride: 2}
  - {type: conv, name: narrow, out: 20}
  - {type: conv, name: keep, out: 20, fixed: true}
  - {type: conv, name: last, out: 1280, kernel: 1, width_min: 1.0}
head:
  - {type: global_pool}
  - {type: fc, name: hidden, out: 1280, fixed: false}
  - {type: fc, name: classifier, out: 1000}
)";
    const Network half = build(model);
    CHECK(layer(half, "stem0").out_channels == 16);
    CHECK(layer(half, "narrow").out_channels == 16);  // 10 -> max(8, 16) = 16
    CHECK(layer(half, "keep").out_channels == 20);
    CHECK(layer(half, "last").out_channels == 1280);
    CHECK(layer(half, "hidden").out_channels == 640);
    CHECK(layer(half, "classifier").out_channels == 1000);
    const Network wide = build(std::string(model).replace(model.find("0.5"), 3, "1.4"));
    CHECK(layer(wide, "stem0").out_channels == 48);  // 44.8 -> 48 (torchvision mobilenet_v2(1.4))
    CHECK(layer(wide, "last").out_channels == 1792);
    // At width 1.0 the written count is used as is, even when not a multiple of the divisor.
    CHECK(layer(build("input: [3, 8, 8]\nstem: [{type: conv, out: 1001}]\n"), "stem0").out_channels == 1001);
    // Expanded channels follow the scaled input; absolute expand_channels are scaled.
    const Network ibn = build(stage_model(16, "[{type: ibn, out: 32, expand: 6}, {type: ibn, out: 32, expand_channels: 120}]",
                                          "width_multiplier: 0.75\n"));
    CHECK(layer(ibn, "s1b0.expand").out_channels == 96);   // round(16 * 6): the input is not scaled
    CHECK(layer(ibn, "s1b0.project").out_channels == 24);  // 32 * 0.75
    CHECK(layer(ibn, "s1b1.expand").out_channels == 88);   // make_divisible(120 * 0.75, 8)
  }

  TEST_CASE("repeat: copies are numbered in the stage, stride and from apply to the first copy only") {
    const Network net = build(R"(input: [8, 16, 16]
stem: [{type: conv, out: 16}, {type: conv, out: 16, name: pre, repeat: 2}]
stages:
  - name: body
    blocks:
      - {type: ibn, out: 24, expand: 2, stride: 2, repeat: 3, from: stem0}
      - {type: ibn, out: 32, expand: 2}
head: [{type: global_pool}, {type: fc, out: 10, repeat: 2}]
)");
    CHECK(net.find("pre") >= 0);
    CHECK(net.find("pre_1") >= 0);
    CHECK(layer(net, "pre_1").inputs == std::vector<int>{net.find("pre")});
    CHECK(layer(net, "bodyb0.dw").stride_h == 2);
    CHECK(layer(net, "bodyb0.expand").inputs == std::vector<int>{net.find("stem0")});
    CHECK(layer(net, "bodyb1.dw").stride_h == 1);
    CHECK(layer(net, "bodyb1.expand").inputs == std::vector<int>{net.find("bodyb0.project")});
    CHECK(net.find("bodyb0.add") < 0);
    CHECK(net.find("bodyb1.add") >= 0);
    CHECK(net.find("bodyb2.add") >= 0);
    CHECK(layer(net, "bodyb3.project").out == Shape{32, 8, 8});
    CHECK(net.find("head0") >= 0);
    CHECK(net.find("head1") >= 0);
    CHECK(layer(net, "head2").inputs == std::vector<int>{net.find("head1")});
  }

  TEST_CASE("from names a block (its last layer), an inner layer, or the input; outputs pick layers") {
    const Network net = build(R"(input: [8, 16, 16]
stages:
  - blocks:
      - {type: ibn, out: 8, expand: 4}
      - {type: conv, name: tap, from: s1b0.expand, out: 12, kernel: 1}
      - {type: conv, name: skip, from: input, out: 8, kernel: 1}
      - {type: add, from: [s1b0, skip], act: relu}
      - {type: concat, name: cat, from: [s1b3, tap]}
      - {type: global_pool, name: gp, from: s1b0.dw}
      - {type: conv, name: gate, out: 20, kernel: 1, bn: false, act: sigmoid}
      - {type: mul, name: scaled, from: [cat, gate]}
outputs: [scaled, tap]
)");
    CHECK(layer(net, "tap").inputs == std::vector<int>{net.find("s1b0.expand")});
    CHECK(layer(net, "skip").inputs == std::vector<int>{0});
    const Layer& add = layer(net, "s1b3");
    CHECK(add.inputs == std::vector<int>{net.find("s1b0.add"), net.find("skip")});
    CHECK(add.act == Act::Relu);
    CHECK(add.block_type == "add");
    CHECK(layer(net, "cat").out == Shape{20, 16, 16});
    CHECK(layer(net, "gp").out == Shape{32, 1, 1});
    CHECK(layer(net, "scaled").op == Op::Mul);
    CHECK(net.outputs == std::vector<int>{net.find("scaled"), net.find("tap")});
  }

  TEST_CASE("defaults fill keys of blocks that accept them, but not the act of fc or add") {
    const Network net = build(R"(input: [8, 8, 8]
defaults: {act: relu6, kernel: 5}
stem: [{type: conv, out: 8}, {type: ibn, out: 8, expand: 2, act: hswish}, {type: add, from: [stem0, stem1]}]
head: [{type: global_pool}, {type: fc, out: 10}]
)");
    CHECK(layer(net, "stem0").act == Act::Relu6);
    CHECK(layer(net, "stem0").kernel_h == 5);
    CHECK(layer(net, "stem1.expand").act == Act::HSwish);
    CHECK(layer(net, "stem1.dw").kernel_h == 5);
    CHECK(layer(net, "stem2").act == Act::None);
    CHECK(layer(net, "head1").act == Act::None);
  }

  TEST_CASE("the other block types expand to the documented layers") {
    const Network net = build(R"(input: [3, 32, 32]
stem:
  - {type: conv, out: 16, kernel: 3, stride: 2, padding: 0, bn: false, bias: true, act: none}
  - {type: conv, name: dil, out: 16, dilation: 2, groups: 4}
  - {type: dwconv, name: dw, kernel: 5, stride: 2, act: relu6}
  - {type: dwsep, name: sep, out: 32, act: relu6, pw_act: none}
  - {type: basic, name: b1, out: 32}
  - {type: basic, name: b2, out: 64, stride: 2}
  - {type: bottleneck, name: bn1, out: 128}
  - {type: bottleneck, name: bn2, out: 128, mid: 16}
  - {type: maxpool, name: mp, kernel: 3, padding: 1}
  - {type: avgpool, name: ap, kernel: 2, stride: 1}
  - {type: se, name: se1, se: 0.25}
  - {type: se, name: se2, se_channels: 7, se_gate: hsigmoid}
  - {type: activation, name: act, act: hswish}
  - {type: resize, name: up, scale: 2}
  - {type: resize, name: fix, size: [5, 6], mode: bilinear}
  - {type: resize, name: same, like: b2.conv1}
  - {type: global_pool, name: gp}
  - {type: fc, name: fc, out: 10, bias: false, act: relu}
)");
    const Layer& c = layer(net, "stem0");
    CHECK(c.pad_top == 0);
    CHECK(c.bias);
    CHECK(!c.batch_norm);
    CHECK(c.act == Act::None);
    CHECK(c.out == Shape{16, 15, 15});
    const Layer& dil = layer(net, "dil");
    CHECK(dil.pad_top == 2);
    CHECK(dil.dilation_h == 2);
    CHECK(dil.groups == 4);
    CHECK(dil.act == Act::Relu);
    CHECK(dil.out == Shape{16, 15, 15});
    CHECK(layer(net, "dw").groups == 16);
    CHECK(layer(net, "dw").out == Shape{16, 8, 8});
    CHECK(layer(net, "sep.dw").groups == 16);
    CHECK(layer(net, "sep.dw").act == Act::Relu6);
    CHECK(layer(net, "sep.pw").act == Act::None);
    CHECK(layer(net, "sep.pw").out_channels == 32);
    CHECK(net.find("b1.down") < 0);
    CHECK(layer(net, "b1.conv2").act == Act::None);
    CHECK(layer(net, "b1.add").act == Act::Relu);
    CHECK(layer(net, "b1.add").inputs == std::vector<int>{net.find("sep.pw"), net.find("b1.conv2")});
    CHECK(layer(net, "b2.conv1").stride_h == 2);
    CHECK(layer(net, "b2.down").stride_h == 2);
    CHECK(layer(net, "b2.down").kernel_h == 1);
    CHECK(layer(net, "b2.down").act == Act::None);
    CHECK(layer(net, "b2.add").out == Shape{64, 4, 4});
    CHECK(layer(net, "bn1.conv1").out_channels == 32);
    CHECK(layer(net, "bn1.conv2").kernel_h == 3);
    CHECK(layer(net, "bn1.conv3").out_channels == 128);
    CHECK(net.find("bn1.down") >= 0);
    CHECK(net.find("bn2.down") < 0);
    CHECK(layer(net, "bn2.conv2").out_channels == 16);
    CHECK(layer(net, "mp").op == Op::MaxPool);
    CHECK(layer(net, "mp").stride_h == 3);
    CHECK(layer(net, "mp").out == Shape{128, 2, 2});
    CHECK(layer(net, "ap").op == Op::AvgPool);
    CHECK(layer(net, "ap").out == Shape{128, 1, 1});
    CHECK(layer(net, "se1").se_channels == 32);
    CHECK(layer(net, "se2").se_channels == 7);
    CHECK(layer(net, "se2").se_gate == Act::HSigmoid);
    CHECK(layer(net, "act").op == Op::Activation);
    CHECK(layer(net, "act").act == Act::HSwish);
    CHECK(layer(net, "up").out == Shape{128, 2, 2});
    CHECK(layer(net, "fix").out == Shape{128, 5, 6});
    CHECK(layer(net, "fix").resize_mode == ResizeMode::Bilinear);
    CHECK(layer(net, "same").out == Shape{128, 4, 4});
    CHECK(layer(net, "same").resize_mode == ResizeMode::Nearest);
    CHECK(layer(net, "gp").op == Op::GlobalAvgPool);
    CHECK(layer(net, "fc").op == Op::FullyConnected);
    CHECK(!layer(net, "fc").bias);
    CHECK(layer(net, "fc").act == Act::Relu);
    CHECK(layer(net, "fc").out == Shape{10, 1, 1});
    for (const Layer& l : net.layers)
      if (l.op != Op::Input) CHECK(!l.block.empty());
  }

  TEST_CASE("to_yaml writes back what parses and expands to identical layers") {
    const std::string rich = R"(name: rich
source: "hand-written: every kind of key, 1,000 \"quoted\" words"
input: [3, 64, 48]
width_multiplier: 0.75
channel_divisor: 4
defaults: {act: hswish, se_gate: hsigmoid, se_base: input, se_divisor: 1}
stem:
  - {type: conv, out: 24, stride: 2, width_min: 1.0}
stages:
  - name: first
    blocks:
      - {type: ibn, out: 24, expand: 2.5, kernel: 5, se: 0.25, residual: false}
      - {type: fused_ibn, name: f, out: 32, expand_channels: 60, stride: 2, repeat: 2}
  - blocks:
      - {type: dwsep, out: 48, pw_act: relu}
      - {type: bottleneck, out: 64, mid: 12, stride: 2}
      - {type: conv, name: side, from: firstb0.dw, out: 8, kernel: 1, bn: false, bias: true, fixed: true}
head:
  - {type: resize, from: s2b1, size: [8, 6], mode: bilinear}
  - {type: resize, like: firstb0.dw}
  - {type: global_pool}
  - {type: fc, out: 10, act: sigmoid}
outputs: [head3, side]
)";
    const ModelSpec spec = parse_model_yaml(rich, "rich.yaml");
    const std::string text = to_yaml(spec);
    const ModelSpec again = parse_model_yaml(text, "written.yaml");
    CHECK(to_yaml(again) == text);
    CHECK(again.source == spec.source);
    CHECK(describe(expand(again, "written.yaml")) == describe(expand(spec, "rich.yaml")));

    for (const auto& entry : std::filesystem::directory_iterator(models_dir())) {
      if (entry.path().extension() != ".yaml") continue;
      CAPTURE(entry.path().string());
      const ModelSpec m = load_model_spec(entry.path().string());
      const ModelSpec back = parse_model_yaml(to_yaml(m), "written.yaml");
      CHECK(to_yaml(back) == to_yaml(m));
      CHECK(describe(expand(back, "written.yaml")) == describe(expand(m, "model.yaml")));
    }
  }

  TEST_CASE("a ModelSpec edited in code expands with the edit (what the NAS driver does)") {
    ModelSpec spec = parse_model_yaml(stage_model(16, "[{type: ibn, out: 16, expand: 6, repeat: 2}]"), "t.yaml");
    spec.stages[0].blocks[0].type = "fused_ibn";
    spec.stages[0].blocks[0].kernel = 5;
    spec.stages[0].blocks[0].repeat = 3;
    spec.input.h = spec.input.w = 16;
    const Network net = expand(spec, "nas");
    CHECK(layer(net, "s1b2.fused").kernel_h == 5);
    spec.name.clear();
    CHECK(parse_model_yaml(to_yaml(spec), "cand7.yaml").name == "cand7");  // no name: the file's
    CHECK(layer(net, "s1b2.add").out == Shape{16, 16, 16});
    spec.stages[0].blocks[0].type = "conv";
    CHECK_HAS(error_of([&] { expand(spec, "nas"); }), "stages[0].blocks[0] (block 's1b0'): key 'expand': not accepted by block type 'conv'");
    spec.stages[0].blocks[0].type = "ibx";
    CHECK_HAS(error_of([&] { expand(spec, "nas"); }), "unknown block type 'ibx' (did you mean 'ibn'?)");
  }

  TEST_CASE("the reference models match torchvision's published parameter and MAC counts") {
    const NetworkStats v2 = network_stats(load_model(models_dir() + "/mobilenet_v2.yaml"), 1);
    CHECK(v2.params == 3'504'872);
    CHECK(v2.macs == 300'774'272);  // torchvision: 0.30 GFLOPS (multiply-adds)
    const Network r18 = load_model(models_dir() + "/resnet18.yaml");
    const NetworkStats s18 = network_stats(r18, 1);
    CHECK(s18.params == 11'689'512);
    CHECK(s18.macs == 1'814'073'344);  // torchvision: 1.81 GFLOPS
    CHECK(layer(r18, "layer4b1.add").out == Shape{512, 7, 7});
    CHECK(layer(r18, "maxpool").out == Shape{64, 56, 56});
  }

  TEST_CASE("docs/model-format.md names every block type and key the parser accepts") {
    std::ifstream in(std::string(NESIM_SOURCE_DIR) + "/docs/model-format.md");
    REQUIRE(in);
    std::stringstream doc;
    doc << in.rdbuf();
    for (const BlockType& t : block_types())
      CHECK_MESSAGE(doc.str().find(fmt::format("`{}`", t.name)) != std::string::npos, "undocumented type ", std::string(t.name));
    for (const BlockKey& k : block_keys())
      CHECK_MESSAGE(doc.str().find(fmt::format("`{}`", k.name)) != std::string::npos, "undocumented key ", std::string(k.name));
  }
}

TEST_SUITE("unit: does a bad model file give one message naming file, line, block and key?") {
  TEST_CASE("unknown keys suggest the nearest known key") {
    const std::string e = build_error(stage_model(16, "[{type: ibn, out: 16, kernal: 3}]"));
    CHECK(e == "t.yaml:3: stages[0].blocks[0] (block 's1b0'): key 'kernal': unknown key for block type 'ibn' (did you mean 'kernel'?)");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8}]\nstagse: []\n"),
              "t.yaml:3: key 'stagse': unknown model key (did you mean 'stages'?)");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstages: [{nmae: x, blocks: [{type: conv, out: 8}]}]\n"),
              "stages[0]: key 'nmae': unknown stage key (did you mean 'name'?)");
    CHECK_HAS(build_error("input: [3, 8, 8]\ndefaults: {activation: relu}\nstem: [{type: conv, out: 8}]\n"),
              "t.yaml:2: defaults: key 'activation': unknown block key (did you mean 'act'?)");
  }

  TEST_CASE("a key another block type accepts is rejected with the accepted list") {
    const std::string e = build_error("input: [3, 8, 8]\nstem:\n  - {type: conv, out: 8}\n  - {type: conv, out: 8, expand: 6}\n");
    CHECK_HAS(e, "t.yaml:4: stem[1] (block 'stem1'): key 'expand': not accepted by block type 'conv' (accepted: ");
    CHECK_HAS(build_error("input: [3, 8, 8]\ndefaults: {from: x}\nstem: [{type: conv, out: 8}]\n"),
              "defaults: key 'from': cannot have a model-wide default");
    CHECK_HAS(build_error("input: [3, 8, 8]\ndefaults: {fixed: true}\nstem: [{type: conv, out: 8}]\n"),
              "defaults: key 'fixed': cannot have a model-wide default");
  }

  TEST_CASE("unknown block types list the known ones; a missing type is named") {
    const std::string e = build_error("input: [3, 8, 8]\nhead:\n  - {type: ibnn, out: 8}\n");
    CHECK_HAS(e, "t.yaml:3: head[0] (block 'head0'): key 'type': unknown block type 'ibnn' (did you mean 'ibn'?); known types: conv, dwconv");
    CHECK_HAS(e, "fused_ibn");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem:\n  - {name: x, out: 8}\n"),
              "t.yaml:3: stem[0] (block 'x'): key 'type': missing (one of conv,");
  }

  TEST_CASE("missing required keys are named with the block type that needs them") {
    CHECK_HAS(build_error(stage_model(16, "[{type: ibn, expand: 6}]")),
              "t.yaml:3: stages[0].blocks[0] (block 's1b0'): key 'out': missing (required by block type 'ibn')");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: maxpool}]\n"), "key 'kernel': missing (required by block type 'maxpool')");
    CHECK_HAS(build_error("input: [3, 8, 8]\ndefaults: {act: relu}\nstem: [{type: activation}]\n"),
              "key 'act': missing (required by block type 'activation')");
    CHECK_HAS(build_error("stem: [{type: conv, out: 8}]\n"), "t.yaml:1: key 'input': missing");
    CHECK_HAS(build_error("input: [3, 8, 8]\n"), "t.yaml: the model has no blocks");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstages: [{name: a}]\n"), "stages[0]: key 'blocks': expected a non-empty list of blocks");
  }

  TEST_CASE("bad from / outputs references name the reference and the nearest defined name") {
    const std::string e = build_error(R"(input: [3, 8, 8]
stages:
  - blocks: [{type: ibn, out: 8}, {type: ibn, out: 8}]
head:
  - {type: conv, out: 8, from: s1b9}
)");
    CHECK_HAS(e, "t.yaml:5: head[0] (block 'head0'): key 'from': no block or layer named 's1b9' defined before this block (did you mean 's1b0'?)");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, from: later}, {type: conv, name: later, out: 8}]\n"),
              "no block or layer named 'later' defined before this block");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8}]\noutputs: [stem9]\n"),
              "t.yaml: outputs[0]: key 'outputs': no block or layer named 'stem9'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8}, {type: add, from: stem0}]\n"),
              "stem[1] (block 'stem1'): key 'from': expected a list of at least 2 inputs for block type 'add', got 1");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8}, {type: conv, out: 8, from: [input, stem0]}]\n"),
              "key 'from': block type 'conv' reads one input, got 2");
  }

  TEST_CASE("non-positive and wrongly typed values are rejected with what was expected") {
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem:\n  - {type: conv, out: 8, kernel: 0}\n"),
              "t.yaml:3: stem[0] (block 'stem0'): key 'kernel': expected a positive integer, got 0");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, padding: -1}]\n"),
              "key 'padding': expected a non-negative integer, got -1");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: eight}]\n"), "key 'out': expected an integer, got 'eight'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8.5}]\n"), "key 'out': expected an integer, got '8.5'");
    CHECK_HAS(build_error(stage_model(8, "[{type: ibn, out: 8, expand: -2}]")), "key 'expand': expected a positive number, got '-2'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, act: leaky}]\n"),
              "key 'act': expected one of none, relu, relu6, hswish, hsigmoid, sigmoid, swish, gelu, got 'leaky'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, bn: maybe}]\n"), "key 'bn': expected true or false, got 'maybe'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, repeat: 0}]\n"), "key 'repeat': expected a positive integer, got 0");
    CHECK_HAS(build_error("input: [3, 0, 8]\nstem: [{type: conv, out: 8}]\n"), "t.yaml:1: key 'input': expected a positive integer, got 0");
    CHECK_HAS(build_error("input: [3, 8]\nstem: [{type: conv, out: 8}]\n"), "key 'input': expected [C, H, W] (three positive integers), got a list");
    CHECK_HAS(build_error("input: [3, 8, 8]\nwidth_multiplier: 0\nstem: [{type: conv, out: 8}]\n"),
              "key 'width_multiplier': expected a positive number, got '0'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: resize, size: [4]}]\n"), "key 'size': expected [h, w] (two positive integers), got a list");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: ibn, out: 8, se_base: output}]\n"), "key 'se_base': expected one of expanded, input, got 'output'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: conv\n"), "t.yaml:2: key 'stem': expected a list of blocks, got 'conv'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [conv]\n"), "stem[0]: expected a block mapping");
  }

  TEST_CASE("contradictory or duplicate settings are rejected") {
    CHECK_HAS(build_error(stage_model(8, "[{type: ibn, out: 8, expand: 2, expand_channels: 16}]")),
              "key 'expand_channels': give either 'expand' or 'expand_channels', not both");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: resize}]\n"), "key 'scale': expected exactly one of 'scale', 'size' and 'like'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: resize, scale: 2, size: [4, 4]}]\n"), "key 'size': expected exactly one of 'scale', 'size' and 'like'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: resize, like: nowhere}]\n"),
              "stem[0] (block 'stem0'): key 'like': no block or layer named 'nowhere' defined before this block");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: se}]\n"), "key 'se_channels': expected exactly one of 'se_channels' and a positive 'se' ratio");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, name: a, out: 8}, {type: conv, name: a, out: 8}]\n"),
              "stem[1] (block 'a'): key 'name': 'a' is already the name of stem[0]");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, name: a, out: 8, repeat: 2}, {type: conv, name: a_1, out: 8}]\n"),
              "'a_1' is already the name of stem[0]");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, name: a.b, out: 8}]\n"), "key 'name': expected a name without '.'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, name: input, out: 8}]\n"), "other than 'input'");
    CHECK_HAS(build_error("input: [3, 8, 8]\nstem: [{type: conv, out: 8, out: 9}]\n"), "key 'out': given twice");
  }

  TEST_CASE("shape errors found by shape inference name the block") {
    const std::string e = build_error("input: [3, 8, 8]\nstem:\n  - {type: conv, out: 8}\n  - {type: conv, out: 4}\n  - {type: add, from: [stem0, stem1]}\n");
    CHECK_HAS(e, "t.yaml:5: stem[2] (block 'stem2')");
    CHECK_HAS(build_error("input: [3, 4, 4]\nstem: [{type: conv, out: 8, kernel: 7, padding: 0}]\n"), "t.yaml:2: stem[0] (block 'stem0')");
  }

  TEST_CASE("file-level problems: missing file, YAML syntax, empty file, not a mapping, unknown extension") {
    CHECK_HAS(error_of([] { load_model("/nonexistent/net.yaml"); }), "/nonexistent/net.yaml: cannot read the model: no such file");
    CHECK_HAS(build_error("input: [3, 8, 8\nstem: []\n"), "t.yaml:");
    CHECK_HAS(build_error("input: [3, 8, 8\nstem: []\n"), "YAML syntax error");
    CHECK(build_error("") == "t.yaml: empty model file");
    CHECK(build_error("# only a comment\n") == "t.yaml: empty model file");
    CHECK_HAS(build_error("- a\n- b\n"), "t.yaml:1: model: expected a mapping of model keys");
    CHECK_HAS(error_of([] { load_model("net.pb"); }), "net.pb: unknown model file extension '.pb' (expected .yaml, .yml, .csv or .onnx)");
  }

  TEST_CASE("load_model reads the block format from .yaml/.yml files") {
    const auto dir = std::filesystem::temp_directory_path() / "nesim_modelfmt_test";
    std::filesystem::create_directories(dir);
    const auto path = dir / "tiny.yml";
    std::ofstream(path) << "input: [3, 8, 8]\nstem: [{type: conv, out: 8}]\n";
    const Network net = load_model(path.string());
    CHECK(net.name == "tiny");
    CHECK(layer(net, "stem0").out == Shape{8, 8, 8});
    std::ofstream(path) << "input: [3, 8, 8]\nstem: [{type: conv, out: 8, strid: 2}]\n";
    CHECK_HAS(error_of([&] { load_model(path.string()); }), path.string() + ":2: stem[0] (block 'stem0'): key 'strid'");
    std::filesystem::remove_all(dir);
  }
}
