// Is every model and hardware config beyond the documented limits (sim/graph/limits.h,
// docs/model-format.md "Limits", docs/hwconfig.md) an InputError naming the file, block or layer
// and key, rather than a wrapped count, a negative cycle total or a hang? One row per reproducer of
// issue 16, plus the checked arithmetic behind them on networks and configs built in code.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include <fmt/format.h>

#include "sim/graph/limits.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/timing/unit_timing.h"
#include "sim/util/checked.h"
#include "sim/util/error.h"
#include "tests/support/input_error.h"

using namespace nesim;

namespace {

using nesim::test::error_of;

Network build(const std::string& yaml) { return expand(parse_model_yaml(yaml, "t.yaml"), "t.yaml"); }

struct ModelCase {
  const char* what;
  std::string yaml;
  std::vector<std::string> parts;  // every one must appear in the message
};

}  // namespace

TEST_SUITE("unit: limits") {
  TEST_CASE("a model beyond the documented limits is an input error naming the file, block and key") {
    const std::string conv16 = "input: [16, 8, 8]\nstem:\n  - ";
    const ModelCase cases[] = {
        {"huge conv kernel and padding", conv16 + "{type: conv, out: 8, kernel: 2000000000, padding: 1000000000}\n",
         {"t.yaml:3: stem[0] (block 'stem0'): key 'kernel'", "at most 65536", "2000000000"}},
        {"resize to 2e9 x 2e9", conv16 + "{type: resize, size: [2000000000, 2000000000]}\n",
         {"t.yaml:3: stem[0] (block 'stem0'): key 'size'", "at most 1048576"}},
        {"expand 1e9", conv16 + "{type: ibn, out: 16, expand: 1e9}\n", {"block 'stem0'): key 'expand'", "at most 1024"}},
        {"expand ratio within its bound, channels beyond theirs", "input: [2048, 4, 4]\nstem:\n  - {type: ibn, out: 16, expand: 1000}\n",
         {"block 'stem0'): key 'expand'", "expands 2048 input channels by 1000 to 2048000", "limit of 1048576"}},
        {"fc out 2e9", conv16 + "{type: global_pool}\n  - {type: fc, out: 2000000000}\n",
         {"t.yaml:4: stem[1] (block 'stem1'): key 'out'", "at most 1048576"}},
        {"repeat 100000", conv16 + "{type: activation, act: relu, repeat: 100000}\n",
         {"stem[0]: key 'repeat'", "at most 10000", "100000"}},
        {"an input side over 2^20", "input: [3, 2000000, 8]\nstem: [{type: conv, out: 8}]\n",
         {"t.yaml:1: key 'input'", "at most 1048576"}},
        {"width multiplier 1e300", "input: [3, 8, 8]\nwidth_multiplier: 1e300\nstem: [{type: conv, out: 8}]\n",
         {"key 'width_multiplier'", "at most 1024"}},
        {"an input tensor over 2^40 elements", "input: [1048576, 1048576, 2]\nstem: [{type: activation, act: relu}]\n",
         {"t.yaml", "layer 'input'", "more than 1099511627776 elements"}},
        {"an fc over 2^40 weights", "input: [1024, 64, 32]\nstem: [{type: fc, name: head, out: 1048576}]\n",
         {"block 'head')", "layer 'head'", "more than 1099511627776 parameters"}},
        {"a conv over 2^50 MACs", "input: [65536, 1024, 1024]\nstem: [{type: conv, name: big, out: 65536, kernel: 1}]\n",
         {"layer 'big'", "more than 1125899906842624 MACs"}},
        {"a resize scale that would wrap", "input: [3, 2048, 2048]\nstem: [{type: resize, scale: 1024}]\n",
         {"block 'stem0'): key 'scale'", "limit of 1048576"}},
    };
    for (const ModelCase& c : cases) {
      CAPTURE(c.what);
      const std::string message = error_of([&] { build(c.yaml); });
      for (const std::string& part : c.parts) CHECK_MESSAGE(message.find(part) != std::string::npos, message);
    }
  }

  TEST_CASE("more layers than the limit is an error naming the block that crossed it") {
    std::string yaml = "input: [8, 4, 4]\nstem:\n";
    for (int i = 0; i < 11; ++i) yaml += "  - {type: activation, act: relu, repeat: 10000}\n";
    const std::string message = error_of([&] { build(yaml); });
    CHECK_MESSAGE(message.find("stem[9] (block 'stem99999')") != std::string::npos, message);
    CHECK_MESSAGE(message.find("more than 100000 layers") != std::string::npos, message);
  }

  TEST_CASE("the largest repeat expands block by block to the right layers") {
    const Network net = build("input: [8, 4, 4]\nstem:\n  - {type: conv, out: 8, kernel: 1, repeat: 10000}\n");
    REQUIRE(net.layers.size() == 10001);
    CHECK(net.layers.back().name == "stem9999");
    CHECK(net.layers.back().inputs == std::vector<int>{9999});
    CHECK(net.layers.back().out == Shape{8, 4, 4});
    CHECK(network_stats(net, 1).macs == int64_t{10000} * 8 * 8 * 16);
  }

  TEST_CASE("a network built in code is held to the same limits when its shapes are inferred") {
    Network net;
    Layer in;
    in.name = "input";
    in.out = {16, 8, 8};
    net.add(in);
    Layer conv;
    conv.name = "c";
    conv.op = Op::Conv2d;
    conv.inputs = {0};
    conv.out_channels = 8;
    conv.kernel_h = conv.kernel_w = 2'000'000'000;
    conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1'000'000'000;
    net.add(conv);
    const std::string message = error_of([&] { net.infer_shapes("code"); });
    CHECK(message == "code: layer 'c': kernel 2000000000 is over the limit of 65536 (docs/model-format.md, Limits)");
  }

  TEST_CASE("counts of a layer that were never inferred overflow into an error naming the layer") {
    Network net;
    Layer in;
    in.name = "input";
    in.out = {1 << 30, 1 << 30, 1 << 30};  // not inferred: the limits were never checked
    net.add(in);
    Layer fc;
    fc.name = "fc";
    fc.op = Op::FullyConnected;
    fc.inputs = {0};
    fc.out_channels = 1 << 30;
    net.add(fc);
    const std::string message = error_of([&] { layer_params(net, net.layers[1]); });
    CHECK(message.find("layer 'fc': its parameters overflow a 64-bit count") == 0);
    CHECK(error_of([&] { layer_macs(net, net.layers[1]); }).find("layer 'fc': its MACs overflow") == 0);
  }

  TEST_CASE("checked arithmetic reports overflow instead of wrapping") {
    CHECK(checked::mul(int64_t{1} << 31, int64_t{1} << 31) == int64_t{1} << 62);
    CHECK_FALSE(checked::mul(int64_t{1} << 32, int64_t{1} << 31).has_value());
    CHECK_FALSE(checked::mul(2, 3, int64_t{1} << 62).has_value());
    CHECK(checked::add(int64_t{1} << 62, (int64_t{1} << 62) - 1) == INT64_MAX);
    CHECK_FALSE(checked::add(INT64_MAX, 1).has_value());
    CHECK(checked::to_int64(-9223372036854775808.0) == INT64_MIN);
    CHECK_FALSE(checked::to_int64(9223372036854775808.0).has_value());
    CHECK_FALSE(checked::to_int64(1e300).has_value());
  }

  TEST_CASE("hardware values outside their documented range are refused from a file and from --set") {
    struct HwCase {
      const char* key;
      const char* value;
      const char* expected;
    };
    const HwCase cases[] = {
        {"dram.bandwidth_gbps", "1e-300", "a number in [0.001, 1000000]"},
        {"dram.bandwidth_gbps", "1e-15", "a number in [0.001, 1000000]"},
        {"dram.bandwidth_gbps", "0.0009", "a number in [0.001, 1000000]"},
        {"clock_mhz", "1e-300", "a number in [1, 10000]"},
        {"dram.latency_ns", "1e300", "a number in [0, 1000000]"},
        {"energy.static_mw", "1e300", "a number in [0, 1000000]"},
        {"sram.kib", "1099511627776", "an integer in 1..4194304"},
        {"mac_array.pf", "-1", "an integer in 1..1024"},
    };
    for (const HwCase& c : cases) {
      CAPTURE(c.key);
      CAPTURE(c.value);
      HwConfig hw;
      const std::string where = fmt::format("--set {}={}", c.key, c.value);
      CHECK(error_of([&] { set_hw_key(hw, c.key, c.value, where); }) ==
            fmt::format("{}: key '{}': expected {}, got '{}'", where, c.key, c.expected, c.value));
      CHECK(hw == HwConfig{});  // nothing half-set
      const std::string path = c.key;
      const size_t dot = path.find('.');
      const std::string yaml = dot == std::string::npos
                                   ? fmt::format("{}: {}\n", path, c.value)
                                   : fmt::format("{}:\n  {}: {}\n", path.substr(0, dot), path.substr(dot + 1), c.value);
      CHECK(error_of([&] { parse_hw_yaml(yaml, "hw.yaml"); }) ==
            fmt::format("hw.yaml: key '{}': expected {}, got '{}'", c.key, c.expected, c.value));
    }
    HwConfig slowest;
    slowest.dram.bandwidth_gbps = 0.001;
    slowest.clock_mhz = 10000;
    CHECK_NOTHROW(validate(slowest, "code"));
  }

  TEST_CASE("a config built in code past the limits is refused by validate, and timing never converts past int64") {
    HwConfig hw;
    hw.dram.bandwidth_gbps = 1e-300;
    CHECK(error_of([&] { validate(hw, "code"); }).find("code: key 'dram.bandwidth_gbps'") == 0);
    // Unvalidated, the transfer time is a named error rather than an undefined conversion.
    CHECK(error_of([&] { dram_busy_cycles(hw, 1 << 20); }).find("more than a 64-bit count") != std::string::npos);
    HwConfig slow;
    slow.dram.bandwidth_gbps = 0.001;
    slow.clock_mhz = 10000;
    CHECK(dram_busy_cycles(slow, int64_t{1} << 41) > int64_t{1} << 41);
  }
}
