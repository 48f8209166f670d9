#pragma once
// Hand-built compiled programs for the engine's module tests: tiles written out by the test,
// below the compiler.
#include <utility>
#include <vector>

#include "sim/compiler/program.h"

namespace nesim::test {

// One conv kernel ("k1", layer 1 after the input) made of `tiles`, on `hw`.
inline Program one_kernel(const HwConfig& hw, std::vector<Tile> tiles) {
  Program p;
  p.model = "hand";
  p.hw = hw;
  p.layer_info = {{"in", "input", ""}, {"l1", "conv2d", "mac_array", 0, 0}};
  Kernel k;
  k.name = "k1";
  k.kind = "conv";
  k.layers = {1};
  k.layer_read_bytes = {0};
  k.layer_write_bytes = {0};
  k.tiles = std::move(tiles);
  p.kernels.push_back(std::move(k));
  return p;
}

}  // namespace nesim::test
