// nas: the reference's split of its spread into architecture and seed noise (SeedNoise), checked
// against a one-way ANOVA worked by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "nas/accuracy/reference.h"

namespace {

nesim::nas::ReferenceTable table(const std::vector<std::vector<double>>& accuracies) {
  nesim::nas::ReferenceTable t;
  t.seeds = {1, 2, 3};
  for (size_t a = 0; a < accuracies.size(); ++a) {
    const std::string key = "arch" + std::to_string(a);
    t.archs.push_back({key, key, 0, 0});
    for (size_t s = 0; s < accuracies[a].size(); ++s)
      t.runs[{key, t.seeds[s]}] = {key, t.seeds[s], true, accuracies[a][s], 1.0, "", ""};
  }
  return t;
}

}  // namespace

TEST_CASE("seed noise: architecture and seed variance of a hand-worked ANOVA") {
  // Means 0.91, 0.81, 0.86; each pair 0.02 apart: MSW = 0.0002, MSB = 0.005, k0 = 2.
  nesim::nas::ReferenceTable t = table({{0.90, 0.92}, {0.80, 0.82}, {0.85, 0.87}, {0.5}});
  // A failed run counts for nothing; an arch with one good seed is left out.
  t.runs[{"arch3", 2}] = {"arch3", 2, false, 0, 1.0, "diverged", ""};
  const nesim::nas::SeedNoise n = t.seed_noise();
  CHECK(n.archs == 3);
  CHECK(n.seeds_per_arch == doctest::Approx(2));
  CHECK(n.seed_sd == doctest::Approx(std::sqrt(0.0002)));
  CHECK(n.arch_sd == doctest::Approx(std::sqrt(0.0024)));
  CHECK(n.icc1 == doctest::Approx(0.0024 / 0.0026));
  CHECK(n.icc_mean == doctest::Approx(0.96));
  CHECK(n.noise_ceiling == doctest::Approx(std::sqrt(0.96)));
  CHECK(n.seeds_for_0_8 == doctest::Approx(0.8 * (1 - 0.0024 / 0.0026) / (0.0024 / 0.0026 * 0.2)));
}

TEST_CASE("seed noise: archs that differ by less than their seeds have no spread and no seed count that helps") {
  const nesim::nas::SeedNoise n = table({{0.90, 0.80, 0.86}, {0.86, 0.84, 0.85}, {0.81, 0.89, 0.85}}).seed_noise();
  CHECK(n.archs == 3);
  CHECK(n.seeds_per_arch == doctest::Approx(3));
  CHECK(n.arch_sd == 0);
  CHECK(n.icc1 <= 0);
  CHECK(std::isnan(n.seeds_for_0_8));
}

TEST_CASE("seed noise: fewer than two archs with two seeds is undefined, not zero") {
  const nesim::nas::SeedNoise n = table({{0.9, 0.91}, {0.8}}).seed_noise();
  CHECK(n.archs == 1);
  CHECK(std::isnan(n.icc1));
  CHECK(std::isnan(n.arch_sd));
  CHECK(nesim::nas::seed_noise_json(n)["icc1"].is_null());
}
