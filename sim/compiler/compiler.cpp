// The compiler: layer graph + HwConfig -> Program of kernels and tiles.
//
// Decisions, in order:
//  1. Grouping: every layer is a kernel (conv+BN+activation are already one layer), except the
//     layers of an IBN / fused-IBN / depthwise-separable block, which become one kernel when the
//     whole block can stream through SRAM in row bands (its intermediates never touch DRAM).
//  2. Tiling: for each kernel, the tile shape (output rows x channel chunk) and loop order
//     (weights outer or bands outer) with the least DRAM traffic whose double-buffered working
//     set fits SRAM; ties go to fewer tiles.
//  3. Residency: a kernel's output whose every consumer is the next kernel stays in SRAM when
//     both kernels still fit around it.
#include "sim/compiler/compiler.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "sim/compiler/kernel_summary.h"
#include "sim/graph/stats.h"
#include "sim/timing/unit_timing.h"
#include "sim/util/checked.h"
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

// The plans of one (hardware, options) pair, by plan key (Compiler::plan_key()). Kernels are
// stored with layer indices relative to their group's first layer and without a name.
struct PlanTable {
  // Keys are mostly whole int64 words, up to a few KiB for a fused block: four independent
  // multiply-xor chains hash them several times faster than one chain (or std::hash<std::string>),
  // which showed in profiles of cached compiles.
  struct KeyHash {
    size_t operator()(const std::string& key) const {
      constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
      uint64_t h[4] = {key.size(), 0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL};
      size_t i = 0;
      for (; i + 32 <= key.size(); i += 32)
        for (int j = 0; j < 4; ++j) {
          uint64_t w;
          std::memcpy(&w, key.data() + i + 8 * j, 8);
          h[j] = (h[j] ^ w) * kMul;
          h[j] ^= h[j] >> 29;
        }
      for (; i + 8 <= key.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, key.data() + i, 8);
        h[0] = (h[0] ^ w) * kMul;
        h[0] ^= h[0] >> 29;
      }
      for (; i < key.size(); ++i) h[1] = (h[1] ^ static_cast<unsigned char>(key[i])) * 0x100000001B3ULL;
      uint64_t out = h[0];
      for (int j = 1; j < 4; ++j) {
        out = (out ^ h[j]) * kMul;
        out ^= out >> 32;
      }
      return static_cast<size_t>(out);
    }
  };
  HwConfig hw;
  CompileOptions opt;
  struct Entry {
    std::optional<Kernel> kernel;  // empty: the group cannot be mapped with this context
    uint64_t id = 0;               // PlanCache::Impl::next_id when planned: never reused
    // A fused block's Compiler::fusion_pays() (-1: not asked yet). The key fixes the block's
    // layers and context, and with them the single-layer plans it compares against.
    int8_t fusion_pays = -1;
  };
  std::unordered_map<std::string, Entry, KeyHash> plans;
};

struct PlanCache::Impl {
  size_t max_kernels = 0;
  int64_t hits = 0, misses = 0;
  uint64_t next_id = 1;  // not reset by clear(): an id names one plan for the cache's lifetime
  std::vector<std::unique_ptr<PlanTable>> tables;  // a handful: one per engine a search uses

  size_t size() const {
    size_t n = 0;
    for (const auto& t : tables) n += t->plans.size();
    return n;
  }
  PlanTable& table(const HwConfig& hw, const CompileOptions& opt) {
    if (size() >= max_kernels) tables.clear();
    for (auto& t : tables)
      if (t->opt == opt && t->hw == hw) return *t;
    tables.push_back(std::make_unique<PlanTable>(PlanTable{hw, opt, {}}));
    return *tables.back();
  }
};

PlanCache::PlanCache(size_t max_kernels) : impl_(std::make_unique<Impl>()) { impl_->max_kernels = max_kernels; }
PlanCache::~PlanCache() = default;
PlanCache::PlanCache(PlanCache&&) noexcept = default;
PlanCache& PlanCache::operator=(PlanCache&&) noexcept = default;
size_t PlanCache::size() const { return impl_->size(); }
int64_t PlanCache::hits() const { return impl_->hits; }
int64_t PlanCache::misses() const { return impl_->misses; }
void PlanCache::clear() {
  impl_->tables.clear();
  impl_->hits = impl_->misses = 0;
}

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Tiles stay in memory until the engine has run them (at least sizeof(Tile) + sizeof(ComputeStep),
// 160 bytes, each), and a big layer on a small SRAM multiplies bands by channel chunks: refused
// here, before they are made, rather than growing the process by gigabytes.
constexpr int64_t kMaxKernelTiles = int64_t{1} << 22;
void check_tile_count(const Network& net, const Layer& l, const HwConfig& hw, int64_t bands, int64_t chunks,
                      int64_t more_chunks = 1) {
  const std::optional<int64_t> tiles = checked::mul(bands, chunks, more_chunks);
  if (tiles && *tiles <= kMaxKernelTiles) return;
  throw input_error(
      "{}: layer '{}' needs {} tiles on '{}' ({} KiB SRAM), more than the {} a run may hold in memory "
      "(docs/model-format.md, Limits); use a larger sram.kib or a smaller layer",
      net.name, l.name, tiles ? fmt::format("{}", *tiles) : std::string("over 2^63"), hw.name, hw.sram_bytes() / 1024,
      kMaxKernelTiles);
}

// Bytes per output channel for bias and requantisation scale (int32 each).
constexpr int64_t kChannelParamBytes = 8;

struct RowRange {
  int64_t lo = 0, hi = 0;  // [lo, hi)
  int64_t size() const { return hi - lo; }
};

// SRAM bytes a plan needs at once. Streamed operands are counted twice (double buffering).
struct WorkingSet {
  int64_t in = 0, weights = 0, out = 0, scratch = 0;
  int64_t total() const { return in + weights + out + scratch; }
};

// The tensor a kernel finds resident in SRAM: at most one, the output of the kernel before it.
// (Set-like, so the planners read it as they would a set of layers.)
struct Resident {
  int layer = -1;
  size_t count(int li) const { return li >= 0 && li == layer ? 1 : 0; }
  bool empty() const { return layer < 0; }
  void clear() { layer = -1; }
  void insert(int li) { layer = li; }
};

// One set of channels processed together: output channels when groups == 1, else whole groups.
struct ChunkInfo {
  int64_t count = 0;  // chunks
  int64_t size = 0;   // channels (g == 1) or groups (g > 1) per chunk, last one may be smaller
};

class Compiler {
 public:
  Compiler(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache::Impl* cache = nullptr)
      : net_(net), hw_(hw), opt_(opt), bpe_(hw.bytes_per_element()), cache_(cache),
        table_(cache ? &cache->table(hw, opt) : nullptr) {
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

  Program run();
  std::vector<PlannedKernel> planned_kernels();

 private:
  // Layers [first, first + count), run as one kernel: groups are always contiguous.
  struct Group {
    int first = 0, count = 1;
    bool fused = false;
    int front() const { return first; }
    int back() const { return first + count - 1; }
    bool contains(int li) const { return li >= first && li < first + count; }
    // first .. first + count - 1. Not std::views::iota: clang 14 (the fuzz build's compiler)
    // cannot compile it against libstdc++ 12.
    struct LayerRange {
      struct It {
        int li;
        int operator*() const { return li; }
        It& operator++() { ++li; return *this; }
        bool operator!=(const It& o) const { return li != o.li; }
      };
      int lo, hi;
      It begin() const { return {lo}; }
      It end() const { return {hi}; }
    };
    LayerRange layers() const { return {first, first + count}; }
  };

  // Planning ---------------------------------------------------------------------------------
  bool fits(const WorkingSet& ws, int64_t reserved) const;
  // One kernel of the schedule: its group and its plan, from the cache or owned.
  struct Scheduled {
    int first_layer = 0;  // of the group, which is contiguous (form_groups())
    bool fused = false;
    PlanTable::Entry* cached = nullptr;  // the cache's plan: layers relative to the group, no name
    std::optional<Kernel> own;                 // the plan when there is no cache: absolute layers, no name
    const Kernel& kernel() const { return cached ? *cached->kernel : *own; }
  };
  std::vector<Scheduled> schedule();
  // The Program's kernel of a scheduled plan: named, with the network's layer indices.
  Kernel materialize(Scheduled&& s) const;
  // plan_uncached(), through the plan cache when there is one, into `out`; false when the group
  // cannot be mapped in this context.
  bool plan(const Group& g, const Resident& resident_in, bool out_resident, Scheduled& out);
  std::optional<Kernel> plan_uncached(const Group& g, const Resident& resident_in, bool out_resident);
  // The cached plan (relative layer indices, no name); nullptr when the group is not cacheable.
  PlanTable::Entry* cached_plan(const Group& g, const Resident& resident_in, bool out_resident);
  // Writes the cache key of a plan to key_.
  void plan_key(const Group& g, const Resident& resident_in, bool out_resident);
  // Writes the key's int32 fields to key_ints_ and returns how many; without kEscape, returns 0
  // when a field needs the escape (plan_key()).
  template <bool kEscape>
  size_t plan_key_fields(const Group& g, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_conv(int li, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_conv_split(int li, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_vector(int li, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_systolic(int li, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_se(int li, const Resident& resident_in, bool out_resident);
  std::optional<Kernel> plan_chain(const Group& g, const Resident& resident_in, bool out_resident);
  [[noreturn]] void mapping_error(int li) const;
  int64_t pipeline_estimate(int64_t tiles, int64_t first_load_bytes, int64_t load_bytes, int64_t store_bytes,
                            int64_t compute_cycles) const;
  int64_t kernel_estimate(const Kernel& k) const;
  bool fusion_pays(const Group& g, const Kernel& fused);
  bool fusion_pays(const Group& g, const Scheduled& fused);  // remembered in the cache entry when there is one

  // Shapes and bytes -------------------------------------------------------------------------
  const Layer& layer(int i) const { return net_.layers[i]; }
  const Shape& in_shape(int i, int k = 0) const { return net_.in_shape(net_.layers[i], k); }
  int64_t tensor_bytes(int i) const { return net_.layers[i].out.elements() * bpe_; }
  // SRAM already taken while layer `li` runs: its inputs that stay resident, and its output if it will.
  int64_t reserved_bytes(int li, const Resident& resident_in, bool out_resident) const {
    int64_t bytes = out_resident ? tensor_bytes(li) : 0;
    for (int in : layer(li).inputs)
      if (resident_in.count(in)) bytes += tensor_bytes(in);
    return bytes;
  }
  int64_t weight_bytes(int li, int64_t chunk_channels) const;
  RowRange input_rows(int li, RowRange out_rows) const;
  ComputeStep conv_step(int li, int64_t rows_out, int64_t chunk) const;
  std::vector<ComputeStep> vector_steps(int li, int64_t rows_out) const;
  bool resident_candidate(const std::vector<Group>& groups, size_t k) const;
  std::vector<Group> form_groups() const;
  bool chain_ok(int first, int count) const;

  const Network& net_;
  const HwConfig& hw_;
  CompileOptions opt_;
  int bpe_;
  // The layers that read layer i: readers_[reader_begin_[i], reader_begin_[i + 1]).
  std::span<const int> consumers(int i) const {
    auto at = static_cast<size_t>(i);
    return {readers_.data() + reader_begin_[at], static_cast<size_t>(reader_begin_[at + 1] - reader_begin_[at])};
  }
  std::vector<int> reader_begin_, readers_;
  std::set<int> outputs_;
  PlanCache::Impl* cache_;
  PlanTable* table_;
  std::vector<int32_t> key_ints_;  // plan_key()'s buffers, reused across plans
  std::vector<int> key_external_;
  std::string key_;
};

bool Compiler::fits(const WorkingSet& ws, int64_t reserved) const {
  if (hw_.sram.layout == SramLayout::Unified) return ws.total() + reserved <= hw_.sram_bytes();
  return ws.in + ws.scratch <= hw_.sram.ifmap_kib * 1024 && ws.weights <= hw_.sram.weight_kib * 1024 &&
         ws.out <= hw_.sram.ofmap_kib * 1024;
}

// Cycles a kernel of `tiles` tiles should take on the engine's pipeline: the first tile's load,
// then one tile per period of the slowest stage (compute, or the DRAM bus that the remaining
// loads and the stores share), then the last store. Tiling trades this against DRAM traffic.
int64_t Compiler::pipeline_estimate(int64_t tiles, int64_t first_load_bytes, int64_t load_bytes,
                                    int64_t store_bytes, int64_t compute_cycles) const {
  int64_t overhead = hw_.dma.setup_cycles + hw_.dram_latency_cycles();
  auto transfer = [&](int64_t bytes) { return bytes > 0 ? overhead + dram_busy_cycles(hw_, bytes) : 0; };
  int64_t compute = ceil_div(compute_cycles, tiles);
  int64_t rest = tiles > 1 ? ceil_div(load_bytes - first_load_bytes, tiles - 1) : 0;
  int64_t bus = dram_busy_cycles(hw_, rest + ceil_div(store_bytes, tiles)) + (hw_.dma.channels > 1 ? 0 : overhead);
  return transfer(first_load_bytes) + compute + transfer(ceil_div(store_bytes, tiles)) +
         (tiles - 1) * std::max(compute, bus);
}

// pipeline_estimate() of a planned kernel, from its tiles.
int64_t Compiler::kernel_estimate(const Kernel& k) const {
  if (k.tiles.empty()) return 0;
  auto tiles = static_cast<int64_t>(k.tiles.size());
  if (const auto& s = k.summary)
    return pipeline_estimate(tiles, s->first_load_bytes, s->load_ifmap_bytes + s->load_weight_bytes, s->store_bytes,
                             s->compute_cycles);
  int64_t load = 0, store = 0, compute = 0;
  for (const Tile& t : k.tiles) {
    load += t.load_ifmap_bytes + t.load_weight_bytes;
    store += t.store_bytes;
    for (const ComputeStep& st : t.steps) compute += step_cycles(hw_, st);
  }
  int64_t first = k.tiles[0].load_ifmap_bytes + k.tiles[0].load_weight_bytes;
  return pipeline_estimate(tiles, first, load, store, compute);
}

// A fused block keeps its intermediates out of DRAM but must hold (and first load) all of its
// weights; for weight-heavy late blocks, layer-by-layer kernels that stream weight chunks under
// compute are faster. Fusion is kept when its estimate is no worse than the layers'.
bool Compiler::fusion_pays(const Group& g, const Kernel& fused) {
  int64_t layers = 0;
  for (int li : g.layers()) {
    Group single{li, 1, false};
    if (const PlanTable::Entry* cached = cached_plan(single, {}, false)) {  // no copy needed
      if (!cached->kernel) return true;
      layers += kernel_estimate(*cached->kernel);
      continue;
    }
    std::optional<Kernel> planned = plan_uncached(single, {}, false);
    if (!planned) return true;
    layers += kernel_estimate(*planned);
  }
  return kernel_estimate(fused) <= layers;
}

bool Compiler::fusion_pays(const Group& g, const Scheduled& fused) {
  if (!fused.cached) return fusion_pays(g, fused.kernel());
  if (fused.cached->fusion_pays < 0) fused.cached->fusion_pays = fusion_pays(g, fused.kernel()) ? 1 : 0;
  return fused.cached->fusion_pays == 1;
}

int64_t Compiler::weight_bytes(int li, int64_t chunk) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  switch (l.op) {
    case Op::Conv2d:
      if (l.groups == 1) return chunk * in.c * l.kernel_h * l.kernel_w * bpe_ + chunk * kChannelParamBytes;
      return chunk * (l.out_channels / l.groups) * (in.c / l.groups) * l.kernel_h * l.kernel_w * bpe_ +
             chunk * (l.out_channels / l.groups) * kChannelParamBytes;
    case Op::FullyConnected: return chunk * in.elements() * bpe_ + chunk * kChannelParamBytes;
    case Op::SqueezeExcite: return 2 * in.c * l.se_channels * bpe_ + (in.c + l.se_channels) * kChannelParamBytes;
    default: return 0;
  }
}

RowRange Compiler::input_rows(int li, RowRange out) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  switch (l.op) {
    case Op::Conv2d:
    case Op::MaxPool:
    case Op::AvgPool: {
      int64_t dil = l.op == Op::Conv2d ? l.dilation_h : 1;
      int64_t lo = out.lo * l.stride_h - l.pad_top;
      int64_t hi = (out.hi - 1) * l.stride_h - l.pad_top + dil * (l.kernel_h - 1) + 1;
      return {std::max<int64_t>(0, lo), std::min<int64_t>(in.h, hi)};
    }
    case Op::Resize: {
      int64_t lo = out.lo * in.h / l.out.h;
      int64_t hi = std::min<int64_t>(in.h, ceil_div(out.hi * in.h, l.out.h) + 1);
      return {lo, hi};
    }
    case Op::GlobalAvgPool:
    case Op::FullyConnected:
    case Op::SqueezeExcite: return {0, in.h};
    default: return out;  // elementwise: row for row
  }
}

// The compute step of a conv / FC layer producing `rows_out` output rows of `chunk` channels
// (g == 1) or `chunk` whole groups (g > 1).
ComputeStep Compiler::conv_step(int li, int64_t rows_out, int64_t chunk) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  ComputeStep s;
  s.layer = li;
  s.unit = Unit::MacArray;
  if (l.op == Op::FullyConnected) {
    s.out_pixels = 1;
    s.in_channels = in.elements();
    s.out_channels = chunk;
    s.sram_bytes = in.elements() * bpe_ + weight_bytes(li, chunk) + chunk * bpe_;
    return s;
  }
  s.out_pixels = rows_out * l.out.w;
  s.taps = int64_t{l.kernel_h} * l.kernel_w;
  if (l.groups == 1) {
    s.in_channels = in.c;
    s.out_channels = chunk;
  } else {
    s.in_channels = in.c / l.groups;
    s.out_channels = l.out_channels / l.groups;
    s.groups = chunk;
    if (l.is_depthwise(in) && hw_.depthwise.mode == DepthwiseMode::Dedicated) s.unit = Unit::Depthwise;
  }
  int64_t out_ch = s.out_channels * s.groups;
  int64_t in_ch = s.in_channels * s.groups;
  int64_t rows_in = input_rows(li, {0, rows_out}).size();
  s.sram_bytes = (rows_in * in.w * in_ch + s.out_pixels * out_ch) * bpe_ + weight_bytes(li, chunk);
  return s;
}

// Vector-unit work of layer `li` over `rows_out` output rows (the whole layer for pools to 1x1).
std::vector<ComputeStep> Compiler::vector_steps(int li, int64_t rows_out) const {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  std::vector<ComputeStep> steps;
  auto push = [&](int64_t elements, int64_t ops, bool special) {
    ComputeStep s;
    s.layer = li;
    s.unit = Unit::Vector;
    s.elements = elements;
    s.ops_per_element = ops;
    s.special_fn = special;
    s.sram_bytes = elements * 2 * bpe_;
    steps.push_back(s);
  };
  int64_t out_elems = rows_out * l.out.w * l.out.c;
  bool special_act = l.act == Act::Sigmoid || l.act == Act::Swish || l.act == Act::Gelu;
  switch (l.op) {
    case Op::MaxPool:
    case Op::AvgPool: push(out_elems, int64_t{l.kernel_h} * l.kernel_w, false); break;
    case Op::GlobalAvgPool: push(in.elements(), 1, false); break;
    case Op::Add: push(out_elems, static_cast<int64_t>(l.inputs.size()) - 1, false); break;
    case Op::Mul: push(out_elems, 1, false); break;
    case Op::Resize: push(out_elems, l.resize_mode == ResizeMode::Bilinear ? 4 : 1, false); break;
    case Op::Activation: push(out_elems, 1, special_act); break;
    case Op::BatchNorm: push(out_elems, 2, false); break;  // scale, shift
    case Op::LayerNorm:  // mean, variance, normalise, scale, shift; one reciprocal sqrt per position
      push(out_elems, 5, false);
      push(rows_out * l.out.w, 1, true);
      break;
    case Op::ChannelScale: push(out_elems, 1, false); break;
    default: break;  // ChannelShuffle, ChannelSlice: the tile's DMA load and store re-lay the channels
  }
  if (l.op != Op::Activation && special_act) push(out_elems, 1, true);
  return steps;
}

// Single conv / FC layer: search tile shape and loop order for the least DRAM traffic.
std::optional<Kernel> Compiler::plan_conv(int li, const Resident& resident_in, bool out_resident) {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  bool fc = l.op == Op::FullyConnected;
  bool in_res = resident_in.count(l.inputs[0]) > 0;
  int64_t reserved = reserved_bytes(li, resident_in, out_resident);
  int64_t out_rows = fc ? 1 : l.out.h;
  int64_t total_chunks_of = fc || l.groups == 1 ? l.out_channels : l.groups;
  int64_t align = hw_.mac_array.kind == ArrayKind::Systolic ? hw_.mac_array.cols : hw_.mac_array.pf;
  // Candidate chunk sizes: ceil(total / n) rounded up to the array width, all distinct values.
  std::vector<int64_t> chunks;
  for (int64_t n = 1; n <= total_chunks_of; ++n) {
    int64_t c = std::min(total_chunks_of, ceil_div(ceil_div(total_chunks_of, n), align) * align);
    if (chunks.empty() || chunks.back() != c) chunks.push_back(c);
    if (c <= align) break;
  }
  std::vector<int64_t> bands;  // rows per band
  for (int64_t n = 1; n <= out_rows; ++n) {
    int64_t h = ceil_div(out_rows, n);
    if (bands.empty() || bands.back() != h) bands.push_back(h);
  }
  // Input bytes of `rows` input rows for a chunk (what in_bytes_for() multiplies out).
  auto in_bytes_of_rows = [&](int64_t rows, int64_t chunk) {
    if (in_res) return int64_t{0};
    if (fc) return in.elements() * bpe_;
    int64_t ch = l.groups == 1 ? in.c : chunk * (in.c / l.groups);
    return rows * in.w * ch * bpe_;
  };
  auto in_bytes_for = [&](RowRange out, int64_t chunk) {
    return in_bytes_of_rows(fc ? 0 : input_rows(li, out).size(), chunk);
  };
  // Per band height: input rows of the first band, and of all bands with their halos. They do
  // not depend on the chunk, so the chunk loop below reuses them.
  std::vector<int64_t> first_band_rows(bands.size()), all_band_rows(bands.size());
  if (!fc && !in_res)
    for (size_t i = 0; i < bands.size(); ++i) {
      int64_t h = bands[i];
      first_band_rows[i] = input_rows(li, {0, std::min(h, out_rows)}).size();
      for (int64_t b = 0; b * h < out_rows; ++b)
        all_band_rows[i] += input_rows(li, {b * h, std::min(out_rows, (b + 1) * h)}).size();
    }
  auto out_bytes_for = [&](int64_t rows, int64_t chunk) {
    int64_t ch = l.groups == 1 || fc ? chunk : chunk * (l.out_channels / l.groups);
    return rows * l.out.w * ch * bpe_;
  };

  struct Best {
    int64_t cycles = std::numeric_limits<int64_t>::max(), traffic = 0, tiles = 0, h = 0, c = 0;
    bool bands_outer = true;
    WorkingSet ws;
  } best;
  for (int64_t c : chunks) {
    int64_t n_chunks = ceil_div(total_chunks_of, c);
    int64_t w_all = weight_bytes(li, total_chunks_of), w_chunk = weight_bytes(li, c);
    for (size_t hi = 0; hi < bands.size(); ++hi) {
      int64_t h = bands[hi];
      int64_t n_bands = ceil_div(out_rows, h);
      int64_t in_band = in_bytes_of_rows(first_band_rows[hi], c);
      // Band-by-band ifmap total, with halo rows re-read (fc: one band of the whole input).
      int64_t in_total = in_bytes_of_rows(all_band_rows[hi], l.groups == 1 || fc ? c : total_chunks_of);
      for (bool bands_outer : {true, false}) {
        WorkingSet ws;
        int64_t traffic;
        if (l.groups > 1 && !fc) {
          // Groups are independent: each (band, chunk) reads only its own channels once.
          traffic = in_total + w_all;
          ws.in = (n_bands * n_chunks > 1 ? 2 : 1) * in_band;
          ws.weights = w_all;  // small (depthwise: C*k*k): loaded once, kept
          if (!bands_outer) continue;
        } else if (bands_outer) {
          traffic = in_total + (n_chunks == 1 ? w_all : n_bands * w_all);
          ws.in = (n_bands > 1 ? 2 : 1) * in_band;
          ws.weights = (n_chunks > 1 ? 2 : 1) * w_chunk;
        } else {
          traffic = (n_bands == 1 ? in_total : n_chunks * in_total) + w_all;
          ws.in = (n_bands > 1 ? 2 : 1) * in_band;
          ws.weights = (n_chunks > 1 ? 2 : 1) * w_chunk;
        }
        if (!out_resident) {
          traffic += tensor_bytes(li);
          ws.out = (n_bands * n_chunks > 1 ? 2 : 1) * out_bytes_for(std::min(h, out_rows), c);
        }
        if (!fits(ws, reserved)) continue;
        int64_t tiles = n_bands * n_chunks;
        int64_t compute = tiles * step_cycles(hw_, conv_step(li, std::min(h, out_rows), c));
        int64_t store = out_resident ? 0 : tensor_bytes(li);
        int64_t first = in_band + (l.groups > 1 && !fc ? w_all : w_chunk);
        int64_t cycles = pipeline_estimate(tiles, first, traffic - store, store, compute);
        if (std::tie(cycles, traffic, tiles) < std::tie(best.cycles, best.traffic, best.tiles))
          best = {cycles, traffic, tiles, h, c, bands_outer, ws};
      }
    }
  }
  if (best.tiles == 0) return std::nullopt;

  Kernel k;
  k.name = l.name;
  k.kind = fc ? "fc" : (l.is_depthwise(in) ? "dwconv" : "conv");
  k.layers = {li};
  k.input_from_dram = !in_res;
  k.output_to_dram = !out_resident;
  k.sram_peak_bytes = best.ws.total() + reserved;
  int64_t n_bands = ceil_div(out_rows, best.h), n_chunks = ceil_div(total_chunks_of, best.c);
  check_tile_count(net_, l, hw_, n_bands, n_chunks);
  bool weights_once = n_chunks == 1 || !best.bands_outer;
  auto emit = [&](int64_t b, int64_t ci, bool first_of_band, bool first_of_chunk) {
    RowRange rows{b * best.h, std::min(out_rows, (b + 1) * best.h)};
    int64_t c = std::min(best.c, total_chunks_of - ci * best.c);
    Tile t;
    bool grouped = l.groups > 1 && !fc;
    bool load_in = grouped || (best.bands_outer ? first_of_band : (n_bands > 1 || first_of_band));
    if (load_in) t.load_ifmap_bytes = in_bytes_for(rows, grouped ? c : best.c);
    bool load_w = weights_once ? first_of_chunk : true;
    if (n_chunks == 1) load_w = b == 0;
    if (grouped) load_w = k.tiles.empty();
    if (load_w) t.load_weight_bytes = grouped ? weight_bytes(li, total_chunks_of) : weight_bytes(li, c);
    if (!out_resident) t.store_bytes = out_bytes_for(rows.size(), c);
    t.steps.push_back(conv_step(li, rows.size(), c));
    for (auto& v : vector_steps(li, rows.size())) {
      v.elements = v.elements * (l.groups == 1 || fc ? c : c * (l.out_channels / l.groups)) / l.out.c;
      t.steps.push_back(v);
    }
    k.tiles.push_back(std::move(t));
  };
  if (best.bands_outer) {
    for (int64_t b = 0; b < n_bands; ++b)
      for (int64_t ci = 0; ci < n_chunks; ++ci) emit(b, ci, ci == 0, b == 0);
  } else {
    for (int64_t ci = 0; ci < n_chunks; ++ci)
      for (int64_t b = 0; b < n_bands; ++b) emit(b, ci, ci == 0, b == 0);
  }
  return k;
}

// Fallback for layers whose smallest full-depth tile does not fit: the input channels are split
// too, partial sums accumulate in SRAM (int32) and each output tile is stored after its last
// input-channel slice. Loop order: bands, output chunks, input slices.
std::optional<Kernel> Compiler::plan_conv_split(int li, const Resident& resident_in, bool out_resident) {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  bool fc = l.op == Op::FullyConnected;
  if (!fc && l.groups != 1) return std::nullopt;
  bool in_res = resident_in.count(l.inputs[0]) > 0;
  int64_t reserved = reserved_bytes(li, resident_in, out_resident);
  int64_t out_rows = fc ? 1 : l.out.h;
  int64_t cin = fc ? in.elements() : in.c, cout = l.out_channels;
  int64_t taps = fc ? 1 : int64_t{l.kernel_h} * l.kernel_w;
  int64_t pf = hw_.mac_array.pf;
  auto sizes = [&](int64_t total) {
    std::vector<int64_t> v;
    for (int64_t n = 1; n <= total; ++n) {
      int64_t c = std::min(total, ceil_div(ceil_div(total, n), pf) * pf);
      if (v.empty() || v.back() != c) v.push_back(c);
      if (c <= pf) break;
    }
    return v;
  };
  auto rows_in = [&](RowRange out) { return fc ? int64_t{1} : input_rows(li, out).size(); };
  int64_t row_bytes = fc ? 1 : in.w;  // per input channel and input row
  struct Best {
    int64_t traffic = std::numeric_limits<int64_t>::max(), tiles = 0, h = 0, co = 0, ci = 0;
    WorkingSet ws;
  } best;
  for (int64_t n_bands = 1, h = out_rows; n_bands <= out_rows; h = ceil_div(out_rows, ++n_bands)) {
    if (ceil_div(out_rows, h) != n_bands) continue;  // same band height as a smaller count
    int64_t in_total = 0;
    for (int64_t b = 0; b < n_bands; ++b)
      in_total += rows_in({b * h, std::min(out_rows, (b + 1) * h)}) * row_bytes * cin * bpe_;
    if (in_res) in_total = 0;
    for (int64_t co : sizes(cout)) {
      int64_t n_co = ceil_div(cout, co);
      for (int64_t ci : sizes(cin)) {
        WorkingSet ws;
        ws.in = in_res ? 0 : 2 * rows_in({0, h}) * row_bytes * ci * bpe_;
        ws.weights = 2 * (co * ci * taps * bpe_ + co * kChannelParamBytes);
        int64_t out_px = h * (fc ? 1 : l.out.w);
        ws.out = co * out_px * 4 + (out_resident ? 0 : 2 * co * out_px * bpe_);
        if (!fits(ws, reserved)) continue;
        int64_t traffic = n_co * in_total + n_bands * weight_bytes(li, cout) + (out_resident ? 0 : tensor_bytes(li));
        int64_t tiles = n_bands * n_co * ceil_div(cin, ci);
        if (traffic < best.traffic || (traffic == best.traffic && tiles < best.tiles)) best = {traffic, tiles, h, co, ci, ws};
        break;  // larger input slices only cost more SRAM for the same traffic
      }
    }
  }
  if (best.tiles == 0) return std::nullopt;
  Kernel k;
  k.name = l.name;
  k.kind = fc ? "fc" : "conv";
  k.layers = {li};
  k.input_from_dram = !in_res;
  k.output_to_dram = !out_resident;
  k.sram_peak_bytes = best.ws.total() + reserved;
  int64_t n_bands = ceil_div(out_rows, best.h), n_co = ceil_div(cout, best.co), n_ci = ceil_div(cin, best.ci);
  check_tile_count(net_, l, hw_, n_bands, n_co, n_ci);
  for (int64_t b = 0; b < n_bands; ++b) {
    RowRange rows{b * best.h, std::min(out_rows, (b + 1) * best.h)};
    for (int64_t j = 0; j < n_co; ++j) {
      int64_t co = std::min(best.co, cout - j * best.co);
      for (int64_t i = 0; i < n_ci; ++i) {
        int64_t ci = std::min(best.ci, cin - i * best.ci);
        Tile t;
        if (!in_res) t.load_ifmap_bytes = rows_in(rows) * row_bytes * ci * bpe_;
        t.load_weight_bytes = co * ci * taps * bpe_ + (i == 0 ? co * kChannelParamBytes : 0);
        ComputeStep st = conv_step(li, rows.size(), co);
        st.in_channels = ci;
        st.sram_bytes = t.load_ifmap_bytes + t.load_weight_bytes + rows.size() * (fc ? 1 : l.out.w) * co * 4;
        t.steps.push_back(st);
        if (i + 1 == n_ci) {
          if (!out_resident) t.store_bytes = rows.size() * (fc ? 1 : l.out.w) * co * bpe_;
          for (auto& v : vector_steps(li, rows.size())) {
            v.elements = v.elements * co / l.out.c;
            t.steps.push_back(v);
          }
        }
        k.tiles.push_back(std::move(t));
      }
    }
  }
  return k;
}

// Systolic arrays run a layer as SCALE-Sim does: a sequence of folds of the GEMM
// (M = output pixels, N = filters, K = window), group after group. A tile is a run of
// consecutive folds; its DMA bytes are its share of the layer's operands, each read once.
std::optional<Kernel> Compiler::plan_systolic(int li, const Resident& resident_in, bool out_resident) {
  const Layer& l = layer(li);
  const Shape& in = in_shape(li);
  bool fc = l.op == Op::FullyConnected;
  bool in_res = resident_in.count(l.inputs[0]) > 0;
  int64_t reserved = reserved_bytes(li, resident_in, out_resident);
  ComputeStep whole = conv_step(li, fc ? 1 : l.out.h, fc || l.groups == 1 ? l.out_channels : l.groups);
  int64_t groups = whole.groups;
  SystolicFolds f = scalesim_folds(hw_.mac_array.rows, hw_.mac_array.cols, hw_.mac_array.dataflow,
                                   whole.out_pixels, whole.out_channels, whole.in_channels * whole.taps);
  int64_t folds = f.folds * groups;
  int64_t in_bytes = in_res ? 0 : in.elements() * bpe_;
  int64_t w_bytes = weight_bytes(li, fc || l.groups == 1 ? l.out_channels : l.groups);
  int64_t out_bytes = out_resident ? 0 : tensor_bytes(li);
  auto share = [](int64_t bytes, int64_t i, int64_t n) { return bytes * (i + 1) / n - bytes * i / n; };
  // A tile may hold less than one fold's operands (big FC layers): then several tiles feed one
  // fold, and the fold computes on the last of them.
  int64_t max_tiles = folds * std::max<int64_t>(1, ceil_div(w_bytes + in_bytes + out_bytes, folds * 1024));
  for (int64_t n = 1; n <= max_tiles; n = n < 64 ? n + 1 : n + n / 8) {
    WorkingSet ws;
    int64_t buffers = n > 1 ? 2 : 1;
    ws.in = buffers * ceil_div(in_bytes, n);
    ws.weights = buffers * ceil_div(w_bytes, n);
    ws.out = buffers * ceil_div(out_bytes, n);
    if (!fits(ws, reserved)) continue;
    Kernel k;
    k.name = l.name;
    k.kind = fc ? "fc" : "conv";
    k.layers = {li};
    k.input_from_dram = !in_res;
    k.output_to_dram = !out_resident;
    k.sram_peak_bytes = ws.total() + reserved;
    for (int64_t i = 0; i < n; ++i) {
      Tile t;
      t.load_ifmap_bytes = share(in_bytes, i, n);
      t.load_weight_bytes = share(w_bytes, i, n);
      t.store_bytes = share(out_bytes, i, n);
      ComputeStep s = whole;
      s.sram_bytes = 0;  // SCALE-Sim's SRAM ports keep up with the array
      s.fold_begin = folds * i / n;
      s.fold_end = folds * (i + 1) / n;
      s.fold_total = folds;
      s.closes_layer = i + 1 == n;
      t.steps.push_back(s);
      for (auto& v : vector_steps(li, l.out.h)) {
        v.elements = share(v.elements, i, n);
        t.steps.push_back(v);
      }
      k.tiles.push_back(std::move(t));
    }
    return k;
  }
  return std::nullopt;
}

// Pooling, elementwise, resize, activation: row bands through the vector unit.
std::optional<Kernel> Compiler::plan_vector(int li, const Resident& resident_in, bool out_resident) {
  const Layer& l = layer(li);
  Kernel k;
  k.name = l.name;
  k.layers = {li};
  switch (l.op) {
    case Op::MaxPool:
    case Op::AvgPool:
    case Op::GlobalAvgPool: k.kind = "pool"; break;
    case Op::Resize: k.kind = "resize"; break;
    case Op::Activation: k.kind = "activation"; break;
    default: k.kind = "eltwise"; break;
  }
  if (l.op == Op::Concat) {  // producers write straight into the concatenated buffer
    k.kind = "concat";
    k.output_to_dram = true;
    return k;
  }
  int64_t reserved = reserved_bytes(li, resident_in, out_resident);
  int64_t out_rows = l.op == Op::GlobalAvgPool ? 1 : l.out.h;
  auto in_bytes = [&](RowRange out) {
    int64_t bytes = 0;
    for (size_t j = 0; j < l.inputs.size(); ++j) {
      int in = l.inputs[j];
      if (resident_in.count(in)) continue;
      const Shape& s = layer(in).out;
      RowRange r = l.op == Op::GlobalAvgPool ? RowRange{0, s.h} : input_rows(li, out);
      if (s.h == 1) r = {0, 1};  // broadcast operand (SE gate)
      const int64_t channels = l.op == Op::ChannelSlice ? l.out.c : s.c;  // a slice reads only its channels
      bytes += r.size() * s.w * channels * bpe_;
    }
    return bytes;
  };
  // Global pooling needs every input row but produces one: stream input bands instead.
  if (l.op == Op::GlobalAvgPool) {
    const Shape& s = in_shape(li);
    for (int64_t n = 1; n <= s.h; ++n) {
      int64_t h = ceil_div(s.h, n);
      WorkingSet ws;
      bool res = resident_in.count(l.inputs[0]) > 0;
      ws.in = res ? 0 : (n > 1 ? 2 : 1) * h * s.w * s.c * bpe_;
      ws.out = tensor_bytes(li);
      if (!fits(ws, reserved)) continue;
      for (int64_t b = 0; b * h < s.h; ++b) {
        Tile t;
        int64_t rows = std::min(s.h, (b + 1) * h) - b * h;
        if (!res) t.load_ifmap_bytes = rows * s.w * s.c * bpe_;
        ComputeStep st;
        st.layer = li;
        st.unit = Unit::Vector;
        st.elements = rows * s.w * s.c;
        st.sram_bytes = st.elements * bpe_;
        t.steps.push_back(st);
        k.tiles.push_back(std::move(t));
      }
      if (!out_resident) k.tiles.back().store_bytes = tensor_bytes(li);
      k.input_from_dram = !res;
      k.output_to_dram = !out_resident;
      k.sram_peak_bytes = ws.total() + reserved;
      return k;
    }
    return std::nullopt;
  }
  for (int64_t n = 1; n <= out_rows; ++n) {
    int64_t h = ceil_div(out_rows, n);
    WorkingSet ws;
    ws.in = (n > 1 ? 2 : 1) * in_bytes({0, h});
    ws.out = out_resident ? 0 : (n > 1 ? 2 : 1) * h * l.out.w * l.out.c * bpe_;
    if (!fits(ws, reserved)) continue;
    for (int64_t b = 0; b * h < out_rows; ++b) {
      RowRange rows{b * h, std::min(out_rows, (b + 1) * h)};
      Tile t;
      t.load_ifmap_bytes = in_bytes(rows);
      if (!out_resident) t.store_bytes = rows.size() * l.out.w * l.out.c * bpe_;
      t.steps = vector_steps(li, rows.size());
      k.tiles.push_back(std::move(t));
    }
    k.input_from_dram = in_bytes({0, out_rows}) > 0;
    k.output_to_dram = !out_resident;
    k.sram_peak_bytes = ws.total() + reserved;
    return k;
  }
  return std::nullopt;
}

// Squeeze-and-excite: pool the whole input, two tiny FCs, then gate every element. When the
// input does not fit, it is streamed twice (once to pool, once to gate).
std::optional<Kernel> Compiler::plan_se(int li, const Resident& resident_in, bool out_resident) {
  const Layer& l = layer(li);
  const Shape& s = in_shape(li);
  bool res = resident_in.count(l.inputs[0]) > 0;
  int64_t reserved = reserved_bytes(li, resident_in, out_resident);
  Kernel k;
  k.name = l.name;
  k.kind = "se";
  k.layers = {li};
  k.input_from_dram = !res;
  k.output_to_dram = !out_resident;
  // The squeeze: two 1x1 convs on the pooled vector, then the gate activation.
  auto squeeze_steps = [&](Tile& t) {
    ComputeStep fc1;
    fc1.layer = li;
    fc1.out_pixels = 1;
    fc1.in_channels = s.c;
    fc1.out_channels = l.se_channels;
    fc1.sram_bytes = weight_bytes(li, 0) / 2;
    ComputeStep fc2 = fc1;
    fc2.in_channels = l.se_channels;
    fc2.out_channels = s.c;
    ComputeStep gate;
    gate.layer = li;
    gate.unit = Unit::Vector;
    gate.elements = s.c;
    gate.special_fn = l.se_gate == Act::Sigmoid;
    t.steps.insert(t.steps.end(), {fc1, fc2, gate});
  };
  ComputeStep mul;
  mul.layer = li;
  mul.unit = Unit::Vector;
  int64_t whole = s.elements() * bpe_;
  WorkingSet one;
  one.in = res ? 0 : whole;
  one.weights = weight_bytes(li, 0);
  one.out = out_resident ? 0 : whole;
  if (fits(one, reserved)) {
    Tile t;
    t.load_ifmap_bytes = res ? 0 : whole;
    t.load_weight_bytes = weight_bytes(li, 0);
    ComputeStep pool;
    pool.layer = li;
    pool.unit = Unit::Vector;
    pool.elements = s.elements();
    pool.sram_bytes = whole;
    t.steps.push_back(pool);
    squeeze_steps(t);
    mul.elements = s.elements();
    mul.sram_bytes = 2 * whole;
    t.steps.push_back(mul);
    if (!out_resident) t.store_bytes = whole;
    k.tiles.push_back(std::move(t));
    k.sram_peak_bytes = one.total() + reserved;
    return k;
  }
  for (int64_t n = 2; n <= s.h; ++n) {
    int64_t h = ceil_div(s.h, n);
    WorkingSet ws;  // the FC phase runs between the passes, when the band buffers are free
    ws.in = res ? 0 : 2 * h * s.w * s.c * bpe_;
    ws.out = out_resident ? 0 : 2 * h * s.w * s.c * bpe_;
    if (!fits(ws, reserved)) continue;
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t b = 0; b * h < s.h; ++b) {
        int64_t rows = std::min(s.h, (b + 1) * h) - b * h;
        int64_t bytes = rows * s.w * s.c * bpe_;
        Tile t;
        if (!res) t.load_ifmap_bytes = bytes;
        ComputeStep st;
        st.layer = li;
        st.unit = Unit::Vector;
        st.elements = rows * s.w * s.c;
        st.sram_bytes = bytes * (pass == 0 ? 1 : 2);
        t.steps.push_back(st);
        if (pass == 1 && !out_resident) t.store_bytes = bytes;
        k.tiles.push_back(std::move(t));
      }
      if (pass == 0) {
        Tile t;
        t.load_weight_bytes = weight_bytes(li, 0);
        squeeze_steps(t);
        k.tiles.push_back(std::move(t));
      }
    }
    k.sram_peak_bytes = ws.total() + reserved;
    return k;
  }
  return std::nullopt;
}

// A block's layers as one kernel: row bands of the block output, each computed from the rows of
// the block input it needs (halo rows recomputed); intermediates live in SRAM only.
std::optional<Kernel> Compiler::plan_chain(const Group& g, const Resident& resident_in, bool out_resident) {
  std::vector<int> ls;
  for (int li : g.layers()) ls.push_back(li);
  int x = layer(ls.front()).inputs[0];  // the block input
  int last = ls.back();
  bool res = resident_in.count(x) > 0;
  bool has_se = false;
  int64_t weights = 0;
  for (int li : ls) {
    has_se |= layer(li).op == Op::SqueezeExcite;
    weights += weight_bytes(li, layer(li).op == Op::Conv2d
                                    ? (layer(li).groups == 1 ? layer(li).out_channels : layer(li).groups)
                                    : 0);
  }
  int64_t reserved = (res ? tensor_bytes(x) : 0) + (out_resident ? tensor_bytes(last) : 0);
  const Shape& xs = layer(x).out;
  int64_t out_rows = layer(last).out.h;

  // Rows of each chain layer's output needed for output rows `out` of the last layer.
  auto band_rows = [&](RowRange out) {
    std::vector<RowRange> rows(ls.size());
    RowRange need = out;
    for (size_t i = ls.size(); i-- > 0;) {
      rows[i] = need;
      const Layer& l = layer(ls[i]);
      if (l.op == Op::Add) continue;  // row for row; its other operand is the block input
      need = input_rows(ls[i], need);
      if (l.op == Op::SqueezeExcite) need = {0, in_shape(ls[i]).h};
    }
    RowRange xr = need;
    for (size_t i = 0; i < ls.size(); ++i)
      if (layer(ls[i]).op == Op::Add) xr = {std::min(xr.lo, rows[i].lo), std::max(xr.hi, rows[i].hi)};
    return std::make_pair(rows, xr);
  };

  std::optional<Kernel> best;
  int64_t best_cycles = std::numeric_limits<int64_t>::max();
  for (int64_t n = 1; n <= out_rows; ++n) {
    int64_t h = ceil_div(out_rows, n);
    if (ceil_div(out_rows, h) != n) continue;  // same bands as a smaller count
    if (has_se && n > 1) break;  // SE pools the whole tensor: the block must fit in one band
    auto [rows, xr] = band_rows({0, h});
    WorkingSet ws;
    ws.in = res ? 0 : (n > 1 ? 2 : 1) * xr.size() * xs.w * xs.c * bpe_;
    ws.weights = weights;
    for (size_t i = 0; i + 1 < ls.size(); ++i) {
      const Shape& o = layer(ls[i]).out;
      ws.scratch += rows[i].size() * o.w * o.c * bpe_;
    }
    const Shape& os = layer(last).out;
    ws.out = out_resident ? 0 : (n > 1 ? 2 : 1) * h * os.w * os.c * bpe_;
    if (!fits(ws, reserved)) continue;

    Kernel k;
    k.name = layer(ls.front()).block;
    k.kind = layer(ls.front()).block_type;
    k.layers = ls;
    k.layer_read_bytes.assign(ls.size(), 0);
    k.layer_write_bytes.assign(ls.size(), 0);
    k.input_from_dram = !res;
    k.output_to_dram = !out_resident;
    k.sram_peak_bytes = ws.total() + reserved;
    for (int64_t b = 0; b * h < out_rows; ++b) {
      auto [r, xrb] = band_rows({b * h, std::min(out_rows, (b + 1) * h)});
      Tile t;
      if (!res) t.load_ifmap_bytes = xrb.size() * xs.w * xs.c * bpe_;
      if (b == 0) t.load_weight_bytes = weights;
      for (size_t i = 0; i < ls.size(); ++i) {
        const Layer& l = layer(ls[i]);
        if (l.op == Op::Conv2d) {
          t.steps.push_back(conv_step(ls[i], r[i].size(), l.groups == 1 ? l.out_channels : l.groups));
          for (auto& v : vector_steps(ls[i], r[i].size())) t.steps.push_back(v);
        } else if (l.op == Op::SqueezeExcite) {
          Resident all_res{l.inputs[0]};  // an SE layer has one input
          auto se = plan_se(ls[i], all_res, true);
          if (!se) return std::nullopt;
          for (auto& tile : se->tiles)
            for (auto& st : tile.steps) t.steps.push_back(st);
        } else {
          for (auto& v : vector_steps(ls[i], r[i].size())) t.steps.push_back(v);
        }
      }
      if (!out_resident) t.store_bytes = r.back().size() * os.w * os.c * bpe_;
      k.layer_read_bytes[0] += t.load_ifmap_bytes;
      k.layer_write_bytes.back() += t.store_bytes;
      k.tiles.push_back(std::move(t));
    }
    for (size_t i = 0; i < ls.size(); ++i) {
      const Layer& l = layer(ls[i]);
      if (l.op == Op::Conv2d) k.layer_read_bytes[i] += weight_bytes(ls[i], l.groups == 1 ? l.out_channels : l.groups);
      if (l.op == Op::SqueezeExcite) k.layer_read_bytes[i] += weight_bytes(ls[i], 0);
    }
    int64_t cycles = kernel_estimate(k);
    if (cycles < best_cycles) {
      best_cycles = cycles;
      best = std::move(k);
    }
  }
  return best;
}

std::optional<Kernel> Compiler::plan_uncached(const Group& g, const Resident& resident_in, bool out_resident) {
  std::optional<Kernel> k;
  if (g.fused) {
    k = plan_chain(g, resident_in, out_resident);
  } else {
    int li = g.front();
    switch (layer(li).op) {
      case Op::Conv2d:
      case Op::FullyConnected:
        k = hw_.mac_array.kind == ArrayKind::Systolic ? plan_systolic(li, resident_in, out_resident)
                                                       : plan_conv(li, resident_in, out_resident);
        if (!k && hw_.mac_array.kind != ArrayKind::Systolic) k = plan_conv_split(li, resident_in, out_resident);
        break;
      case Op::SqueezeExcite: k = plan_se(li, resident_in, out_resident); break;
      default: k = plan_vector(li, resident_in, out_resident); break;
    }
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
  if (k) k->summary = summarize_kernel(*k, hw_);
  return k;
}

// Every Layer field planning may read must be in plan_key(); a new field stops the build here
// until it is added (or judged irrelevant to planning, like the names, which are rebuilt).
// ceil_mode and slice_begin/slice_end change only the output shape (out.c/h/w, in the key).
static_assert(sizeof(Layer) == 272, "Layer changed: update Compiler::plan_key()");

// The cache key of a plan: what plan_uncached() reads of the group's layers and of their inputs,
// with layer indices made relative to the group (external inputs numbered in order of first use).
// The hardware and the options are the table's key.
void Compiler::plan_key(const Group& g, const Resident& resident_in, bool out_resident) {
  // Fields as int32 (half the bytes to hash and compare). A value outside [-2^30, 2^30) is written
  // as INT32_MIN (a marker no plain field takes) plus both halves, so the key stays exact for any
  // value; the first pass assumes none and is redone when one shows up.
  size_t ints = plan_key_fields<false>(g, resident_in, out_resident);
  if (ints == 0) ints = plan_key_fields<true>(g, resident_in, out_resident);
  key_.assign(reinterpret_cast<const char*>(key_ints_.data()), ints * sizeof(int32_t));
  for (int li : g.layers()) key_.append(layer(li).block_type).push_back('\0');
}

template <bool kEscape>
size_t Compiler::plan_key_fields(const Group& g, const Resident& resident_in, bool out_resident) {
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
  put(g.fused, out_resident, g.count);
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
        put(s.c, s.h, s.w, resident_in.count(in));
      }
    }
  }
  if (!kEscape && wide != 0) return 0;
  return static_cast<size_t>(at - v.data());
}

PlanTable::Entry* Compiler::cached_plan(const Group& g, const Resident& resident_in, bool out_resident) {
  if (!table_) return nullptr;
  plan_key(g, resident_in, out_resident);
  auto it = table_->plans.find(key_);
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
  return &table_->plans.emplace(key_, PlanTable::Entry{std::move(k), cache_->next_id++}).first->second;
}

bool Compiler::plan(const Group& g, const Resident& resident_in, bool out_resident, Scheduled& out) {
  out.first_layer = g.front();
  out.fused = g.fused;
  out.cached = cached_plan(g, resident_in, out_resident);
  out.own.reset();
  if (out.cached) return out.cached->kernel.has_value();
  out.own = plan_uncached(g, resident_in, out_resident);
  return out.own.has_value();
}

Kernel Compiler::materialize(Scheduled&& s) const {
  if (!s.cached) {
    s.own->name = s.fused ? layer(s.first_layer).block : layer(s.first_layer).name;
    return std::move(*s.own);
  }
  Kernel k = *s.cached->kernel;
  int first = s.first_layer;
  k.name = s.fused ? layer(first).block : layer(first).name;
  for (int& li : k.layers) li += first;
  for (Tile& t : k.tiles)
    for (ComputeStep& st : t.steps) st.layer += first;
  return k;
}

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

std::vector<Compiler::Group> Compiler::form_groups() const {
  std::vector<Group> groups;
  const auto& L = net_.layers;
  for (size_t i = 1; i < L.size();) {
    if (L[i].op == Op::Input) {  // further inputs (independent layers of a SCALE-Sim topology)
      ++i;
      continue;
    }
    const std::string& bt = L[i].block_type;
    bool systolic = hw_.mac_array.kind == ArrayKind::Systolic;  // folds are per layer
    if (opt_.fuse_blocks && !systolic && !L[i].block.empty() && (bt == "ibn" || bt == "fused_ibn" || bt == "dwsep")) {
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

void Compiler::mapping_error(int li) const {
  const Layer& l = layer(li);
  int64_t in_bytes = 0;
  for (int in : l.inputs) in_bytes += tensor_bytes(in);
  int64_t w = weight_bytes(li, l.op == Op::Conv2d ? std::min<int64_t>(l.out_channels, hw_.mac_array.pf) : 1);
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
    out.push_back({&*s.cached->kernel, s.first_layer, s.cached->id});
  }
  return out;
}

// The decisions of the module comment, kernel by kernel; each kernel's plan is cached or owned.
std::vector<Compiler::Scheduled> Compiler::schedule() {
  std::vector<Scheduled> steps;
  std::vector<Group> groups = form_groups();
  steps.reserve(groups.size());
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
    if (!ok) mapping_error(groups[k].front());
    prev_resident_in = resident_in;
    resident_in.clear();
    if (out_res) resident_in.insert(groups[k].back());
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace

Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt) {
  return Compiler(net, hw, opt).run();
}

Program compile(const Network& net, const HwConfig& hw, const CompileOptions& opt, PlanCache& cache) {
  return Compiler(net, hw, opt, cache.impl_.get()).run();
}

std::vector<PlannedKernel> plan_kernels(const Network& net, const HwConfig& hw, const CompileOptions& opt,
                                        PlanCache& cache) {
  return Compiler(net, hw, opt, cache.impl_.get()).planned_kernels();
}

}  // namespace nesim
