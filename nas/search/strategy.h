#pragma once
// Search strategies behind one interface: the driver asks for candidates (propose), evaluates
// them, and tells the strategy their ids (observe). Strategies judge candidates only through the
// Scoreboard, so when the simulator refines the oracle every later comparison uses the new scores.
// Built in: random, evolution (regularized / aging evolution, Real et al. 2019), nsga2 (Deb et
// al. 2002, with constraint domination), zeroshot (screen many random candidates by the accuracy
// proxy, evaluate the best).
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "nas/search/space.h"

namespace nesim::nas {

// The driver's view of evaluated candidates, by id (0, 1, ... in evaluation order).
class Scoreboard {
 public:
  virtual ~Scoreboard() = default;
  // The space's objectives, each to minimise (accuracy is negated); latency in ms (the simulator's
  // where simulated, else the refined regressor's), memory in bytes.
  virtual std::vector<double> objectives(int id) const = 0;
  // 0 when every constraint holds, else the sum of relative violations (dimensionless).
  virtual double violation(int id) const = 0;
  virtual double latency_ms(int id) const = 0;
  // The accuracy score of a not yet evaluated candidate (zero-shot screening); higher is better.
  virtual double screen_score(const Arch& a) const = 0;
  // The single-objective order: feasible first, then lower latency (infeasible: lower violation),
  // then lower id. Strict weak order.
  bool better(int a, int b) const;
};

struct StrategyOptions {
  int population = 64;    // evolution: P; nsga2: population size
  int sample = 16;        // evolution: tournament size S
  int screen = 8;         // zeroshot: candidates screened per candidate evaluated
  int mutate_genes = 1;   // genes changed per mutation
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Up to n candidates to evaluate next; may repeat evaluated ones (the driver does not evaluate
  // a candidate twice). All randomness comes from `rng`, so a run is determined by its seed.
  virtual std::vector<Arch> propose(size_t n, std::mt19937_64& rng) = 0;
  // The candidates of the last propose() (or ones the driver adds, such as the base architecture)
  // with their ids, in the same order. May read the scoreboard; must not call propose().
  virtual void observe(const std::vector<Arch>& archs, const std::vector<int>& ids) = 0;
};

// InputError listing the known names when `name` is unknown. "auto" is default_strategy(space).
std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, const Scoreboard& board,
                                        const StrategyOptions& options);
std::vector<std::string> strategy_names();
// What "auto" (the default --strategy) means: nsga2 when the space has more than one objective,
// else evolution.
std::string default_strategy(const SearchSpace& space);

// Registration by name: each strategy is one file, nas/search/strategy_<name>.cpp, that ends in
//   NESIM_REGISTER_STRATEGY(name, [](const SearchSpace& s, const Scoreboard& b, const StrategyOptions& o) {...});
// The macro also defines the symbol nesim_strategy_<name>_anchor, which CMake keeps in every link
// (it globs strategy_*.cpp), so the static nesim_lib does not drop the file.
using StrategyFactory =
    std::function<std::unique_ptr<Strategy>(const SearchSpace&, const Scoreboard&, const StrategyOptions&)>;
bool register_strategy(const std::string& name, StrategyFactory factory);
#define NESIM_REGISTER_STRATEGY(name, ...)                                                    \
  extern "C" {                                                                                \
  [[maybe_unused]] int nesim_strategy_##name##_anchor = 0;                                    \
  }                                                                                           \
  namespace {                                                                                 \
  [[maybe_unused]] const bool nesim_strategy_##name##_registered =                            \
      ::nesim::nas::register_strategy(#name, __VA_ARGS__);                                    \
  }

// Keeps evolutionary strategies going when their proposals repeat (small or converged spaces):
// after each batch whose candidates were all evaluated before, mutations change one more gene
// (up to all of them); once all genes change and batches still repeat `kRestartAfter` times, the
// strategy proposes a batch of fresh random samples (restart) and the count starts again.
// Deterministic: it sees only the observed candidates. Contract: observe() after every batch.
class RepeatGuard {
 public:
  static constexpr int kRestartAfter = 3;
  RepeatGuard(const SearchSpace& s, int base_genes);
  // Genes a mutation changes now (>= base_genes, <= the genes with more than one choice).
  int genes() const;
  // True when the next batch should be fresh random samples; call restarted() once proposed.
  bool restart() const { return stalls_ >= max_extra_ + kRestartAfter; }
  void restarted() { stalls_ = 0; }
  // Records a batch (the driver's kept proposals); a batch of only known candidates is a stall.
  void observe(const std::vector<Arch>& archs);

 private:
  int base_genes_;
  int max_extra_;  // stalls until every gene is mutated
  int stalls_ = 0;
  std::set<std::string> seen_;
};

// NSGA-II's machinery, shared with the driver's Pareto front: fronts of ids under constraint
// domination (fronts[0] = the non-dominated), and the crowding distance of each id of one front.
std::vector<std::vector<int>> nondominated_fronts(const std::vector<int>& ids, const Scoreboard& board);
std::vector<double> crowding_distance(const std::vector<int>& front, const Scoreboard& board);

}  // namespace nesim::nas
