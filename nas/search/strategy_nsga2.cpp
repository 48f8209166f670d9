// nsga2: NSGA-II, Deb, Pratap, Agarwal, Meyarivan 2002, "A Fast and Elitist Multiobjective Genetic
// Algorithm: NSGA-II" (IEEE TEC 6(2)), over the space's objectives with constraint domination.
#include <algorithm>
#include <map>

#include "nas/search/strategy.h"

namespace nesim::nas {
namespace {

// A population of P ids (random until full). Children: two binary tournaments on (front rank,
// then larger crowding distance, then lower id), uniform crossover, mutation of RepeatGuard's
// gene count. Survival (mu + lambda): parents and children sorted into fronts under constraint
// domination; whole fronts while they fit, the last one by crowding distance.
class Nsga2 : public Strategy {
 public:
  Nsga2(const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o)
      : s_(s), board_(b), o_(o), guard_(s, o.mutate_genes) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<Arch> out;
    const bool restart = guard_.restart();
    if (restart) guard_.restarted();
    if (restart || population_.size() < static_cast<size_t>(o_.population)) {
      for (size_t i = 0; i < n; ++i) out.push_back(random_arch(s_, rng));
      return out;
    }
    rank();
    auto tournament = [&] {
      const int a = population_[rand_below(rng, static_cast<int>(population_.size()))];
      const int b = population_[rand_below(rng, static_cast<int>(population_.size()))];
      if (rank_[a] != rank_[b]) return rank_[a] < rank_[b] ? a : b;
      if (crowd_[a] != crowd_[b]) return crowd_[a] > crowd_[b] ? a : b;
      return std::min(a, b);
    };
    for (size_t i = 0; i < n; ++i) {
      const Arch& p1 = archs_.at(tournament());
      const Arch& p2 = archs_.at(tournament());
      out.push_back(mutate(s_, crossover(p1, p2, rng), rng, guard_.genes()));
    }
    return out;
  }
  void observe(const std::vector<Arch>& archs, const std::vector<int>& ids) override {
    guard_.observe(archs);
    for (size_t i = 0; i < archs.size(); ++i) {
      archs_[ids[i]] = archs[i];
      if (std::find(population_.begin(), population_.end(), ids[i]) == population_.end()) population_.push_back(ids[i]);
    }
    if (population_.size() <= static_cast<size_t>(o_.population)) return;
    std::vector<int> next;
    for (const std::vector<int>& front : nondominated_fronts(population_, board_)) {
      if (next.size() + front.size() <= static_cast<size_t>(o_.population)) {
        next.insert(next.end(), front.begin(), front.end());
        continue;
      }
      const std::vector<double> d = crowding_distance(front, board_);
      std::vector<size_t> order(front.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] > d[b]; });
      for (size_t i = 0; next.size() < static_cast<size_t>(o_.population); ++i) next.push_back(front[order[i]]);
      break;
    }
    population_ = next;
  }

 private:
  // Front rank and crowding distance of every member, read fresh from the scoreboard (the
  // simulator may have refined scores since the last batch).
  void rank() {
    rank_.clear();
    crowd_.clear();
    const std::vector<std::vector<int>> fronts = nondominated_fronts(population_, board_);
    for (size_t r = 0; r < fronts.size(); ++r) {
      const std::vector<double> d = crowding_distance(fronts[r], board_);
      for (size_t i = 0; i < fronts[r].size(); ++i) {
        rank_[fronts[r][i]] = static_cast<int>(r);
        crowd_[fronts[r][i]] = d[i];
      }
    }
  }
  const SearchSpace& s_;
  const Scoreboard& board_;
  StrategyOptions o_;
  RepeatGuard guard_;
  std::vector<int> population_;
  std::map<int, Arch> archs_;
  std::map<int, int> rank_;
  std::map<int, double> crowd_;
};

}  // namespace
}  // namespace nesim::nas

NESIM_REGISTER_STRATEGY(nsga2, [](const nesim::nas::SearchSpace& s, const nesim::nas::Scoreboard& b,
                                  const nesim::nas::StrategyOptions& o) -> std::unique_ptr<nesim::nas::Strategy> {
  return std::make_unique<nesim::nas::Nsga2>(s, b, o);
})
