#pragma once
// Maps a network onto an engine: fusion (conv+BN+act always; IBN / fused-IBN blocks when their
// intermediate tensors fit in SRAM and the block runs faster fused), tiling that fits SRAM with
// double buffering, and residency of tensors that the next kernel consumes. Every choice goes to
// the plan the engine runs in the fewest cycles (the engine's pipeline replayed,
// sim/timing/pipeline_replay.h), then the least DRAM traffic, then the fewest tiles.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/compiler/program.h"

namespace nesim {

struct CompileOptions {
  bool fuse_blocks = true;        // cross-layer fusion of IBN / fused-IBN blocks
  bool keep_resident = true;      // keep a small output in SRAM for its only consumer
  bool prefetch = true;           // load the next kernel's first weights during this kernel's last tiles
  bool operator==(const CompileOptions&) const = default;
};

// Throws InputError naming the layer and the bytes it needs when a layer cannot be mapped.
Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt = {});

struct PlannedKernel;

// Planned kernels remembered across compile() calls, so that networks sharing layer shapes (the
// candidates of a NAS search) run the tile search once per distinct kernel. Exact: the key is
// everything planning reads (the hardware config and options, each layer's op, geometry, shapes,
// activations, SE and resize parameters and block type, where its inputs come from relative to
// the kernel, which inputs and whether the output stay resident), so compile() with a cache
// returns a Program equal to compile() without one.
// Not thread-safe: give each thread its own. Memory grows with distinct plans and the prefetch
// pass's variants of them, one per neighbour a plan was changed for (5-13 KiB each for
// zoo kernels on ne-pf16: at most 80-200 MB at the default bound); at max_kernels the cache starts
// over at the next compile().
// Example:
//   PlanCache cache;
//   for (const Network& candidate : candidates) {
//     Program p = compile(candidate, hw, {}, cache);
//     double cycles = regressor.total_cycles(p);
//   }
class PlanCache {
 public:
  explicit PlanCache(size_t max_kernels = size_t{1} << 14);
  ~PlanCache();
  PlanCache(PlanCache&&) noexcept;
  PlanCache& operator=(PlanCache&&) noexcept;

  size_t size() const;            // kernels (and failed plans, and prefetch variants) remembered
  int64_t hits() const;
  int64_t misses() const;
  void clear();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend Program compile(const Network&, const HwConfig&, const CompileOptions&, PlanCache&);
  friend std::vector<PlannedKernel> plan_kernels(const Network&, const HwConfig&, const CompileOptions&, PlanCache&);
};

Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache& cache);

// One kernel of compile()'s decomposition, as the cache holds it: no tiles are copied.
struct PlannedKernel {
  const Kernel* plan = nullptr;  // owned by the cache; layer indices relative to first_layer, no name
  int first_layer = 0;           // network index of the kernel's first layer
  uint64_t plan_id = 0;          // names this plan for the cache's lifetime (never reused, even after
                                 // the cache starts over): a key for results derived from the plan
};

// The kernels compile(net, hw, opt, cache) would produce, in order, without building the Program:
// the same grouping, fusion, residency and plans (plan_kernels()[i].plan is program.kernels[i]
// up to its name and layer offset). For a search's prediction loop, where building ~700 tiles
// per candidate costs more than the decisions. The pointers are valid until the next compile()
// or plan_kernels() with this cache (which may start the cache over). Throws like compile().
std::vector<PlannedKernel> plan_kernels(const Network& net, const HwConfig& hw, const CompileOptions& opt,
                                        PlanCache& cache);

}  // namespace nesim
