// Grouping and fusion: which layers run as one kernel.
#include <string>

#include "sim/compiler/compiler_impl.h"

namespace nesim::planner {

bool Compiler::chain_ok(int first, int count) const {
  if (count < 2) return false;
  int x = layer(first).inputs.empty() ? -1 : layer(first).inputs[0];
  if (x < 0 || layer(first).inputs.size() != 1) return false;
  for (int li = first; li < first + count; ++li) {
    const Layer& l = layer(li);
    switch (l.op) {
      case Op::Conv2d:
      case Op::SqueezeExcite:
      case Op::Activation:
        if (li > first && l.inputs[0] != li - 1) return false;
        break;
      case Op::Add:
        if (l.inputs.size() != 2 || li == first) return false;
        if (!((l.inputs[0] == x && l.inputs[1] == li - 1) || (l.inputs[1] == x && l.inputs[0] == li - 1)))
          return false;
        break;
      default: return false;
    }
    // Intermediates must not escape the block.
    if (li + 1 < first + count) {
      if (outputs_.count(li)) return false;
      for (int c : consumers(li))
        if (c < first || c >= first + count) return false;
    }
  }
  return true;
}

bool Compiler::in_fusable_block(const Layer& l) {
  const std::string& bt = l.block_type;
  return !l.block.empty() && (bt == "ibn" || bt == "fused_ibn" || bt == "dwsep");
}

std::vector<Group> Compiler::form_groups() const {
  std::vector<Group> groups;
  const auto& L = net_.layers;
  for (size_t i = 1; i < L.size();) {
    if (L[i].op == Op::Input) {  // further inputs (independent layers of a SCALE-Sim topology)
      ++i;
      continue;
    }
    bool systolic = hw_.mac_array.kind == ArrayKind::Systolic;  // folds are per layer
    if (opt_.fuse_blocks && !systolic && in_fusable_block(L[i])) {
      size_t j = i;
      while (j < L.size() && L[j].block == L[i].block) ++j;
      if (chain_ok(static_cast<int>(i), static_cast<int>(j - i))) {
        groups.push_back({static_cast<int>(i), static_cast<int>(j - i), true});
        i = j;
        continue;
      }
    }
    groups.push_back({static_cast<int>(i), 1, false});
    ++i;
  }
  return groups;
}

// A fused block keeps its intermediates out of DRAM but must hold (and first load) all of its
// weights; for weight-heavy late blocks, layer-by-layer kernels that stream weight chunks under
// compute are faster. Fusion is kept when its estimate is no worse than the layers' as the
// schedule would run them (with whatever residency pays between them).
bool Compiler::fusion_pays(const Group& g, const Kernel& fused) {
  std::vector<Group> singles;
  for (int li : g.layers()) singles.push_back(Group{li, 1, false});
  bool unmappable = false, slower = false;
  int64_t fused_cycles = kernel_estimate(fused);
  // The layers' schedule stops as soon as its settled kernels alone take as long as the block.
  std::vector<Scheduled> layers = schedule_groups(std::move(singles), &unmappable, fused_cycles, &slower);
  if (unmappable || slower) return true;
  int64_t unfused = 0;
  for (const Scheduled& s : layers) unfused += kernel_estimate(s.kernel());
  return fused_cycles <= unfused;
}

bool Compiler::fusion_pays(const Group& g, const Scheduled& fused) {
  if (!fused.cached) return fusion_pays(g, fused.kernel());
  if (fused.cached->fusion_pays < 0) fused.cached->fusion_pays = fusion_pays(g, fused.kernel()) ? 1 : 0;
  return fused.cached->fusion_pays == 1;
}

}  // namespace nesim::planner
