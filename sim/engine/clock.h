#pragma once
// SystemC time is counted in engine cycles: the engine sets a 1 ns resolution and one cycle is
// one nanosecond of simulated time, whatever the configured clock (latency_ms scales by clock_mhz).
#include <systemc>

#include <cstdint>

namespace nesim::engine {

inline int64_t now_cycles() { return static_cast<int64_t>(sc_core::sc_time_stamp().value()); }
inline sc_core::sc_time cycles(int64_t n) { return sc_core::sc_time(static_cast<double>(n), sc_core::SC_NS); }

// Tracing sink shared by the modules; `enabled` is false on the fast path.
struct TraceSink;

}  // namespace nesim::engine
