// The compiler: layer graph + HwConfig -> Program of kernels and tiles.
//
// Decisions, in order (each pass in its own file, compiler_impl.h):
//  1. Grouping: every layer is a kernel (conv+BN+activation are already one layer), except the
//     layers of an IBN / fused-IBN / depthwise-separable block, which become one kernel when the
//     whole block can stream through SRAM in row bands (its intermediates never touch DRAM).
//  2. Tiling: for each kernel, every registered tiling strategy that applies proposes its best
//     tiling whose double-buffered working set fits SRAM (tile shape: output rows x channel
//     chunk, input-channel slices; loop order: weights outer or bands outer), and the plan the
//     engine runs fastest wins (estimate.cpp: the engine's pipeline replayed); ties go to less
//     DRAM traffic, then to fewer tiles.
//  3. Residency: a kernel's output whose every consumer is the next kernel stays in SRAM when
//     both kernels still fit around it.
//  4. Prefetch: a kernel loads the next kernel's first weights during its last tiles, where they
//     fit beside its working set and the two kernels run faster that way.
#include "sim/compiler/compiler.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/compiler/batch.h"
#include "sim/compiler/compiler_impl.h"
#include "sim/compiler/kernel_summary.h"
#include "sim/graph/stats.h"
#include "sim/util/error.h"

namespace nesim {

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::MacArray: return "mac_array";
    case Unit::Depthwise: return "depthwise";
    case Unit::Vector: return "vector";
  }
  return "?";
}

namespace planner {

Compiler::Compiler(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache::Impl* cache)
    : LayerWork(net, hw), opt_(opt), cache_(cache), table_(cache ? &cache->table(hw, opt) : nullptr) {
  // Network::consumers() in one flat array: a cached compile is short enough for the
  // allocations of a vector per layer to show.
  reader_begin_.assign(net.layers.size() + 1, 0);
  for (const Layer& l : net.layers)
    for (size_t j = 0; j < l.inputs.size(); ++j)
      if (j == 0 || l.inputs[j] != l.inputs[j - 1]) ++reader_begin_[static_cast<size_t>(l.inputs[j]) + 1];
  for (size_t i = 1; i < reader_begin_.size(); ++i) reader_begin_[i] += reader_begin_[i - 1];
  readers_.assign(static_cast<size_t>(reader_begin_.back()), 0);
  std::vector<int> next(reader_begin_.begin(), reader_begin_.end() - 1);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const std::vector<int>& in = net.layers[i].inputs;
    for (size_t j = 0; j < in.size(); ++j)
      if (j == 0 || in[j] != in[j - 1]) readers_[static_cast<size_t>(next[static_cast<size_t>(in[j])]++)] = static_cast<int>(i);
  }
  for (int o : net.output_indices()) outputs_.insert(o);
}

std::optional<Kernel> Compiler::plan_uncached(const Group& g, const Resident& resident_in, bool out_resident) {
  if (tilers_.empty()) tilers_ = make_tilers(*this);
  // Every strategy that applies proposes its best plan; the best by plan_cost() (estimate.cpp)
  // wins, ties to the strategy first by name.
  std::optional<Kernel> k;
  std::optional<PlanCost> k_cost;
  for (const auto& tiler : tilers_) {
    if (!tiler->applies(g)) continue;
    std::optional<Kernel> candidate = tiler->plan(g, resident_in, out_resident);
    if (!candidate) continue;
    if (k) {
      if (!k_cost) k_cost = plan_cost(*k);
      PlanCost cost = plan_cost(*candidate);
      if (!(cost < *k_cost)) continue;
      k_cost = cost;
    }
    k = std::move(candidate);
  }
  if (k && k->layer_read_bytes.empty()) {  // single layer: all traffic is its own
    int64_t rd = 0, wr = 0;
    for (const Tile& t : k->tiles) {
      rd += t.load_ifmap_bytes + t.load_weight_bytes;
      wr += t.store_bytes;
    }
    k->layer_read_bytes = {rd};
    k->layer_write_bytes = {wr};
  }
  if (k && !k->summary) k->summary = summarize_kernel(*k, hw_);
  return k;
}

Kernel Compiler::materialize(Scheduled&& s) const {
  if (!s.cached) {
    s.own->name = s.fused ? layer(s.first_layer).block : layer(s.first_layer).name;
    return std::move(*s.own);
  }
  Kernel k = s.kernel();
  int first = s.first_layer;
  k.name = s.fused ? layer(first).block : layer(first).name;
  for (int& li : k.layers) li += first;
  for (Tile& t : k.tiles)
    for (ComputeStep& st : t.steps) st.layer += first;
  return k;
}

void Compiler::mapping_error(int li) const {
  const Layer& l = layer(li);
  int64_t in_bytes = 0;
  for (int in : l.inputs) in_bytes += tensor_bytes(in);
  // The least a tiler loads at once: one output channel's weights (a conv narrower than the
  // array; for a squeeze-excite, one output channel of its wider FC).
  int64_t w = l.op == Op::SqueezeExcite
                  ? std::max(in_shape(li).c, l.se_channels) * bpe_ + kChannelParamBytes
                  : weight_bytes(li, 1);
  throw input_error(
      "{}: layer '{}' ({}) cannot be mapped onto '{}': its smallest tile needs more SRAM than the "
      "engine's {} bytes (input {} bytes, output {} bytes, smallest weight chunk {} bytes)",
      net_.name, l.name, op_name(l.op), hw_.name, hw_.sram_bytes(), in_bytes, tensor_bytes(li), w);
}

Program Compiler::run() {
  Program p;
  p.model = net_.name;
  p.hw = hw_;
  for (const Layer& l : net_.layers) {
    std::string unit = unit_name(Unit::Vector);
    if (l.op == Op::Input || l.op == Op::Concat) unit = "";
    if (l.op == Op::ChannelShuffle || l.op == Op::ChannelSlice) unit = "dma";
    if (l.op == Op::Conv2d || l.op == Op::FullyConnected || l.op == Op::SqueezeExcite) unit = unit_name(Unit::MacArray);
    if (l.op == Op::Conv2d && l.is_depthwise(net_.in_shape(l)) && hw_.depthwise.mode == DepthwiseMode::Dedicated)
      unit = unit_name(Unit::Depthwise);
    p.layer_info.push_back({l.name, layer_op_name(net_, l), unit, layer_macs(net_, l), layer_params(net_, l)});
  }
  std::vector<Scheduled> steps = schedule();
  p.kernels.reserve(steps.size());
  for (Scheduled& s : steps) p.kernels.push_back(materialize(std::move(s)));
  return p;
}

std::vector<PlannedKernel> Compiler::planned_kernels() {
  std::vector<Scheduled> steps = schedule();
  std::vector<PlannedKernel> out;
  out.reserve(steps.size());
  for (const Scheduled& s : steps) {
    // form_groups() makes contiguous groups only, and every contiguous group is cacheable.
    if (!s.cached) throw std::logic_error("plan_kernels: a kernel was planned outside the cache");
    out.push_back({&s.kernel(), s.first_layer, s.id()});
  }
  return out;
}

}  // namespace planner

Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt) {
  // A cache for this compile alone: repeated blocks, and the layer-by-layer schedules that
  // fusion_pays() compares a block against, are planned once.
  PlanCache cache;
  return compile(net, hw, opt, cache);
}

Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache& cache) {
  if (net.batch <= 1) return planner::Compiler(net, hw, opt, cache.impl_.get()).run();
  CompileOptions batched = opt;
  batched.keep_resident = false;  // a resident output would have to hold the whole batch (batch.h)
  batched.prefetch = false;       // batch.h repeats a kernel's tiles per image, a prefetch tile too
  Program p = planner::Compiler(net, hw, batched, cache.impl_.get()).run();
  batch_kernels(p, net.batch);
  return p;
}

std::vector<PlannedKernel> plan_kernels(const Network& net, const HwConfig& hw, const CompileOptions& opt,
                                        PlanCache& cache) {
  if (net.batch > 1)
    throw input_error("{}: batch {}: the latency regressor and the search plan one image at a time; simulate a "
                      "batch with nesim simulate or sweep (docs/model-format.md, batch)", net.name, net.batch);
  return planner::Compiler(net, hw, opt, cache.impl_.get()).planned_kernels();
}

}  // namespace nesim
