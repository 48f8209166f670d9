#pragma once
// The engine controller's tile pipeline (sim/engine/controller.h), replayed in plain C++ over one
// kernel: the loader issues a tile's loads on the DMA channels in turn (a transfer of several
// outstanding-burst windows split over them) as soon as an input buffer is free, without waiting
// for the previous tile's loads (two input buffers); the computer runs a tile once it is loaded
// and the tile two before it is stored (two output buffers), its head, tail and SRAM port staged
// as tile_stages() says (the vector unit finishes a tile while the MAC array runs the next); the storer
// stores each computed tile. Channels serve their transfers in order (setup, then DRAM latency and
// the shared bus, reserved first come, first served, but no faster than dma_stream_cycles()). A kernel starts on an idle engine (its first load waits for every
// earlier store), so a network's cycles are the sum of its kernels' replays. The compiler ranks
// plans with it; tests/module checks it against the SystemC engine.
#include <cstdint>

#include "sim/compiler/program.h"
#include "sim/hw/hw_config.h"

namespace nesim {

// Cycles from the kernel's first load to its last store on an idle engine (0 for no tiles).
int64_t replay_kernel_cycles(const Kernel& k, const HwConfig& hw);

}  // namespace nesim
