#pragma once
// How well predictions agree with the simulator: the figures issue 3 asks for, computed once for
// `nesim fit`, `nesim check` and the docs.
#include <cstddef>
#include <vector>

namespace nesim::nas {

struct Accuracy {
  size_t n = 0;
  double mape_pct = 0, rmspe_pct = 0;          // mean absolute / root-mean-square % error
  double within_5_pct = 0, within_10_pct = 0;  // share of |error| <= 5 % / 10 %, in %
  double spearman = 0, kendall = 0;            // rank correlation (Kendall's tau-b); NaN if n < 2
};

// Errors are relative to `actual` (which must be positive). Example:
//   Accuracy a = accuracy({105, 190}, {100, 200});  // a.mape_pct == 5, a.within_5_pct == 100
Accuracy accuracy(const std::vector<double>& predicted, const std::vector<double>& actual);

// Rank correlations with ties handled as scipy.stats does (average ranks; tau-b).
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);  // O(n log n)

}  // namespace nesim::nas
