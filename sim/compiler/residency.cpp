// Residency and the schedule: which kernel outputs stay in SRAM for the next kernel, planned
// kernel by kernel. An output stays resident when its only reader is the next kernel, both
// kernels still fit around it, and the pair runs faster that way (estimate.cpp).
#include "sim/compiler/compiler_impl.h"

namespace nesim::planner {

bool Compiler::resident_candidate(const std::vector<Group>& groups, size_t k) const {
  if (!opt_.keep_resident || hw_.sram.layout != SramLayout::Unified || k + 1 >= groups.size()) return false;
  int out = groups[k].back();
  if (outputs_.count(out) || consumers(out).empty()) return false;
  const Group& next = groups[k + 1];
  if (layer(next.front()).op == Op::Concat) return false;
  for (int c : consumers(out))
    if (!next.contains(c)) return false;
  return tensor_bytes(out) * 2 <= hw_.sram_bytes();
}

// The decisions of the module comment, kernel by kernel; each kernel's plan is cached or owned.
std::vector<Compiler::Scheduled> Compiler::schedule() {
  std::vector<Scheduled> steps = schedule_groups(form_groups(), nullptr);
  prefetch(steps);
  return steps;
}

std::vector<Compiler::Scheduled> Compiler::schedule_groups(std::vector<Group> groups, bool* unmappable,
                                                           int64_t give_up_cycles, bool* gave_up) {
  std::vector<Scheduled> steps;
  steps.reserve(groups.size());
  int64_t settled_cycles = 0;  // of steps[0 .. size - 1): the last one may still be re-planned
  Resident resident_in, prev_resident_in;
  Scheduled s, prev;
  for (size_t k = 0; k < groups.size(); ++k) {
    bool out_res = resident_candidate(groups, k);
    bool ok = plan(groups[k], resident_in, out_res, s);
    if (!ok && out_res) ok = plan(groups[k], resident_in, out_res = false, s);
    if (!ok && !resident_in.empty()) {
      // Our resident input crowds this kernel out: send the producer's output to DRAM instead.
      if (plan(groups[k - 1], prev_resident_in, false, prev)) {
        steps.back() = std::move(prev);
        resident_in.clear();
        out_res = resident_candidate(groups, k);
        ok = plan(groups[k], resident_in, out_res, s);
        if (!ok && out_res) ok = plan(groups[k], resident_in, out_res = false, s);
      }
    }
    if (ok && !resident_in.empty()) {
      // A resident tensor saves its DRAM round trip but takes SRAM from both kernels (smaller
      // tiles, or a block that no longer streams in wide bands): kept only when the two kernels
      // run faster with it.
      Scheduled alt_prev, alt;
      if (plan(groups[k - 1], prev_resident_in, false, alt_prev) && plan(groups[k], {}, out_res, alt) &&
          kernel_estimate(alt_prev.kernel()) + kernel_estimate(alt.kernel()) <
              kernel_estimate(steps.back().kernel()) + kernel_estimate(s.kernel())) {
        steps.back() = std::move(alt_prev);
        s = std::move(alt);
        resident_in.clear();
      }
    }
    if (ok && groups[k].fused && !fusion_pays(groups[k], s)) ok = false;
    if (!ok && groups[k].fused) {
      // The block does not stream through SRAM, or is faster unfused: run its layers one by one.
      // Its input may have more than one reader among them, so it must come from DRAM.
      if (!resident_in.empty()) {
        if (plan(groups[k - 1], prev_resident_in, false, prev)) steps.back() = std::move(prev);
        resident_in.clear();
      }
      Group block = groups[k];
      groups.erase(groups.begin() + static_cast<long>(k));
      for (int li = block.back(); li >= block.front(); --li)
        groups.insert(groups.begin() + static_cast<long>(k), Group{li, 1, false});
      --k;
      continue;
    }
    if (!ok) {
      if (!unmappable) mapping_error(groups[k].front());
      *unmappable = true;
      return {};
    }
    prev_resident_in = resident_in;
    resident_in.clear();
    if (out_res) resident_in.insert(groups[k].back());
    if (gave_up && !steps.empty()) {
      settled_cycles += kernel_estimate(steps.back().kernel());
      if (settled_cycles >= give_up_cycles) {
        *gave_up = true;
        return {};
      }
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace nesim::planner
