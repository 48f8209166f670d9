#pragma once
// Comparing a per-layer CSV (layers_csv()) against a reviewed golden copy: the CI guard that no
// change to the simulator's timings or bytes goes unnoticed.
#include <string>

namespace nesim {

// "layer s2b0.expand: total_cycles 1234 -> 1240" for every field that differs, one per line,
// plus row-count changes; "" when the two are identical.
std::string golden_diff(const std::string& golden_csv, const std::string& current_csv);

}  // namespace nesim
