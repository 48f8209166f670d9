#pragma once
// The layer graph: what a network computes, independent of any engine. Loaders build it,
// the compiler maps it onto hardware, the NAS issues edit the block-level model that expands to it.
// Batch is always 1; tensors are C x H x W.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nesim {

struct Shape {
  int64_t c = 0, h = 0, w = 0;
  int64_t elements() const { return c * h * w; }
  bool operator==(const Shape&) const = default;
};

enum class Op {
  Input,          // a network input: layer 0, plus any independent inputs (SCALE-Sim topology rows)
  Conv2d,         // kernel/stride/padding/dilation/groups; groups == in_c == out_c is depthwise
  FullyConnected, // flattens its input
  MaxPool,
  AvgPool,
  GlobalAvgPool,  // output C x 1 x 1
  Add,            // elementwise, >= 2 inputs of equal shape (optionally broadcast 1x1 spatial)
  Mul,            // elementwise, 2 inputs; one may be C x 1 x 1 (broadcast, as in SE gating)
  Concat,         // along channels, equal H and W
  Resize,         // upsampling to out_h x out_w, nearest or bilinear
  SqueezeExcite,  // pool -> 1x1 conv(se_channels)+act -> 1x1 conv(C)+gate -> multiply, one layer
  Activation,     // standalone activation (when it cannot be fused into the producer)
  BatchNorm,      // standalone per-channel scale and shift (DenseNet's pre-activation BN): 2*C params
  LayerNorm,      // normalisation over the channels at each position (ConvNeXt's LayerNorm2d): 2*C params
  ChannelScale,   // per-channel learned multiplier (ConvNeXt's layer scale): C params
  ChannelShuffle, // ShuffleNet's reshape(g, C/g)-transpose-reshape over channels; `groups` = g
  ChannelSlice,   // channels [slice_begin, slice_end) of the input (ShuffleNetV2's split, chunk)
};

enum class Act { None, Relu, Relu6, HSwish, HSigmoid, Sigmoid, Swish, Gelu };
enum class ResizeMode { Nearest, Bilinear };

const char* op_name(Op op);     // "conv2d", "fc", "maxpool", ... (stable: used in CSV/JSON)
const char* act_name(Act act);  // "none", "relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "gelu"
std::optional<Op> parse_op(const std::string& s);
std::optional<Act> parse_act(const std::string& s);

struct Layer {
  std::string name;              // unique in the network, e.g. "s3b1.expand"
  Op op = Op::Input;
  std::vector<int> inputs;       // indices of producer layers (always < this layer's index)

  // Conv2d / pooling geometry.
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;                // Conv2d groups; ChannelShuffle's group count
  bool ceil_mode = false;        // MaxPool/AvgPool: output extent rounds up (torch's ceil_mode)
  int64_t out_channels = 0;      // Conv2d, FullyConnected; ignored elsewhere
  bool bias = false;             // a real bias vector (FC heads, SE convs)
  bool batch_norm = false;       // BN folded into this conv (counted as 2*C params, as trained)
  Act act = Act::None;           // activation fused into this layer (Conv2d, FC, Add, Activation)

  // SqueezeExcite.
  int64_t se_channels = 0;
  Act se_act = Act::Relu;
  Act se_gate = Act::Sigmoid;

  // ChannelSlice: the channel range taken from the input.
  int64_t slice_begin = 0, slice_end = 0;

  // Resize.
  int64_t out_h = 0, out_w = 0;
  ResizeMode resize_mode = ResizeMode::Nearest;

  // Provenance: the block this layer was expanded from ("" for raw layers) and its type
  // ("ibn", "fused_ibn", "conv", "dwsep", "basic", "bottleneck", "se", ...). The compiler uses it
  // to decide cross-layer fusion; the NAS issues use it to edit the model at block level.
  std::string block;
  std::string block_type;

  Shape out;                     // filled by Network::infer_shapes()

  bool is_depthwise(const Shape& in) const {
    return op == Op::Conv2d && groups > 1 && groups == in.c && out_channels == in.c;
  }
};

class Network;
// The op as records and reports name it: op_name(), except "dwconv2d" for a depthwise conv.
std::string layer_op_name(const Network& net, const Layer& layer);

class Network {
 public:
  std::string name;
  std::vector<Layer> layers;     // topological order; layers[0] is the Input (its `out` is the input shape)
  std::vector<int> outputs;      // indices of output layers; empty means "the last layer"
  int64_t batch = 1;             // images per run (the model's `batch`, or --batch); shapes are per image

  // Appends a layer and returns its index. Shapes are not inferred until infer_shapes().
  int add(Layer layer);
  int find(const std::string& layer_name) const;  // -1 when absent

  // Validates the graph (names unique, inputs earlier, arity, geometry positive, channel
  // divisibility by groups, matching shapes for Add/Mul/Concat, sizes within sim/graph/limits.h)
  // and fills Layer::out. Throws InputError naming `where` (a file name or model name), the layer,
  // and what was expected. With `first_new` > 0 only layers from that index on are checked and
  // inferred; the earlier ones must have been inferred already and left unchanged (an expander
  // appending layers block by block stays linear).
  void infer_shapes(const std::string& where, size_t first_new = 0);

  const Shape& input_shape() const { return layers.at(0).out; }
  const Shape& in_shape(const Layer& l, int k = 0) const { return layers.at(l.inputs.at(k)).out; }
  std::vector<int> output_indices() const;
  // consumers()[i] lists the layers that read layer i's output.
  std::vector<std::vector<int>> consumers() const;

 private:
  // Name -> index as of add()/infer_shapes(); find() verifies hits and scans on a miss, so edits
  // made straight to `layers` stay correct, only slower.
  std::unordered_map<std::string, int> index_;
};

}  // namespace nesim
