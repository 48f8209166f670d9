#pragma once
// Hand-built networks for tests that check the IR, stats and compiler below the model format.
#include <string>
#include <utility>
#include <vector>

#include "sim/graph/network.h"

namespace nesim::test {

// A network holding only its Input layer, of shape `s`.
inline Network with_input(Shape s, const std::string& name = "") {
  Network net;
  net.name = name;
  Layer in;
  in.name = "input";
  in.op = Op::Input;
  in.out = s;
  net.add(in);
  return net;
}

// A layer of type `op` reading `inputs`; the caller sets the rest.
inline Layer layer(const std::string& name, Op op, std::vector<int> inputs) {
  Layer l;
  l.name = name;
  l.op = op;
  l.inputs = std::move(inputs);
  return l;
}

}  // namespace nesim::test
