#pragma once
// The SystemC neural engine, behind a plain C++ facade so that no other folder includes
// <systemc>. SystemC elaborates once per process, so the engine is a process-wide singleton that
// runs any number of programs (on any HwConfig within its limits) one after another.
#include "sim/compiler/program.h"
#include "sim/report/records.h"

namespace nesim {

struct RunOptions {
  bool trace = false;  // fill SimResult::trace with per-unit events (slower)
};

class Engine {
 public:
  static constexpr int kMaxDmaChannels = 16;
  // The process's engine; elaborates the SystemC design on first use.
  static Engine& instance();
  // Simulates one compiled program from an idle engine. Deterministic: the same program and
  // options give the same result, whatever ran before in this process.
  // Throws InputError when the HwConfig exceeds the engine's limits (e.g. DMA channels).
  SimResult run(const Program& program, const RunOptions& opt = {});

 private:
  Engine();
  struct Impl;
  Impl* impl_;
};

// Convenience: compile + run + fill params/macs of each record from the network.
SimResult simulate(const Network& net, const HwConfig& hw, const RunOptions& opt = {});

}  // namespace nesim
