#pragma once
// The largest network nesim accepts, declared once (docs/model-format.md, "Limits"). Every count
// derived from a network that passes these checks (shapes, MACs, bytes, cycles) fits in int64, and
// a model beyond them is an input error naming the file, block or layer and key, not a wrapped
// number or an hour of swapping. The largest published vision models are far inside every bound.
#include <cstdint>

namespace nesim::limits {

inline constexpr int64_t kMaxDimension = int64_t{1} << 20;        // any C, H, W, channel count, resize size
inline constexpr int64_t kMaxWindow = int64_t{1} << 16;           // kernel, stride, dilation, padding
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;   // C * H * W of every layer output
inline constexpr int64_t kMaxLayerWeights = int64_t{1} << 40;     // parameters of one layer
inline constexpr int64_t kMaxLayerMacs = int64_t{1} << 50;        // multiply-accumulates of one layer
inline constexpr int64_t kMaxLayers = 100'000;                    // layers after expansion
inline constexpr int64_t kMaxRepeat = 10'000;                     // a block's `repeat`
inline constexpr int64_t kMaxBatchedTiles = int64_t{1} << 22;   // tiles of a compiled batch, all images
inline constexpr int64_t kMaxBatch = 4096;                       // images per run (a model's `batch`, --batch)
inline constexpr double kMaxRatio = 1024;                         // expand, se, scale, width_multiplier

}  // namespace nesim::limits
