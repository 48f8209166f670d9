#include "nas/search/strategy.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/util/error.h"

namespace nesim::nas {

bool Scoreboard::better(int a, int b) const {
  const double va = violation(a), vb = violation(b);
  if ((va == 0) != (vb == 0)) return va == 0;
  if (va != vb) return va < vb;
  const double la = latency_ms(a), lb = latency_ms(b);
  if (la != lb) return la < lb;
  return a < b;
}

namespace {

// a constraint-dominates b (Deb 2002): feasible beats infeasible, less violation beats more,
// and between feasible ones Pareto dominance on the objectives.
bool dominates(int a, int b, const Scoreboard& board) {
  const double va = board.violation(a), vb = board.violation(b);
  if (va == 0 && vb > 0) return true;
  if (va > 0) return vb > 0 && va < vb;
  if (vb > 0) return false;
  const std::vector<double> oa = board.objectives(a), ob = board.objectives(b);
  bool strictly = false;
  for (size_t i = 0; i < oa.size(); ++i) {
    if (oa[i] > ob[i]) return false;
    strictly = strictly || oa[i] < ob[i];
  }
  return strictly;
}

class RandomSearch : public Strategy {
 public:
  explicit RandomSearch(const SearchSpace& s) : s_(s) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<Arch> out;
    for (size_t i = 0; i < n; ++i) out.push_back(random_arch(s_, rng));
    return out;
  }
  void observe(const std::vector<Arch>&, const std::vector<int>&) override {}

 private:
  const SearchSpace& s_;
};

// Regularized evolution: a queue of P candidates; each child mutates the best of S sampled at
// random; the oldest candidate leaves when a child joins (aging), whatever its score.
class Evolution : public Strategy {
 public:
  Evolution(const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) : s_(s), board_(b), o_(o) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<Arch> out;
    for (size_t i = 0; i < n; ++i) {
      if (population_.size() < static_cast<size_t>(o_.population)) {
        out.push_back(random_arch(s_, rng));
        continue;
      }
      int best = -1;
      for (int k = 0; k < o_.sample; ++k) {
        const int pick = rand_below(rng, static_cast<int>(population_.size()));
        if (best < 0 || board_.better(population_[pick].second, population_[best].second)) best = pick;
      }
      out.push_back(mutate(s_, population_[best].first, rng, o_.mutate_genes));
    }
    return out;
  }
  void observe(const std::vector<Arch>& archs, const std::vector<int>& ids) override {
    for (size_t i = 0; i < archs.size(); ++i) {
      population_.emplace_back(archs[i], ids[i]);
      if (population_.size() > static_cast<size_t>(o_.population)) population_.pop_front();
    }
  }

 private:
  const SearchSpace& s_;
  const Scoreboard& board_;
  StrategyOptions o_;
  std::deque<std::pair<Arch, int>> population_;
};

// NSGA-II: binary tournaments on (front rank, crowding distance), uniform crossover, mutation;
// survivors are the best P of parents and children by front, then crowding.
class Nsga2 : public Strategy {
 public:
  Nsga2(const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) : s_(s), board_(b), o_(o) {}
  std::vector<Arch> propose(size_t n, std::mt19937_64& rng) override {
    std::vector<Arch> out;
    if (population_.size() < static_cast<size_t>(o_.population)) {
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
      out.push_back(mutate(s_, crossover(p1, p2, rng), rng, o_.mutate_genes));
    }
    return out;
  }
  void observe(const std::vector<Arch>& archs, const std::vector<int>& ids) override {
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
  std::vector<int> population_;
  std::map<int, Arch> archs_;
  std::map<int, int> rank_;
  std::map<int, double> crowd_;
};

// Zero-shot screening: `screen` random candidates per slot, scored by the accuracy proxy alone;
// the best-scoring ones are evaluated in full.
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

using Factory = std::function<std::unique_ptr<Strategy>(const SearchSpace&, const Scoreboard&, const StrategyOptions&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> f = {
      {"random", [](const SearchSpace& s, const Scoreboard&, const StrategyOptions&) { return std::make_unique<RandomSearch>(s); }},
      {"evolution", [](const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) { return std::make_unique<Evolution>(s, b, o); }},
      {"nsga2", [](const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) { return std::make_unique<Nsga2>(s, b, o); }},
      {"zeroshot", [](const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) { return std::make_unique<ZeroShot>(s, b, o); }},
  };
  return f;
}

}  // namespace

std::vector<std::vector<int>> nondominated_fronts(const std::vector<int>& ids, const Scoreboard& board) {
  const size_t n = ids.size();
  std::vector<std::vector<size_t>> dominated(n);
  std::vector<int> count(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(ids[i], ids[j], board)) {
        dominated[i].push_back(j);
        ++count[j];
      } else if (dominates(ids[j], ids[i], board)) {
        dominated[j].push_back(i);
        ++count[i];
      }
    }
  std::vector<std::vector<int>> fronts;
  std::vector<size_t> cur;
  for (size_t i = 0; i < n; ++i)
    if (count[i] == 0) cur.push_back(i);
  while (!cur.empty()) {
    std::vector<int> front;
    std::vector<size_t> next;
    for (size_t i : cur) {
      front.push_back(ids[i]);
      for (size_t j : dominated[i])
        if (--count[j] == 0) next.push_back(j);
    }
    std::sort(front.begin(), front.end());
    std::sort(next.begin(), next.end());
    fronts.push_back(front);
    cur = next;
  }
  return fronts;
}

std::vector<double> crowding_distance(const std::vector<int>& front, const Scoreboard& board) {
  const size_t n = front.size();
  std::vector<double> d(n, 0);
  if (n == 0) return d;
  std::vector<std::vector<double>> obj;
  for (int id : front) obj.push_back(board.objectives(id));
  for (size_t m = 0; m < obj[0].size(); ++m) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return obj[a][m] < obj[b][m]; });
    const double span = obj[order.back()][m] - obj[order.front()][m];
    d[order.front()] = d[order.back()] = std::numeric_limits<double>::infinity();
    if (span <= 0) continue;
    for (size_t i = 1; i + 1 < n; ++i) d[order[i]] += (obj[order[i + 1]][m] - obj[order[i - 1]][m]) / span;
  }
  return d;
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, const Scoreboard& board,
                                        const StrategyOptions& options) {
  const auto it = factories().find(name);
  if (it == factories().end())
    throw input_error("unknown search strategy '{}' (did you mean '{}'?); known: {}", name,
                      nearest_name(name, strategy_names()), fmt::join(strategy_names(), ", "));
  if (options.population < 2 || options.sample < 1 || options.screen < 1 || options.mutate_genes < 1)
    throw input_error("strategy options: expected population >= 2, sample >= 1, screen >= 1, mutate genes >= 1");
  return it->second(space, board, options);
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> v;
  for (const auto& [n, f] : factories()) v.push_back(n);
  return v;
}

}  // namespace nesim::nas
