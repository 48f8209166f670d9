#include "nas/search/strategy.h"

#include <algorithm>
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

// name -> factory, filled by NESIM_REGISTER_STRATEGY in each strategy_<name>.cpp.
std::map<std::string, StrategyFactory>& factories() {
  static std::map<std::string, StrategyFactory> f;
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

bool register_strategy(const std::string& name, StrategyFactory factory) {
  return factories().emplace(name, std::move(factory)).second;
}

std::string default_strategy(const SearchSpace& space) {
  return space.objectives.size() > 1 ? "nsga2" : "evolution";
}

RepeatGuard::RepeatGuard(const SearchSpace& s, int base_genes) : base_genes_(base_genes) {
  int open = 0;
  for (const Decision& d : s.decisions) open += d.values.size() > 1 ? 1 : 0;
  max_extra_ = std::max(0, open - base_genes);
}

int RepeatGuard::genes() const { return base_genes_ + std::min(stalls_, max_extra_); }

void RepeatGuard::observe(const std::vector<Arch>& archs) {
  bool fresh = false;
  for (const Arch& a : archs) fresh = seen_.insert(arch_key(a)).second || fresh;
  stalls_ = fresh ? 0 : stalls_ + 1;
}

std::unique_ptr<Strategy> make_strategy(const std::string& requested, const SearchSpace& space, const Scoreboard& board,
                                        const StrategyOptions& options) {
  const std::string name = requested == "auto" ? default_strategy(space) : requested;
  const auto it = factories().find(name);
  if (it == factories().end())
    throw input_error("unknown search strategy '{}' (did you mean '{}'?); known: auto, {}", name,
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
