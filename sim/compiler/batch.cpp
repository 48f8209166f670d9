#include "sim/compiler/batch.h"

#include "sim/compiler/kernel_summary.h"
#include "sim/graph/limits.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

// True when only the first tile loads weights: the plan keeps them in SRAM for every later tile.
bool weights_stay(const Kernel& k) {
  for (size_t i = 1; i < k.tiles.size(); ++i)
    if (k.tiles[i].load_weight_bytes > 0) return false;
  return true;
}

}  // namespace

void batch_kernels(Program& program, int64_t batch) {
  if (batch <= 1) return;
  int64_t tiles = 0;
  for (const Kernel& k : program.kernels) tiles += static_cast<int64_t>(k.tiles.size());
  if (tiles * batch > limits::kMaxBatchedTiles)
    throw input_error("{}: batch {}: {} tiles per image would make {} tiles, over the limit of {} (docs/model-format.md, "
                      "Limits); simulate a smaller batch and scale", program.model, batch, tiles, tiles * batch,
                      limits::kMaxBatchedTiles);
  program.batch = batch;
  for (LayerInfo& l : program.layer_info) l.macs *= batch;
  for (Kernel& k : program.kernels) {
    if (k.tiles.empty()) continue;
    const bool stay = weights_stay(k);
    const size_t n = k.tiles.size();
    k.tiles.reserve(n * static_cast<size_t>(batch));
    for (int64_t image = 1; image < batch; ++image)
      for (size_t i = 0; i < n; ++i) {
        k.tiles.push_back(k.tiles[i]);
        if (stay) k.tiles.back().load_weight_bytes = 0;
      }
    // Per-layer bytes: a layer's reads are its kernel-input share plus its weights (compiler.cpp,
    // tiling/block_chain.cpp); every image reads and writes its activations, the weights come
    // once when they stay. The first layer's kernel-input share is what the tiles load as ifmap.
    int64_t ifmap = 0;
    for (size_t i = 0; i < n; ++i) ifmap += k.tiles[i].load_ifmap_bytes;
    for (size_t j = 0; j < k.layer_read_bytes.size(); ++j) {
      const int64_t own = k.layer_read_bytes[j];
      const int64_t w = stay ? own - (j == 0 ? ifmap : 0) : 0;  // this layer's weights, loaded once
      k.layer_read_bytes[j] = own * batch - w * (batch - 1);
    }
    for (int64_t& b : k.layer_write_bytes) b *= batch;
    k.summary = summarize_kernel(k, program.hw);
  }
}

}  // namespace nesim
