#pragma once
// How well one ranking agrees with another, with the uncertainty a small sample carries: Spearman's
// rho and Kendall's tau-b with percentile bootstrap 95 % intervals (Efron & Tibshirani, 1993, ch.
// 13). The figures of the trained reference's test-retest and of the accuracy-signal table.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace nesim::nas {

struct RankAgreement {
  size_t n = 0;
  double spearman = 0, kendall = 0;               // NaN when n < 2
  double spearman_lo = 0, spearman_hi = 0;        // 95 % percentile bootstrap interval
  double kendall_lo = 0, kendall_hi = 0;
};

// Pairs (x[i], y[i]) where both are finite. `resamples` bootstrap draws of n pairs with
// replacement from a generator seeded with `seed`: the same inputs give the same interval.
// Example: RankAgreement a = rank_agreement(proxy, accuracy, 1);  // a.spearman_lo > 0.6 ?
RankAgreement rank_agreement(const std::vector<double>& x, const std::vector<double>& y, uint64_t seed,
                             int resamples = 2000);

// A figure as JSON: the number, or null where it is NaN or infinite (undefined for the sample).
nlohmann::ordered_json finite_or_null(double v);

// {n, spearman, spearman_ci95: [lo, hi], kendall, kendall_ci95: [lo, hi]}, NaN as null: how
// reference.json, proxy-eval's summary.json and a search's training_checks report an agreement.
nlohmann::ordered_json agreement_json(const RankAgreement& a);

}  // namespace nesim::nas
