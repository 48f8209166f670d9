// unit: the layers ONNX import brought (BatchNorm, LayerNorm, ChannelScale, ChannelShuffle,
// ChannelSlice, GELU, ceil-mode pooling): shapes, counts, errors and the units the compiler puts them on.
#include <doctest/doctest.h>

#include "sim/compiler/compiler.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "tests/support/input_error.h"
#include "tests/support/network_builders.h"

namespace {

using namespace nesim;
using nesim::test::error_of;
using nesim::test::layer;
using nesim::test::with_input;

// input 32 x 8 x 8 -> `l` (reading the input).
Network one(Layer l) {
  Network net = with_input({32, 8, 8}, "t");
  net.add(std::move(l));
  net.infer_shapes("t");
  return net;
}

}  // namespace

TEST_SUITE("unit: layer graph") {
  TEST_CASE("channel ops: shapes, parameters and vector operations") {
    Layer bn = layer("bn", Op::BatchNorm, {0});
    bn.act = Act::Relu;
    Network net = one(bn);
    CHECK(net.layers[1].out == Shape{32, 8, 8});
    CHECK(layer_params(net, net.layers[1]) == 64);
    CHECK(layer_vector_ops(net, net.layers[1]) == 3 * 32 * 64);  // scale, shift, relu

    net = one(layer("ln", Op::LayerNorm, {0}));
    CHECK(layer_params(net, net.layers[1]) == 64);
    CHECK(layer_vector_ops(net, net.layers[1]) == 5 * 32 * 64);
    CHECK(layer_macs(net, net.layers[1]) == 0);

    net = one(layer("scale", Op::ChannelScale, {0}));
    CHECK(layer_params(net, net.layers[1]) == 32);

    Layer shuffle = layer("shuffle", Op::ChannelShuffle, {0});
    shuffle.groups = 4;
    net = one(shuffle);
    CHECK(net.layers[1].out == Shape{32, 8, 8});
    CHECK(layer_params(net, net.layers[1]) == 0);
    CHECK(layer_vector_ops(net, net.layers[1]) == 0);

    Layer slice = layer("slice", Op::ChannelSlice, {0});
    slice.slice_begin = 8, slice.slice_end = 20;
    net = one(slice);
    CHECK(net.layers[1].out == Shape{12, 8, 8});
  }

  TEST_CASE("channel ops: a bad group count or channel range names the layer") {
    Layer shuffle = layer("shuffle", Op::ChannelShuffle, {0});
    shuffle.groups = 5;
    CHECK(error_of([&] { one(shuffle); }) ==
          "t: layer 'shuffle': expected groups to divide the input's 32 channels, got groups 5");
    Layer slice = layer("slice", Op::ChannelSlice, {0});
    slice.slice_begin = 30, slice.slice_end = 40;
    CHECK(error_of([&] { one(slice); }) == "t: layer 'slice': expected a channel range 0 <= begin < end <= 32, got [30, 40)");
  }

  TEST_CASE("ceil-mode pooling rounds up, less a last window that would start in the padding") {
    Layer pool = layer("pool", Op::MaxPool, {0});
    pool.kernel_h = pool.kernel_w = 3;
    pool.stride_h = pool.stride_w = 2;
    pool.ceil_mode = true;
    CHECK(one(pool).layers[1].out == Shape{32, 4, 4});  // floor: 3
    pool.kernel_h = pool.kernel_w = 2;
    pool.pad_top = pool.pad_bottom = pool.pad_left = pool.pad_right = 1;
    CHECK(one(pool).layers[1].out == Shape{32, 5, 5});  // ceil(9/2)+1 = 6 starts at 10 >= 8+1: dropped
  }
}

TEST_SUITE("unit: compiler") {
  TEST_CASE("norms and scales run on the vector unit; shuffle and slice are DMA re-layouts") {
    Network net = with_input({32, 8, 8}, "t");
    net.add(layer("ln", Op::LayerNorm, {0}));
    Layer shuffle = layer("shuffle", Op::ChannelShuffle, {1});
    shuffle.groups = 2;
    net.add(shuffle);
    Layer slice = layer("slice", Op::ChannelSlice, {0});  // from DRAM: nothing resident
    slice.slice_begin = 0, slice.slice_end = 16;
    net.add(slice);
    net.add(layer("scale", Op::ChannelScale, {3}));
    net.infer_shapes("t");
    const Program p = compile(net, HwConfig{});  // int8 activations by default
    REQUIRE(p.layer_info.size() == 5);
    CHECK(p.layer_info[1].unit == "vector");
    CHECK(p.layer_info[2].unit == "dma");
    CHECK(p.layer_info[3].unit == "dma");
    CHECK(p.layer_info[4].unit == "vector");
    for (const Kernel& k : p.kernels) {
      int64_t vector_elements = 0, loads = 0, stores = 0;
      for (const Tile& t : k.tiles) {
        loads += t.load_ifmap_bytes, stores += t.store_bytes;
        for (const ComputeStep& s : t.steps) vector_elements += s.elements;
      }
      CAPTURE(k.name);
      if (k.name == "shuffle" || k.name == "slice") CHECK(vector_elements == 0);
      if (k.name == "ln") CHECK(vector_elements > 0);
      if (k.name == "slice") CHECK(loads == 16 * 64);  // only the sliced channels are read (int8)
    }
  }

  TEST_CASE("channel_slice: a range past its 'of' names the key; 'of' scales the range with its input") {
    const std::string bad =
        "input: [8, 4, 4]\nwidth_multiplier: 2.0\nchannel_divisor: 1\nstem: [{type: conv, out: 8, kernel: 1}, "
        "{type: channel_slice, begin: 4, end: 12, of: 8}]\n";
    const std::string e = error_of([&] { expand(parse_model_yaml(bad, "s.yaml"), "s.yaml"); });
    CHECK(e.find("s.yaml") != std::string::npos);
    CHECK(e.find("'end'") != std::string::npos);
    CHECK(e.find("past 'of'") != std::string::npos);
    const std::string good =
        "input: [8, 4, 4]\nwidth_multiplier: 2.0\nchannel_divisor: 1\nstem: [{type: conv, out: 8, kernel: 1}, "
        "{type: channel_slice, begin: 4, end: 8, of: 8}]\n";
    const Network net = expand(parse_model_yaml(good, "s.yaml"), "s.yaml");
    CHECK(net.layers.back().slice_begin == 8);  // the conv is 16 wide at width 2: the upper half
    CHECK(net.layers.back().slice_end == 16);
  }
}
