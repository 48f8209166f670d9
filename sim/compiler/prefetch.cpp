// Prefetch across kernels: the schedule's last pass. Every kernel starts on an idle engine (its
// first load waits for the kernel before to store its last tile), so each kernel boundary costs
// the next kernel's first loads with nothing to hide them. Here the kernel before makes them: it
// gains a last tile with no compute that loads the next kernel's first-tile weights, then its
// first-tile input rows where this kernel does not produce them (as many bytes as its working set
// leaves free). The engine's loader issues that tile as soon as an input buffer frees up, while
// the last tiles compute and store; the next kernel's first tile then loads only the rest.
// Both stay kernels that start on an idle engine, so the replay, the per-kernel regressor and
// the plan cache stay exact; a pair is changed only where the replay says the two run faster
// that way, left to right.
//
// Not done: split SRAM (its weight buffer is sized for the kernel's own weights); batches
// (batch.h repeats a kernel's tiles per image); input rows into the layers of a block the fusion
// pass left unfused. That decision is made without prefetch, and input prefetch favours the
// layers (more boundaries): prefetching into them too made layer-by-layer schedules beat fused
// blocks the pass had chosen, and folding prefetch into the fusion decision (cached per block,
// blind to its neighbours) broke test_monotonicity by up to 3 % (measured 2026-11-28).
#include <algorithm>
#include <memory>

#include "sim/compiler/compiler_impl.h"
#include "sim/compiler/kernel_summary.h"

namespace nesim::planner {

namespace {

Kernel with_change(const Kernel& base, const Prefetch& c, const HwConfig& hw) {
  Kernel k = base;
  k.tiles.front().load_weight_bytes -= c.hoisted_weights;
  k.tiles.front().load_ifmap_bytes -= c.hoisted_ifmap;
  if (c.weights + c.ifmap > 0) {
    Tile t;
    t.load_ifmap_bytes = c.ifmap;
    t.load_weight_bytes = c.weights;
    k.tiles.push_back(std::move(t));
    k.sram_peak_bytes += c.weights + c.ifmap;
  }
  k.summary = summarize_kernel(k, hw);
  return k;
}

// The kernel before with_change(k, c).
Kernel without_change(Kernel k, const Prefetch& c) {
  if (c.weights + c.ifmap > 0) {
    k.tiles.pop_back();
    k.sram_peak_bytes -= c.weights + c.ifmap;
  }
  k.tiles.front().load_weight_bytes += c.hoisted_weights;
  k.tiles.front().load_ifmap_bytes += c.hoisted_ifmap;
  return k;
}

}  // namespace

const Kernel& Compiler::prefetch_variant(const Scheduled& s, const Prefetch& change, Kernel& scratch,
                                         const PlanTable::Entry::Variant** variant) {
  *variant = nullptr;
  if (!s.cached) {
    scratch = with_change(without_change(*s.own, s.change), change, hw_);
    return scratch;
  }
  auto& variants = s.cached->variants;
  for (const auto& v : variants)
    if (v->change == change) return (*variant = v.get())->kernel;
  auto v = std::make_unique<PlanTable::Entry::Variant>();
  v->change = change;
  v->kernel = with_change(*s.cached->kernel, change, hw_);
  v->id = cache_->next_id++;
  ++cache_->variants;
  variants.push_back(std::move(v));
  return (*variant = variants.back().get())->kernel;
}

bool Compiler::input_prefetchable(const Scheduled& a, const Scheduled& b) const {
  // Groups are contiguous and every layer but the inputs is in one: a's output is the layer
  // just before b's first, and everything else b reads from DRAM was stored before a started.
  const int a_out = b.first_layer - 1;
  const int b_last = b.first_layer + static_cast<int>(b.kernel().layers.size()) - 1;
  for (int li = b.first_layer; li <= b_last; ++li) {
    const Layer& l = layer(li);
    if (!b.fused && in_fusable_block(l)) return false;
    if (a.kernel().output_to_dram)
      for (int in : l.inputs)
        if (in == a_out) return false;
  }
  return true;
}

void Compiler::prefetch(std::vector<Scheduled>& steps) {
  if (!opt_.prefetch || hw_.sram.layout != SramLayout::Unified) return;
  for (size_t k = 0; k + 1 < steps.size(); ++k) {
    Scheduled& a = steps[k];
    Scheduled& b = steps[k + 1];
    const Kernel& ka = a.kernel();
    const Kernel& kb = b.kernel();
    if (ka.tiles.empty() || kb.tiles.empty()) continue;
    // Weights first (they never depend on a), then b's input where input_prefetchable().
    int64_t room = hw_.sram_bytes() - ka.sram_peak_bytes;
    Prefetch to_b;
    to_b.hoisted_weights = std::clamp<int64_t>(kb.tiles.front().load_weight_bytes, 0, room);
    room -= to_b.hoisted_weights;
    if (room > 0 && kb.tiles.front().load_ifmap_bytes > 0 && input_prefetchable(a, b))
      to_b.hoisted_ifmap = std::min(kb.tiles.front().load_ifmap_bytes, room);
    if (to_b.hoisted_weights + to_b.hoisted_ifmap <= 0) continue;
    Prefetch to_a = a.change;
    to_a.weights = to_b.hoisted_weights;
    to_a.ifmap = to_b.hoisted_ifmap;
    const int64_t before = ka.summary->engine_cycles + kb.summary->engine_cycles;
    Kernel scratch_a, scratch_b;
    const PlanTable::Entry::Variant *va = nullptr, *vb = nullptr;
    const Kernel& na = prefetch_variant(a, to_a, scratch_a, &va);
    const Kernel& nb = prefetch_variant(b, to_b, scratch_b, &vb);
    // A kernel left with nothing to do (a resident slice whose one load moved) stays as it was:
    // every kernel takes time (the regressor's datasets check it).
    if (nb.summary->engine_cycles <= 0) continue;
    if (na.summary->engine_cycles + nb.summary->engine_cycles >= before) continue;
    a.change = to_a;
    b.change = to_b;
    if (a.cached) a.variant = va;
    else *a.own = std::move(scratch_a);
    if (b.cached) b.variant = vb;
    else *b.own = std::move(scratch_b);
  }
}

}  // namespace nesim::planner
