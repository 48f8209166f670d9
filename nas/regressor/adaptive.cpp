#include "nas/regressor/adaptive.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

namespace nesim::nas {

std::vector<KernelRow> adaptive_rows(const SampleOptions& opt, int extra, const FitOptions& fit,
                                     AdaptiveReport* report) {
  std::vector<Sample> samples = draw_samples(opt);
  std::vector<size_t> sample_of_row;
  std::vector<KernelRow> rows = simulate_samples(opt, samples, &sample_of_row);
  if (extra <= 0) return rows;
  auto probe = [](size_t sample) { return sample % 5 == 4; };
  std::vector<KernelRow> train;
  for (size_t i = 0; i < rows.size(); ++i)
    if (!probe(sample_of_row[i])) train.push_back(rows[i]);
  Regressor first = Regressor::fit(train, fit);

  std::vector<double> error(samples.size(), -1.0);  // per probe sample: its worst kernel
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!probe(sample_of_row[i])) continue;
    const KernelRow& r = rows[i];
    double e = std::abs(first.kernel_cycles(r.features, r.pipeline_cycles) / static_cast<double>(r.cycles) - 1);
    error[sample_of_row[i]] = std::max(error[sample_of_row[i]], e);
  }
  std::vector<size_t> worst;
  for (size_t s = 0; s < samples.size(); ++s)
    if (error[s] >= 0) worst.push_back(s);
  std::stable_sort(worst.begin(), worst.end(), [&](size_t a, size_t b) { return error[a] > error[b]; });

  auto key = [](const Sample& s) { return std::tuple(s.model, s.width, s.size, s.layer, s.hw); };
  std::set<std::tuple<int, int, int, int, int>> seen;
  for (const Sample& s : samples) seen.insert(key(s));
  std::mt19937_64 rng(opt.seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<Sample> added;
  for (size_t w = 0; w < worst.size() && static_cast<int>(added.size()) < extra; ++w)
    for (const Sample& n : neighbours(opt, samples[worst[w]], rng))
      if (static_cast<int>(added.size()) < extra && seen.insert(key(n)).second) added.push_back(n);
  for (KernelRow& r : simulate_samples(opt, added)) rows.push_back(std::move(r));
  if (report) {
    report->probe_networks = static_cast<size_t>(std::count_if(error.begin(), error.end(), [](double e) { return e >= 0; }));
    report->worst_probe_error = worst.empty() ? 0 : error[worst.front()];
    report->added_networks = added.size();
  }
  return rows;
}

}  // namespace nesim::nas
