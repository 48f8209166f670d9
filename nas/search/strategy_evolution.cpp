// evolution: regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image
// Classifier Architecture Search".
#include <deque>

#include "nas/search/strategy.h"

namespace nesim::nas {
namespace {

// A queue of P candidates; each child mutates the best of S sampled at random; the oldest
// candidate leaves when a child joins (aging), whatever its score. When children repeat known
// candidates, RepeatGuard mutates more genes, then restarts from random samples.
class Evolution : public Strategy {
 public:
  Evolution(const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o)
      : s_(s), board_(b), o_(o), guard_(s, o.mutate_genes) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<Arch> out;
    const bool restart = guard_.restart();
    if (restart) guard_.restarted();
    for (size_t i = 0; i < n; ++i) {
      if (restart || population_.size() < static_cast<size_t>(o_.population)) {
        out.push_back(random_arch(s_, rng));
        continue;
      }
      int best = -1;
      for (int k = 0; k < o_.sample; ++k) {
        const int pick = rand_below(rng, static_cast<int>(population_.size()));
        if (best < 0 || board_.better(population_[pick].second, population_[best].second)) best = pick;
      }
      out.push_back(mutate(s_, population_[best].first, rng, guard_.genes()));
    }
    return out;
  }
  void observe(const std::vector<Arch>& archs, const std::vector<int>& ids) override {
    guard_.observe(archs);
    for (size_t i = 0; i < archs.size(); ++i) {
      population_.emplace_back(archs[i], ids[i]);
      if (population_.size() > static_cast<size_t>(o_.population)) population_.pop_front();
    }
  }

 private:
  const SearchSpace& s_;
  const Scoreboard& board_;
  StrategyOptions o_;
  RepeatGuard guard_;
  std::deque<std::pair<Arch, int>> population_;
};

}  // namespace
}  // namespace nesim::nas

NESIM_REGISTER_STRATEGY(evolution, [](const nesim::nas::SearchSpace& s, const nesim::nas::Scoreboard& b,
                                      const nesim::nas::StrategyOptions& o) -> std::unique_ptr<nesim::nas::Strategy> {
  return std::make_unique<nesim::nas::Evolution>(s, b, o);
})
