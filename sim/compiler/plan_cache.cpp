// The plan cache: PlanCache's tables and the exact key of a plan.
#include <algorithm>
#include <limits>

#include "sim/compiler/compiler_impl.h"

namespace nesim {

PlanCache::PlanCache(size_t max_kernels) : impl_(std::make_unique<Impl>()) { impl_->max_kernels = max_kernels; }
PlanCache::~PlanCache() = default;
PlanCache::PlanCache(PlanCache&&) noexcept = default;
PlanCache& PlanCache::operator=(PlanCache&&) noexcept = default;
size_t PlanCache::size() const { return impl_->size(); }
int64_t PlanCache::hits() const { return impl_->hits; }
int64_t PlanCache::misses() const { return impl_->misses; }
void PlanCache::clear() {
  impl_->tables.clear();
  impl_->variants = 0;
  impl_->hits = impl_->misses = 0;
}

namespace planner {

// Every Layer field planning may read must be in plan_key(); a new field stops the build here
// until it is added (or judged irrelevant to planning, like the names, which are rebuilt).
// ceil_mode and slice_begin/slice_end change only the output shape (out.c/h/w, in the key).
static_assert(sizeof(Layer) == 272, "Layer changed: update Compiler::plan_key()");

// The body of a plan's cache key: what plan_uncached() reads of the group's layers and of their
// inputs' shapes, with layer indices made relative to the group (external inputs numbered in
// order of first use). The context (which input and whether the output stay resident) completes
// it in cached_plan(); the hardware and the options are the table's key.
void Compiler::plan_key(const Group& g) {
  // Fields as int32 (half the bytes to hash and compare). A value outside [-2^30, 2^30) is written
  // as INT32_MIN (a marker no plain field takes) plus both halves, so the key stays exact for any
  // value; the first pass assumes none and is redone when one shows up.
  size_t ints = plan_key_fields<false>(g);
  if (ints == 0) ints = plan_key_fields<true>(g);
  key_.assign(reinterpret_cast<const char*>(key_ints_.data()), ints * sizeof(int32_t));
  for (int li : g.layers()) key_.append(layer(li).block_type).push_back('\0');
}

template <bool kEscape>
size_t Compiler::plan_key_fields(const Group& g) {
  std::vector<int32_t>& v = key_ints_;
  std::vector<int>& external = key_external_;
  external.clear();
  size_t most = 3 * 3;  // the worst case, so that each field is one store
  for (int li : g.layers()) most += 3 * (27 + 6 * layer(li).inputs.size());
  if (v.size() < most) v.resize(most);
  int32_t* at = v.data();
  uint64_t wide = 0;  // non-zero once a field needs the escape
  // Non-zero when x is outside [-2^30, 2^30): an add and a shift.
  auto outside = [](int64_t x) { return (static_cast<uint64_t>(x) + (uint64_t{1} << 30)) >> 31; };
  // One field: a store and (first pass) the range check, expanded per argument by put() below
  // rather than looped over an initializer list, which profiles showed twice as costly.
  auto put1 = [&at, &wide, &outside](int64_t x) {
    auto x32 = static_cast<int32_t>(x);
    if constexpr (kEscape) {
      if (outside(x) != 0) {
        *at++ = std::numeric_limits<int32_t>::min();
        *at++ = static_cast<int32_t>(static_cast<uint64_t>(x) >> 32);
        x32 = static_cast<int32_t>(static_cast<uint64_t>(x) & 0xFFFFFFFFu);
      }
    } else {
      wide |= outside(x);
    }
    *at++ = x32;
  };
  auto put = [&put1](auto... fields) { (put1(static_cast<int64_t>(fields)), ...); };
  int first = g.front(), last = g.back();
  put(g.fused, g.count);
  for (int li : g.layers()) {
    const Layer& l = layer(li);
    put(li - first, static_cast<int64_t>(l.op), l.kernel_h, l.kernel_w, l.stride_h, l.stride_w, l.pad_top,
        l.pad_bottom, l.pad_left, l.pad_right, l.dilation_h, l.dilation_w, l.groups, l.out_channels, l.bias,
        l.batch_norm, static_cast<int64_t>(l.act), l.se_channels, static_cast<int64_t>(l.se_act),
        static_cast<int64_t>(l.se_gate), l.out_h, l.out_w, static_cast<int64_t>(l.resize_mode), l.out.c, l.out.h,
        l.out.w, l.inputs.size());
    for (int in : l.inputs) {
      if (in >= first && in <= last) {
        put(0, in - first);
        continue;
      }
      auto it = std::find(external.begin(), external.end(), in);
      put(1, it - external.begin());
      if (it == external.end()) {
        external.push_back(in);
        const Shape& s = layer(in).out;
        put(s.c, s.h, s.w);
      }
    }
  }
  if (!kEscape && wide != 0) return 0;
  return static_cast<size_t>(at - v.data());
}

const Compiler::Body& Compiler::body_of(const Group& g) {
  if (body_at_.empty()) body_at_.assign(net_.layers.size(), -1);
  int* link = &body_at_[static_cast<size_t>(g.front())];
  while (*link >= 0) {
    const Body& b = bodies_[static_cast<size_t>(*link)];
    if (b.count == g.count && b.fused == g.fused) return b;
    link = &bodies_[static_cast<size_t>(*link)].next;
  }
  plan_key(g);
  Body b;
  b.count = g.count;
  b.fused = g.fused;
  b.id = table_->bodies.try_emplace(key_, table_->bodies.size()).first->second;
  b.external_begin = externals_.size();
  externals_.insert(externals_.end(), key_external_.begin(), key_external_.end());
  b.external_end = externals_.size();
  *link = static_cast<int>(bodies_.size());
  bodies_.push_back(b);
  return bodies_.back();
}

PlanTable::Entry* Compiler::cached_plan(const Group& g, const Resident& resident_in, bool out_resident) {
  if (!table_) return nullptr;
  const Body& body = body_of(g);
  PlanTable::PlanKey key;
  key.body = body.id;
  key.out_resident = out_resident;
  for (size_t i = body.external_begin; i < body.external_end; ++i)
    if (resident_in.count(externals_[i])) key.resident_input = static_cast<int64_t>(i - body.external_begin);
  auto it = table_->plans.find(key);
  if (it != table_->plans.end()) {
    ++cache_->hits;
    return &it->second;
  }
  ++cache_->misses;
  std::optional<Kernel> k = plan_uncached(g, resident_in, out_resident);
  if (k) {
    int first = g.front();
    k->name.clear();
    for (int& li : k->layers) li -= first;
    for (Tile& t : k->tiles)
      for (ComputeStep& s : t.steps) s.layer -= first;
  }
  return &table_->plans.emplace(key, PlanTable::Entry{std::move(k), cache_->next_id++, -1, {}}).first->second;
}

bool Compiler::plan(const Group& g, const Resident& resident_in, bool out_resident, Scheduled& out) {
  out.first_layer = g.front();
  out.fused = g.fused;
  out.cached = cached_plan(g, resident_in, out_resident);
  out.own.reset();
  out.variant = nullptr;  // a fresh plan: the prefetch pass has not changed it
  out.change = {};
  if (out.cached) return out.cached->kernel.has_value();
  out.own = plan_uncached(g, resident_in, out_resident);
  return out.own.has_value();
}

}  // namespace planner

}  // namespace nesim
