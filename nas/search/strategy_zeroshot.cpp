// zeroshot: screen many random candidates by the accuracy scorer alone, evaluate the best.
#include <algorithm>

#include "nas/search/strategy.h"

namespace nesim::nas {
namespace {

// `screen` random candidates per slot, scored by the accuracy proxy alone; the best-scoring ones
// are evaluated in full.
class ZeroShot : public Strategy {
 public:
  ZeroShot(const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) : s_(s), board_(b), o_(o) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<std::pair<double, Arch>> pool;
    for (size_t i = 0; i < n * static_cast<size_t>(std::max(1, o_.screen)); ++i) {
      Arch a = random_arch(s_, rng);
      pool.emplace_back(board_.screen_score(a), a);
    }
    std::stable_sort(pool.begin(), pool.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<Arch> out;
    for (size_t i = 0; i < n && i < pool.size(); ++i) out.push_back(pool[i].second);
    return out;
  }
  void observe(const std::vector<Arch>&, const std::vector<int>&) override {}

 private:
  const SearchSpace& s_;
  const Scoreboard& board_;
  StrategyOptions o_;
};

}  // namespace
}  // namespace nesim::nas

NESIM_REGISTER_STRATEGY(zeroshot, [](const nesim::nas::SearchSpace& s, const nesim::nas::Scoreboard& b,
                                     const nesim::nas::StrategyOptions& o) -> std::unique_ptr<nesim::nas::Strategy> {
  return std::make_unique<nesim::nas::ZeroShot>(s, b, o);
})
