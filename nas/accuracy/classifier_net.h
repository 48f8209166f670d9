#pragma once
// Any nesim network as an image classifier for the accuracy scorers: the candidate at a chosen
// input (channels x size x size) with a `classes`-way output. Plain C++; nas/torch builds the
// libtorch module from the result.
#include "sim/graph/network.h"
#include "sim/modelfmt/model_spec.h"

namespace nesim::nas {

struct ClassifierShape {
  int in_channels = 1;
  int input_size = 32;  // H = W
  int classes = 10;
};

// `spec` at another input: fixed resize targets (`size`) are scaled by the same factor, rounded
// (a `like` resize follows by itself).
ModelSpec at_input(const ModelSpec& spec, const Shape& input);

// The classification network scored for `spec` / `net`:
// - the input becomes in_channels x input_size x input_size: re-expanded from `spec` when it has
//   blocks (so `like` resizes follow), otherwise `net` with its Resize targets scaled alike;
// - the first output is the logits: an FC output gets out_channels = classes; any other output
//   (a feature map, a detector head) gets global average pooling + FC(classes, bias) appended;
// - layers the first output does not depend on (other heads) are dropped.
// Throws InputError naming the model when the network does not fit the new input (e.g. a layer's
// output shrinks below 1x1).
// Example: Network c = classifier_network(spec, expand(spec, "m.yaml"), {1, 32, 10});
Network classifier_network(const ModelSpec& spec, const Network& net, const ClassifierShape& shape);

}  // namespace nesim::nas
