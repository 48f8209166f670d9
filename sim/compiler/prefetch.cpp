// Prefetch across kernels: the schedule's last pass. A kernel's first tile waits for its weights,
// and every kernel starts on an idle engine (its first load waits for the kernel before to store
// its last tile), so each kernel boundary costs a weight load with nothing to hide it. Here the
// kernel before loads them: it gains a last tile with no compute that loads the next kernel's
// first weights (as many bytes as its working set leaves free), which the engine's loader issues
// as soon as an input buffer frees up, while the kernel's last tiles compute and store; the next
// kernel's first tile then loads only the rest. Both kernels stay kernels that start on an idle
// engine, so the replay, the per-kernel regressor and the plan cache stay exact; the pair is
// changed only where the replay says the two run faster that way. Unified SRAM only (a split
// SRAM's weight buffer is sized for the kernel's own weights), and not for batches (batch.h
// repeats a kernel's tiles per image).
//
// Weights only. Prefetching the next kernel's first input rows too, where this kernel does not
// produce them (a residual add's other input), was built and measured (2026-11-28): 0.1-0.9 %
// fewer cycles over the zoo, but layer-by-layer schedules, with more boundaries to prefetch
// across, then beat fused blocks the fusion pass had chosen; folding prefetch into that
// decision (cached per block, blind to the neighbours) broke test_monotonicity by up to 3 %.
#include <algorithm>
#include <memory>

#include "sim/compiler/compiler_impl.h"
#include "sim/compiler/kernel_summary.h"

namespace nesim::planner {

namespace {

Kernel with_prefetch(const Kernel& base, int64_t hoisted, int64_t prefetched, const HwConfig& hw) {
  Kernel k = base;
  if (hoisted > 0) k.tiles.front().load_weight_bytes -= hoisted;
  if (prefetched > 0) {
    Tile t;
    t.load_weight_bytes = prefetched;
    k.tiles.push_back(std::move(t));
    k.sram_peak_bytes += prefetched;
  }
  k.summary = summarize_kernel(k, hw);
  return k;
}

}  // namespace

const Kernel& Compiler::prefetch_variant(const Scheduled& s, int64_t hoisted, int64_t prefetched, Kernel& scratch,
                                         const PlanTable::Entry::Variant** variant) {
  *variant = nullptr;
  if (!s.cached) {
    // `own` holds the kernel as changed so far: undo that before applying the new pair.
    Kernel base = *s.own;
    if (s.prefetched > 0) {
      base.tiles.pop_back();
      base.sram_peak_bytes -= s.prefetched;
    }
    if (s.hoisted > 0) base.tiles.front().load_weight_bytes += s.hoisted;
    scratch = with_prefetch(base, hoisted, prefetched, hw_);
    return scratch;
  }
  auto& variants = s.cached->variants;
  for (const auto& v : variants)
    if (v->hoisted == hoisted && v->prefetched == prefetched) return (*variant = v.get())->kernel;
  auto v = std::make_unique<PlanTable::Entry::Variant>();
  v->hoisted = hoisted;
  v->prefetched = prefetched;
  v->kernel = with_prefetch(*s.cached->kernel, hoisted, prefetched, hw_);
  v->id = cache_->next_id++;
  variants.push_back(std::move(v));
  return (*variant = variants.back().get())->kernel;
}

void Compiler::prefetch(std::vector<Scheduled>& steps) {
  if (!opt_.prefetch || hw_.sram.layout != SramLayout::Unified) return;
  for (size_t k = 0; k + 1 < steps.size(); ++k) {
    Scheduled& a = steps[k];
    Scheduled& b = steps[k + 1];
    const Kernel& ka = a.kernel();
    const Kernel& kb = b.kernel();
    if (ka.tiles.empty() || kb.tiles.empty()) continue;
    const int64_t bytes =
        std::min(kb.tiles.front().load_weight_bytes, hw_.sram_bytes() - ka.sram_peak_bytes);
    if (bytes <= 0) continue;
    const int64_t before = ka.summary->engine_cycles + kb.summary->engine_cycles;
    Kernel scratch_a, scratch_b;
    const PlanTable::Entry::Variant *va = nullptr, *vb = nullptr;
    const Kernel& na = prefetch_variant(a, a.hoisted, bytes, scratch_a, &va);
    const Kernel& nb = prefetch_variant(b, bytes, 0, scratch_b, &vb);
    // A kernel left with nothing to do stays as it was: every kernel takes time (the regressor's
    // datasets check it).
    if (nb.summary->engine_cycles <= 0) continue;
    if (na.summary->engine_cycles + nb.summary->engine_cycles >= before) continue;
    a.prefetched = bytes;
    b.hoisted = bytes;
    if (a.cached) a.variant = va;
    else *a.own = std::move(scratch_a);
    if (b.cached) b.variant = vb;
    else *b.own = std::move(scratch_b);
  }
}

}  // namespace nesim::planner
