#pragma once
// `nesim check --reference F`: the simulator against latencies a user measured on silicon or RTL.
#include <string>

namespace nesim::cli {

// Reads the reference CSV (format in docs/regressor.md), simulates every (model, hw) it names,
// prints MAPE and the worst rows. Returns true when MAPE <= tolerance_pct. InputError naming the
// file and line on a malformed row, a missing file or an unknown layer.
bool check_reference(const std::string& csv_path, double tolerance_pct);

}  // namespace nesim::cli
