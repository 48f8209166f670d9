#include "nas/regressor/accuracy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace nesim::nas {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 1-based ranks, tied values sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * static_cast<double>(i + j) + 1.0;
    i = j + 1;
  }
  return rank;
}

// Pairs (a, b) with a before b and a > b, counted while merge-sorting v ascending.
int64_t inversions(std::vector<double>& v, std::vector<double>& scratch, size_t lo, size_t hi) {
  if (hi - lo < 2) return 0;
  size_t mid = lo + (hi - lo) / 2;
  int64_t count = inversions(v, scratch, lo, mid) + inversions(v, scratch, mid, hi);
  size_t i = lo, j = mid, out = lo;
  while (i < mid && j < hi) {
    if (v[j] < v[i]) {
      count += static_cast<int64_t>(mid - i);
      scratch[out++] = v[j++];
    } else {
      scratch[out++] = v[i++];
    }
  }
  while (i < mid) scratch[out++] = v[i++];
  while (j < hi) scratch[out++] = v[j++];
  std::copy(scratch.begin() + static_cast<std::ptrdiff_t>(lo), scratch.begin() + static_cast<std::ptrdiff_t>(hi),
            v.begin() + static_cast<std::ptrdiff_t>(lo));
  return count;
}

int64_t pairs(int64_t n) { return n * (n - 1) / 2; }

void check_sizes(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("rank correlation: vectors of different sizes");
}

}  // namespace

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y);
  if (x.size() < 2) return kNaN;
  std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  double mean = 0.5 * static_cast<double>(x.size() + 1), sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  check_sizes(x, y);
  size_t n = x.size();
  if (n < 2) return kNaN;
  // Knight's algorithm: sort by (x, y); discordant pairs are then the inversions of y.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  int64_t x_ties = 0, joint_ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && x[order[j + 1]] == x[order[i]]) ++j;
    x_ties += pairs(static_cast<int64_t>(j - i + 1));
    for (size_t a = i; a <= j;) {
      size_t b = a;
      while (b + 1 <= j && y[order[b + 1]] == y[order[a]]) ++b;
      joint_ties += pairs(static_cast<int64_t>(b - a + 1));
      a = b + 1;
    }
    i = j + 1;
  }
  std::vector<double> ys(n), scratch(n);
  for (size_t i = 0; i < n; ++i) ys[i] = y[order[i]];
  int64_t discordant = inversions(ys, scratch, 0, n);
  int64_t y_ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && ys[j + 1] == ys[i]) ++j;
    y_ties += pairs(static_cast<int64_t>(j - i + 1));
    i = j + 1;
  }
  auto total = static_cast<double>(pairs(static_cast<int64_t>(n)));
  double denom = std::sqrt((total - static_cast<double>(x_ties)) * (total - static_cast<double>(y_ties)));
  double con_minus_dis = total - static_cast<double>(x_ties + y_ties - joint_ties + 2 * discordant);
  return denom > 0 ? con_minus_dis / denom : kNaN;
}

Accuracy accuracy(const std::vector<double>& predicted, const std::vector<double>& actual) {
  check_sizes(predicted, actual);
  Accuracy a;
  a.n = actual.size();
  if (a.n == 0) return a;
  for (size_t i = 0; i < a.n; ++i) {
    double e = (predicted[i] - actual[i]) / actual[i];
    a.mape_pct += std::abs(e);
    a.rmspe_pct += e * e;
    a.within_5_pct += std::abs(e) <= 0.05;
    a.within_10_pct += std::abs(e) <= 0.10;
  }
  auto n = static_cast<double>(a.n);
  a.mape_pct *= 100 / n;
  a.rmspe_pct = 100 * std::sqrt(a.rmspe_pct / n);
  a.within_5_pct *= 100 / n;
  a.within_10_pct *= 100 / n;
  a.spearman = spearman_rho(predicted, actual);
  a.kendall = kendall_tau_b(predicted, actual);
  return a;
}

}  // namespace nesim::nas
