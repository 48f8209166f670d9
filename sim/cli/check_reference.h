#pragma once
// `nesim check --reference F`: the simulator against latencies a user measured on silicon or RTL.
#include <cstdio>
#include <string>

namespace nesim::cli {

struct ReferenceCheck {
  bool ok = false;           // mape_pct <= the tolerance
  double mape_pct = 0;
  size_t measurements = 0;
};

// Reads the reference CSV (format in docs/regressor.md), simulates every (model, hw) it names,
// prints MAPE and the worst rows to `human`. InputError naming the file and line on a malformed
// row, a missing file or an unknown layer.
ReferenceCheck check_reference(const std::string& csv_path, double tolerance_pct, std::FILE* human = stdout);

}  // namespace nesim::cli
