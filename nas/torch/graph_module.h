#pragma once
// A nesim layer graph as a libtorch module (internal to nas/torch: includes torch headers, which
// are slow to compile; nothing outside nas/torch includes this file).
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "nas/accuracy/scorer.h"
#include "nas/torch/fashion_mnist.h"
#include "sim/graph/network.h"

namespace nesim::nas {

// One torch submodule per conv / FC / BN / SE layer of `net`, wired as the graph says, initialised
// as torchvision does: conv weights kaiming-normal (fan_out, ReLU gain), FC weights N(0, 0.01),
// biases 0, BN weight 1 and bias 0. Seed with torch::manual_seed before constructing.
class GraphModuleImpl : public torch::nn::Module {
 public:
  explicit GraphModuleImpl(const Network& net);

  // Every layer's output for a batch `x` (N x C x H x W, C x H x W = net's input); [i] is layer i.
  std::vector<torch::Tensor> forward_all(const torch::Tensor& x);
  // The network's first output (the logits of a classifier_network()).
  torch::Tensor forward(const torch::Tensor& x);

  // Conv and FC weight tensors (SE convs included), in layer order: what the proxies sum over.
  const std::vector<torch::Tensor>& weights() const { return weights_; }
  // Called with the input of every rectifying activation (relu, relu6, hswish, swish) of a layer,
  // before it is applied: NASWOT reads the binary codes x > 0 from it. Empty: not called.
  std::function<void(const torch::Tensor&)> on_rectifier;
  // relu6 computed as relu: synflow's all-ones input with |weights| saturates every relu6 and
  // would zero the gradient flow that the proxy measures.
  bool unclamped_relu6 = false;
  // Eval mode folds each conv's BN (running statistics) into the convolution's weights and bias
  // instead of a pass over the activations; false: BN runs as its own op (the tests compare).
  bool fold_batch_norm = true;

  const Network& network() const { return net_; }

  // Every learned tensor of the module, named "<layer name>/<role>" (role: conv.weight, conv.bias,
  // bn.weight, bn.bias, fc.weight, fc.bias, se_reduce.weight, ...), in layer order. `share`
  // returns what the module uses from now on instead (the supernet's slice of that shape); the
  // module's own tensors are then unused. BN running statistics stay the module's own.
  void share_weights(const std::function<torch::Tensor(const std::string& slot, const torch::Tensor& own)>& share);

 private:
  struct Node {
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    torch::nn::Linear fc{nullptr};
    torch::nn::Conv2d se_reduce{nullptr}, se_expand{nullptr};
    torch::nn::BatchNorm2d norm{nullptr};  // a standalone BatchNorm layer
    torch::nn::LayerNorm layer_norm{nullptr};
    torch::Tensor scale;                   // ChannelScale: C
  };
  torch::Tensor activate(const torch::Tensor& x, Act act, bool hook);
  // Every layer's output (keep_all), or the layers up to the first output with each output let go
  // after its last reader: evaluating 500 images otherwise held every activation to the end
  // (autograd keeps what backward needs).
  std::vector<torch::Tensor> run(const torch::Tensor& x, bool keep_all);
  torch::Tensor run_layer(size_t i, const std::vector<torch::Tensor>& outs);

  Network net_;
  std::vector<Node> nodes_;
  std::vector<torch::Tensor> weights_;
  std::vector<size_t> last_reader_;  // by layer: the last layer that reads its output (run())
};
TORCH_MODULE(GraphModule);

// The candidate as the scorers see it: classifier_network() at options' input, channels and
// classes, built after torch::manual_seed(seed).
GraphModule classifier_module(const ModelSpec& spec, const Network& net, const ScorerOptions& options, uint64_t seed);

// Images `index` of `set` as a float batch N x in_channels x input_size x input_size: scaled to
// [0, 1], normalised with Fashion-MNIST's mean and std, resized bilinearly, grey repeated per
// channel; channels-last in memory (channels_last()).
torch::Tensor image_batch(const ImageSet& set, const std::vector<int64_t>& index, const ScorerOptions& options);
torch::Tensor label_batch(const ImageSet& set, const std::vector<int64_t>& index);

// `x` (N x C x H x W) copied into channels-last (NHWC) memory, the layout image_batch() returns.
// The strides are set explicitly: for one channel contiguous(ChannelsLast) keeps NCHW's, and the
// convolutions then stay NCHW throughout. From an NHWC input every convolution (oneDNN) and the
// BN after it run NHWC: training steps took 0.30 instead of 0.53 s (MobileNetV2 at 56 x 56, batch
// 64, 1 thread; docs/benchmarks.md), with results equal to NCHW's up to rounding.
torch::Tensor channels_last(const torch::Tensor& x);

// libtorch thread count for this process (intra-op), set once per call site; cheap when unchanged.
void use_threads(int threads);

}  // namespace nesim::nas
