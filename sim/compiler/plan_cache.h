#pragma once
// The plan cache's tables (internal to sim/compiler): plans by key, one table per (hardware,
// options) pair. The key's body is built by Compiler::plan_key() (plan_cache.cpp).
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/compiler/compiler.h"

namespace nesim {

// What the prefetch pass (prefetch.cpp) changes in a kernel: bytes its first tile no longer loads
// (the kernel before loads them), and bytes of the next kernel's first tile that its own last
// tile loads.
struct Prefetch {
  int64_t hoisted_weights = 0, hoisted_ifmap = 0;
  int64_t weights = 0, ifmap = 0;
  bool operator==(const Prefetch&) const = default;
};

// The plans of one (hardware, options) pair, by plan key (planner::Compiler::plan_key()). Kernels are
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
    // The plan as the prefetch pass changed it (prefetch.cpp), one per change asked for; owned
    // here so that plan_kernels() can point at them.
    struct Variant {
      Prefetch change;
      Kernel kernel;
      uint64_t id = 0;
    };
    std::vector<std::unique_ptr<Variant>> variants;
  };
  // A plan's key is its group's body (everything planning reads of the layers and of their
  // inputs' shapes, interned here) with its context: whether the output stays resident and which
  // external input, if any, is resident.
  std::unordered_map<std::string, uint64_t, KeyHash> bodies;
  struct PlanKey {
    uint64_t body = 0;
    int64_t resident_input = -1;  // position among the group's external inputs in first-use order
    bool out_resident = false;
    bool operator==(const PlanKey&) const = default;
  };
  struct PlanKeyHash {
    size_t operator()(const PlanKey& k) const {
      uint64_t h = (k.body * 0x9E3779B97F4A7C15ULL) ^ (static_cast<uint64_t>(k.resident_input + 1) << 1) ^
                   (k.out_resident ? 1 : 0);
      return static_cast<size_t>(h ^ (h >> 31));
    }
  };
  std::unordered_map<PlanKey, Entry, PlanKeyHash> plans;
};

struct PlanCache::Impl {
  size_t max_kernels = 0;
  int64_t hits = 0, misses = 0;
  uint64_t next_id = 1;  // not reset by clear(): an id names one plan for the cache's lifetime
  std::vector<std::unique_ptr<PlanTable>> tables;  // a handful: one per engine a search uses
  size_t variants = 0;   // Entry::Variant kernels in the tables, counted against max_kernels

  size_t size() const {
    size_t n = variants;
    for (const auto& t : tables) n += t->plans.size();
    return n;
  }
  PlanTable& table(const HwConfig& hw, const CompileOptions& opt) {
    if (size() >= max_kernels) {
      tables.clear();
      variants = 0;
    }
    for (auto& t : tables)
      if (t->opt == opt && t->hw == hw) return *t;
    tables.push_back(std::make_unique<PlanTable>(PlanTable{hw, opt, {}, {}}));
    return *tables.back();
  }
};

}  // namespace nesim
