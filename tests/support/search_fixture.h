#pragma once
// The search options the nas suites share: a small, fast search of `space_path` on ne-pf16 with
// the shipped regressor, and the candidates' keys in evaluation order.
#include <cstdint>
#include <string>
#include <vector>

#include "nas/search/driver.h"
#include "nas/search/space.h"
#include "sim/hw/hw_config.h"

namespace nesim::test {

inline nas::SearchOptions small_search(const std::string& space_path, const std::string& strategy, int budget,
                                       uint64_t seed) {
  const std::string source = NESIM_SOURCE_DIR;
  nas::SearchOptions o;
  o.space_path = space_path;
  o.hw = load_hw_config(source + "/hwconfigs/ne-pf16.yaml");
  o.hw_path = "ne-pf16";
  o.regressor_path = source + "/traces/regressor-ne-pf.json";
  o.strategy = strategy;
  o.budget = budget;
  o.seed = seed;
  o.sim_every = 20;
  o.strategy_options.population = 16;
  o.strategy_options.sample = 4;
  o.batch = 8;
  return o;
}

inline std::vector<std::string> candidate_keys(const nas::SearchResult& r) {
  std::vector<std::string> k;
  for (const nas::CandidateRecord& c : r.candidates) k.push_back(nas::arch_key(c.arch));
  return k;
}

}  // namespace nesim::test
