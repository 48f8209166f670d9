#pragma once
// The compiler's driver (internal to sim/compiler): the passes of compile(), each in its own file.
//   grouping.cpp   which layers run as one kernel (blocks fused when they stream through SRAM)
//   tiling/*.cpp   how each group is cut into tiles (one registered strategy per file, tiler.h)
//   estimate.cpp   what a plan costs: the objective the strategies and the passes rank plans by
//   residency.cpp  which outputs stay in SRAM for the next kernel; the kernel-by-kernel schedule
//   prefetch.cpp   the next kernel's first weights loaded during this kernel's last tiles
//   plan_cache.cpp plans remembered across compiles (PlanCache)
//   compiler.cpp   the public entry points and the Program they build
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "sim/compiler/plan_cache.h"
#include "sim/compiler/planner.h"
#include "sim/compiler/tiler.h"

namespace nesim::planner {

class Compiler : public LayerWork {
 public:
  Compiler(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache::Impl* cache = nullptr);

  Program run();
  std::vector<PlannedKernel> planned_kernels();

 private:
  // One kernel of the schedule: its group and its plan, from the cache or owned.
  struct Scheduled {
    int first_layer = 0;  // of the group, which is contiguous (form_groups())
    bool fused = false;
    PlanTable::Entry* cached = nullptr;  // the cache's plan: layers relative to the group, no name
    std::optional<Kernel> own;           // the plan when there is no cache: absolute layers, no name
    // The cached plan as the prefetch pass changed it (null: unchanged); `own` is changed in place.
    const PlanTable::Entry::Variant* variant = nullptr;
    Prefetch change;  // what the prefetch pass changed (applied to `variant`, or to `own`)
    const Kernel& kernel() const { return variant ? variant->kernel : cached ? *cached->kernel : *own; }
    uint64_t id() const { return variant ? variant->id : cached->id; }
  };
  // Residency and the schedule (residency.cpp).
  std::vector<Scheduled> schedule();
  // The schedule of these groups, in order, from an empty SRAM. A group that cannot be mapped
  // throws mapping_error(), or sets *unmappable and returns nothing when unmappable is given.
  // Stops early, setting *gave_up, once the kernels already settled take `give_up_cycles` or more.
  std::vector<Scheduled> schedule_groups(std::vector<Group> groups, bool* unmappable,
                                         int64_t give_up_cycles = std::numeric_limits<int64_t>::max(),
                                         bool* gave_up = nullptr);
  bool resident_candidate(const std::vector<Group>& groups, size_t k) const;
  // The prefetch pass (prefetch.cpp), over a finished schedule.
  void prefetch(std::vector<Scheduled>& steps);
  // The kernel `s` plans, changed as `change` says; from the cache's variants when cached (also
  // set in *variant), else built into `scratch`.
  const Kernel& prefetch_variant(const Scheduled& s, const Prefetch& change, Kernel& scratch,
                                 const PlanTable::Entry::Variant** variant);
  // Whether kernel b's first-tile input loads may run during kernel a: a's output is not among
  // them, and b is not a layer of a block the fusion pass weighed (that decision is made without
  // prefetch, and input prefetch favours the layers, with their extra boundaries).
  bool input_prefetchable(const Scheduled& a, const Scheduled& b) const;
  // The Program's kernel of a scheduled plan: named, with the network's layer indices.
  Kernel materialize(Scheduled&& s) const;
  // plan_uncached(), through the plan cache when there is one, into `out`; false when the group
  // cannot be mapped in this context.
  bool plan(const Group& g, const Resident& resident_in, bool out_resident, Scheduled& out);
  // The best plan of every tiling strategy that applies (compiler.cpp).
  std::optional<Kernel> plan_uncached(const Group& g, const Resident& resident_in, bool out_resident);
  // Plan cache (plan_cache.cpp). The cached plan (relative layer indices, no name); nullptr when
  // the group is not cacheable.
  PlanTable::Entry* cached_plan(const Group& g, const Resident& resident_in, bool out_resident);
  // Writes the context-free part of a plan's cache key (the group's layers and the shapes of
  // its external inputs) to key_, and its external inputs in order of first use to key_external_.
  void plan_key(const Group& g);
  // Writes the key's int32 fields to key_ints_ and returns how many; without kEscape, returns 0
  // when a field needs the escape (plan_key()).
  template <bool kEscape>
  size_t plan_key_fields(const Group& g);
  // The group's key body, interned in the table, once per compile: the residency pass asks for
  // each group in up to four contexts, and a key costs more to build and hash than the rest of
  // a cached compile (profiled).
  struct Body {
    int count = 0;
    bool fused = false;
    uint64_t id = 0;                  // PlanTable::bodies
    size_t external_begin = 0, external_end = 0;  // into externals_
    int next = -1;                    // the next body asked for at the same first layer
  };
  const Body& body_of(const Group& g);
  std::vector<int> body_at_;          // by a group's first layer: the first of its bodies_
  std::vector<Body> bodies_;
  std::vector<int> externals_;
  [[noreturn]] void mapping_error(int li) const;
  // Grouping and fusion (grouping.cpp).
  // Whether layer `l` belongs to a block the grouping pass may fuse into one kernel (ibn,
  // fused_ibn, dwsep).
  static bool in_fusable_block(const Layer& l);
  std::vector<Group> form_groups() const;
  bool chain_ok(int first, int count) const;
  bool fusion_pays(const Group& g, const Kernel& fused);
  bool fusion_pays(const Group& g, const Scheduled& fused);  // remembered in the cache entry when there is one

  CompileOptions opt_;
  // The layers that read layer i: readers_[reader_begin_[i], reader_begin_[i + 1]).
  std::span<const int> consumers(int i) const {
    auto at = static_cast<size_t>(i);
    return {readers_.data() + reader_begin_[at], static_cast<size_t>(reader_begin_[at + 1] - reader_begin_[at])};
  }
  std::vector<int> reader_begin_, readers_;
  std::set<int> outputs_;
  PlanCache::Impl* cache_;
  PlanTable* table_;
  std::vector<std::unique_ptr<Tiler>> tilers_;  // one of each registered strategy
  std::vector<int32_t> key_ints_;  // plan_key()'s buffers, reused across plans
  std::vector<int> key_external_;
  std::string key_;
};

}  // namespace nesim::planner
