#pragma once
// Any nesim network as an image classifier for the accuracy scorers: the candidate at a chosen
// input (channels x size x size) with a `classes`-way output. Plain C++; nas/torch builds the
// libtorch module from the result.
#include "sim/graph/network.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

// The proxy task's network: what is trained and what stands in for it (docs/accuracy.md, "The
// proxy task"). Fashion-MNIST's 28 x 28 images upsampled to 56 x 56: a 224-designed network then
// keeps 4 x 4 maps through its middle stages and 2 x 2 at the end instead of collapsing to 1 x 1,
// the same maps and MACs as skipping its first stride at 28 x 28 (as CIFAR ports do), but with
// every resize of a segmentation head following (measured choice; docs/benchmarks.md).
struct ClassifierShape {
  int in_channels = 1;
  int input_size = 56;   // H = W
  int classes = 10;
  int skip_strides = 0;  // the first N downsampling steps (highest resolution first) run at stride 1
};

// `spec` at another input: fixed resize targets (`size`) are scaled by the same factor, rounded
// (a `like` resize follows by itself).
ModelSpec at_input(const ModelSpec& spec, const Shape& input);

// The classification network scored for `spec` / `net`:
// - the input becomes in_channels x input_size x input_size: re-expanded from `spec` when it has
//   blocks (so `like` resizes follow), otherwise `net` with its Resize targets scaled alike;
// - the first `skip_strides` downsampling steps run at stride 1 (skip_downsamplings());
// - the first output is the logits: an FC output gets out_channels = classes; any other output
//   (a feature map, a detector head) gets global average pooling + FC(classes, bias) appended;
// - layers the first output does not depend on (other heads) are dropped.
// Throws InputError naming the model when the network does not fit the new input (e.g. a layer's
// output shrinks below 1x1).
// Example: Network c = classifier_network(spec, expand(spec, "m.yaml"), {1, 32, 10});
Network classifier_network(const ModelSpec& spec, const Network& net, const ClassifierShape& shape);

// The input adaptation of the proxy task, in place: `count` times, every strided layer (conv or
// pool) that reads the highest resolution any strided layer reads is set to stride 1, an odd
// kernel getting symmetric "same" padding, so that parallel branches (a ResNet shortcut) stay
// aligned. Stops early when nothing is strided any more. Shapes are re-inferred.
void skip_downsamplings(Network& net, int count, const std::string& where);

}  // namespace nesim::nas
