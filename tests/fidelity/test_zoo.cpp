// Zoo fidelity: every models/*.yaml must expand to a network the size its source publishes
// (params within 0.5%, MACs within 3%) with the output shapes its task implies.
// docs/model-zoo.md explains each figure and each residual difference.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sim/graph/network.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim {
namespace {

// How the published parameter figure was counted.
enum class ParamCount {
  Torchvision,  // conv/fc weights, biases, 2 per batch-norm channel (torchvision's num_params)
  NoBatchNorm,  // conv/fc weights and biases only (Google's TF-slim tables and the MobileNetV2 paper)
};

struct Published {
  const char* file;        // under models/
  int64_t params;          // as published
  bool params_exact;       // the source gives an exact count, not a rounded one
  ParamCount counting;
  double macs;             // multiply-accumulates as published (torchvision's "GFLOPS" are MACs)
  const char* source;
};

const std::vector<Published>& zoo() {
  static const std::vector<Published> table = {
      {"mobilenet_v2.yaml", 3'504'872, true, ParamCount::Torchvision, 0.301e9,
       "torchvision MobileNet_V2_Weights.IMAGENET1K_V1 meta (num_params, _ops)"},
      {"resnet18.yaml", 11'689'512, true, ParamCount::Torchvision, 1.814e9,
       "torchvision ResNet18_Weights.IMAGENET1K_V1 meta"},
      {"mobilenet_v3_large.yaml", 5'483'032, true, ParamCount::Torchvision, 0.217e9,
       "torchvision MobileNet_V3_Large_Weights.IMAGENET1K_V1 meta"},
      {"mobilenet_v3_small.yaml", 2'542'856, true, ParamCount::Torchvision, 0.057e9,
       "torchvision MobileNet_V3_Small_Weights.IMAGENET1K_V1 meta"},
      {"resnet50.yaml", 25'557'032, true, ParamCount::Torchvision, 4.089e9,
       "torchvision ResNet50_Weights.IMAGENET1K_V1 meta"},
      {"efficientnet_b0.yaml", 5'288'548, true, ParamCount::Torchvision, 0.386e9,
       "torchvision EfficientNet_B0_Weights.IMAGENET1K_V1 meta"},
      {"mnasnet1_0.yaml", 4'383'312, true, ParamCount::Torchvision, 0.314e9,
       "torchvision MNASNet1_0_Weights.IMAGENET1K_V1 meta"},
      {"mobilenet_v2_050.yaml", 1'950'000, false, ParamCount::NoBatchNorm, 97e6,
       "TF-slim mobilenet_v2_0.5_224 table (MobileNetV2 paper's width 0.5): 1.95M params, 97M MACs"},
      {"ssdlite_mobilenet_v2.yaml", 4'300'000, false, ParamCount::NoBatchNorm, 0.8e9,
       "MobileNetV2 paper (Sandler et al. 2018) Table 6, SSDLite at 320x320: 4.3M params, 0.8B MAdds"},
      {"lraspp_mobilenet_v3_large.yaml", 3'221'538, true, ParamCount::Torchvision, 2.086e9,
       "torchvision LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1 meta, 520x520"},
      // Imported from ONNX (nesim import): channel shuffle and split, LayerNorm, layer scale, GELU.
      {"shufflenet_v2_x1_0.yaml", 2'278'604, true, ParamCount::Torchvision, 146e6,
       "torchvision ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1 meta (params); ShuffleNetV2 paper, "
       "Table 5: 146M FLOPs (multiply-adds) for 1x"},
      {"convnext_tiny.yaml", 28'589'128, true, ParamCount::Torchvision, 4.456e9,
       "torchvision ConvNeXt_Tiny_Weights.IMAGENET1K_V1 meta"},
  };
  return table;
}

Network load_zoo(const std::string& file) { return load_model(std::string(NESIM_SOURCE_DIR) + "/models/" + file); }

int64_t count_params(const Network& net, ParamCount counting) {
  int64_t params = 0;
  for (const Layer& l : net.layers) {
    params += layer_params(net, l);
    if (counting == ParamCount::NoBatchNorm && l.batch_norm) params -= 2 * l.out_channels;
  }
  return params;
}

int64_t count_macs(const Network& net) {
  int64_t macs = 0;
  for (const Layer& l : net.layers) macs += layer_macs(net, l);
  return macs;
}

double relative_error(double ours, double published) { return std::abs(ours - published) / published; }

const Shape& output_shape(const Network& net, const std::string& name) {
  const int i = net.find(name);
  REQUIRE_MESSAGE(i >= 0, "no layer named " << name);
  return net.layers.at(i).out;
}

}  // namespace

TEST_SUITE("fidelity: do zoo models match published sizes?") {
  TEST_CASE("every models/*.yaml has a published figure in this table") {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(NESIM_SOURCE_DIR) + "/models")) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string file = entry.path().filename().string();
      bool listed = false;
      for (const Published& p : zoo()) listed = listed || file == p.file;
      CHECK_MESSAGE(listed, file << " is not in zoo() of tests/fidelity/test_zoo.cpp; add its published figures");
    }
  }

  TEST_CASE("params within 0.5% and MACs within 3% of the published figures") {
    for (const Published& p : zoo()) {
      const std::string file = p.file, source = p.source;
      CAPTURE(file);
      CAPTURE(source);
      const Network net = load_zoo(p.file);
      const int64_t params = count_params(net, p.counting);
      const int64_t macs = count_macs(net);
      CAPTURE(params);
      CAPTURE(macs);
      CHECK(relative_error(static_cast<double>(params), static_cast<double>(p.params)) <= 0.005);
      CHECK(relative_error(static_cast<double>(macs), p.macs) <= 0.03);
      if (p.params_exact) CHECK(params == p.params);
    }
  }

  TEST_CASE("classifiers end in one 1000-class output") {
    for (const std::string file : {"mobilenet_v2.yaml", "resnet18.yaml", "mobilenet_v3_large.yaml", "mobilenet_v3_small.yaml",
                                   "resnet50.yaml", "efficientnet_b0.yaml", "mnasnet1_0.yaml", "mobilenet_v2_050.yaml",
                                   "shufflenet_v2_x1_0.yaml", "convnext_tiny.yaml"}) {
      CAPTURE(file);
      const Network net = load_zoo(file);
      const std::vector<int> outs = net.output_indices();
      REQUIRE(outs.size() == 1);
      CHECK(net.layers.at(outs[0]).op == Op::FullyConnected);
      CHECK(net.layers.at(outs[0]).out == Shape{1000, 1, 1});
    }
  }

  TEST_CASE("mobilenet_v2_050 is torchvision's mobilenet_v2(width_mult=0.5) counted its way") {
    // The same layers torchvision builds; torchvision's count includes batch-norm parameters.
    const Network net = load_zoo("mobilenet_v2_050.yaml");
    CHECK(count_params(net, ParamCount::Torchvision) == 1'968'680);
    CHECK(output_shape(net, "stem0").c == 16);
    CHECK(output_shape(net, "last_conv").c == 1280);  // width_min: 1.0 keeps the last conv at full width
  }

  TEST_CASE("ssdlite_mobilenet_v2 predicts boxes and 81 class scores per anchor on six maps") {
    const Network net = load_zoo("ssdlite_mobilenet_v2.yaml");
    CHECK(net.input_shape() == Shape{3, 320, 320});
    CHECK(output_shape(net, "layer_15.expand") == Shape{576, 20, 20});
    CHECK(output_shape(net, "layer_19") == Shape{1280, 10, 10});
    const int64_t sizes[6] = {20, 10, 5, 3, 2, 1};
    int64_t anchors_total = 0;
    for (int i = 0; i < 6; ++i) {
      CAPTURE(i);
      const int64_t anchors = i == 0 ? 3 : 6;
      CHECK(output_shape(net, "box" + std::to_string(i)) == Shape{anchors * 4, sizes[i], sizes[i]});
      CHECK(output_shape(net, "cls" + std::to_string(i)) == Shape{anchors * 81, sizes[i], sizes[i]});
      anchors_total += anchors * sizes[i] * sizes[i];
    }
    CHECK(anchors_total == 2034);  // the anchor count of TF's ssdlite_mobilenet_v2 at 320x320
    CHECK(net.output_indices().size() == 12);
  }

  TEST_CASE("lraspp_mobilenet_v3_large outputs 21 classes at the input size") {
    const Network net = load_zoo("lraspp_mobilenet_v3_large.yaml");
    const std::vector<int> outs = net.output_indices();
    REQUIRE(outs.size() == 1);
    CHECK(net.layers.at(outs[0]).out == Shape{21, 520, 520});
    CHECK(output_shape(net, "c2.project") == Shape{40, 65, 65});  // low-level features, stride 8
    CHECK(output_shape(net, "high") == Shape{960, 33, 33});        // dilated last stage, stride 16
  }

  TEST_CASE("an imported ShuffleNetV2 scaled by a width multiplier keeps its channel splits at halves") {
    // The import writes each channel_slice with `of:` (its input's channels), so the range
    // follows the input when the width multiplier rounds the branches to other channel counts.
    ModelSpec spec = load_model_spec(std::string(NESIM_SOURCE_DIR) + "/models/shufflenet_v2_x1_0.yaml");
    for (double w : {0.35, 0.5, 1.25}) {
      CAPTURE(w);
      spec.width_multiplier = w;
      const Network net = expand(spec, "shufflenet_v2_x1_0.yaml");
      int slices = 0;
      for (const Layer& l : net.layers) {
        if (l.op != Op::ChannelSlice) continue;
        ++slices;
        const int64_t c = net.in_shape(l).c;
        CAPTURE(l.name);
        CHECK(l.slice_end - l.slice_begin == c / 2);
        CHECK((l.slice_begin == 0 || l.slice_end == c));
      }
      CHECK(slices == 26);  // 13 stride-1 units, each splitting its input in two
    }
  }
}

}  // namespace nesim
