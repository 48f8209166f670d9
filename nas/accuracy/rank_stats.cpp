#include "nas/accuracy/rank_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "nas/regressor/accuracy.h"

namespace nesim::nas {
namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

RankAgreement rank_agreement(const std::vector<double>& x, const std::vector<double>& y, uint64_t seed,
                             int resamples) {
  std::vector<double> a, b;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) a.push_back(x[i]), b.push_back(y[i]);
  RankAgreement r;
  r.n = a.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (r.n < 2) {
    r.spearman = r.kendall = r.spearman_lo = r.spearman_hi = r.kendall_lo = r.kendall_hi = nan;
    return r;
  }
  r.spearman = spearman_rho(a, b);
  r.kendall = kendall_tau_b(a, b);
  std::mt19937_64 rng(seed);
  std::vector<double> rho, tau, ra(r.n), rb(r.n);
  for (int k = 0; k < resamples; ++k) {
    for (size_t i = 0; i < r.n; ++i) {
      const size_t j = static_cast<size_t>(rng() % r.n);
      ra[i] = a[j], rb[i] = b[j];
    }
    const double s = spearman_rho(ra, rb), t = kendall_tau_b(ra, rb);
    // A resample that draws one pair n times has no ranking: it says nothing about agreement.
    if (std::isfinite(s)) rho.push_back(s);
    if (std::isfinite(t)) tau.push_back(t);
  }
  r.spearman_lo = percentile(rho, 0.025), r.spearman_hi = percentile(rho, 0.975);
  r.kendall_lo = percentile(tau, 0.025), r.kendall_hi = percentile(tau, 0.975);
  return r;
}

nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json agreement_json(const RankAgreement& a) {
  nlohmann::ordered_json j;
  j["n"] = a.n;
  j["spearman"] = finite_or_null(a.spearman);
  j["spearman_ci95"] = {finite_or_null(a.spearman_lo), finite_or_null(a.spearman_hi)};
  j["kendall"] = finite_or_null(a.kendall);
  j["kendall_ci95"] = {finite_or_null(a.kendall_lo), finite_or_null(a.kendall_hi)};
  return j;
}

}  // namespace nesim::nas
