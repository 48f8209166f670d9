#pragma once
// Search strategies behind one interface: the driver asks for candidates (propose), evaluates
// them, and tells the strategy their ids (observe). Strategies judge candidates only through the
// Scoreboard, so when the simulator refines the oracle every later comparison uses the new scores.
// Built in: random, evolution (regularized / aging evolution, Real et al. 2019), nsga2 (Deb et
// al. 2002, with constraint domination), zeroshot (screen many random candidates by the accuracy
// proxy, evaluate the best).
#include <memory>
#include <random>
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

// InputError listing the known names when `name` is unknown.
std::unique_ptr<Strategy> make_strategy(const std::string& name, const SearchSpace& space, const Scoreboard& board,
                                        const StrategyOptions& options);
std::vector<std::string> strategy_names();

// NSGA-II's machinery, shared with the driver's Pareto front: fronts of ids under constraint
// domination (fronts[0] = the non-dominated), and the crowding distance of each id of one front.
std::vector<std::vector<int>> nondominated_fronts(const std::vector<int>& ids, const Scoreboard& board);
std::vector<double> crowding_distance(const std::vector<int>& front, const Scoreboard& board);

}  // namespace nesim::nas
