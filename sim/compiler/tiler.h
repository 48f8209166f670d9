#pragma once
// A tiling strategy: one way of cutting a group of layers into tiles that fit SRAM. Each strategy
// lives in its own file under sim/compiler/tiling/ and registers itself by name; the compiler asks
// every strategy that applies to a group and keeps the best plan (compiler.cpp, plan_uncached()).
// A new strategy is one new file there, with no list to edit.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/compiler/planner.h"

namespace nesim::planner {

class Tiler : protected LayerWork {
 public:
  explicit Tiler(const LayerWork& work) : LayerWork(work) {}
  virtual ~Tiler() = default;
  // Whether the strategy can map this group at all (by its ops and the engine kind, not its size).
  // Contract: a pure function of the group's layers and the HwConfig.
  virtual bool applies(const Group& g) const = 0;
  // A plan for the group, or nullopt when none of the strategy's tilings fits SRAM.
  // Contract: reads only; the kernel uses the network's layer indices, is named after its first
  // layer (or block), and leaves layer_read_bytes/layer_write_bytes empty when the kernel is one
  // layer (the caller fills them); `summary` is unset or what plan_cost() filled in. Throws
  // InputError only for plans too big to hold (check_tile_count()).
  virtual std::optional<Kernel> plan(const Group& g, const Resident& resident_in, bool out_resident) const = 0;

 protected:
  // One unfused conv or FC layer: what the MAC-array tilers (conv, conv_split, systolic) map.
  bool single_mac_layer(const Group& g) const {
    const Op op = layer(g.front()).op;
    return !g.fused && (op == Op::Conv2d || op == Op::FullyConnected);
  }
  // An empty kernel for one layer `li`, named after it, with where its input and output live and
  // its working set; the strategy adds the tiles.
  Kernel single_layer_kernel(int li, const std::string& kind, bool in_res, bool out_resident,
                             int64_t sram_peak_bytes) const {
    Kernel k;
    k.name = layer(li).name;
    k.kind = kind;
    k.layers = {li};
    k.input_from_dram = !in_res;
    k.output_to_dram = !out_resident;
    k.sram_peak_bytes = sram_peak_bytes;
    return k;
  }
};

using TilerFactory = std::unique_ptr<Tiler> (*)(const LayerWork&);

// Registers a strategy under `name` (once per name; a second registration is a logic_error).
// Called by NESIM_REGISTER_TILER from a namespace-scope initialiser.
bool register_tiler(const char* name, TilerFactory make);
// The registered strategies' names, sorted (the order the compiler asks them in).
std::vector<std::string> tiler_names();
// A strategy by name; an unknown name is a logic_error that lists the known ones.
std::unique_ptr<Tiler> make_tiler(const std::string& name, const LayerWork& work);
// One of each registered strategy, in tiler_names() order.
std::vector<std::unique_ptr<Tiler>> make_tilers(const LayerWork& work);

}  // namespace nesim::planner

// Registers class `Class` (constructible from a const LayerWork&) as tiling strategy `name`, an
// identifier equal to its file's stem (sim/compiler/tiling/<name>.cpp). The macro also defines
// the symbol nesim_tiler_<name>_anchor, which CMake keeps in every link (it globs the folder), so
// the static nesim_lib does not drop the file.
#define NESIM_REGISTER_TILER(name, Class)                                                          \
  extern "C" {                                                                                     \
  [[maybe_unused]] int nesim_tiler_##name##_anchor = 0;                                            \
  }                                                                                                \
  namespace {                                                                                      \
  [[maybe_unused]] const bool nesim_tiler_##name##_registered = ::nesim::planner::register_tiler(  \
      #name, [](const ::nesim::planner::LayerWork& w) -> std::unique_ptr<::nesim::planner::Tiler> { \
        return std::make_unique<Class>(w);                                                         \
      });                                                                                          \
  }
