#pragma once
// Comparing a per-layer CSV (layers_csv()) against a reviewed golden copy: the CI guard that no
// change to the simulator's timings or bytes goes unnoticed.
#include <string>

namespace nesim {

// The text of a golden per-layer CSV, its first line checked against layers_csv_header() (an
// InputError naming the file otherwise). A legacy "# nesim-layers schema_version=1" first line
// is dropped, so goldens written by an older nesim still compare.
std::string read_golden(const std::string& path);

// "layer s2b0.expand: total_cycles 1234 -> 1240" for every field that differs, one per line,
// plus header and row-count changes; "" when the two are identical.
std::string golden_diff(const std::string& golden_csv, const std::string& current_csv);

}  // namespace nesim
