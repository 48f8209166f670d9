// NSGA-II and the repeat guard: deterministic by seed and across --jobs, a non-dominated final
// front, at least random search's hypervolume on a small two-objective space, and evolution on a
// tiny space running to the budget or to the exhausted space instead of stopping early.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "nas/search/driver.h"
#include "sim/exec/executor.h"
#include "sim/hw/hw_config.h"

#include "tests/support/search_fixture.h"

using namespace nesim;
using namespace nesim::nas;

namespace {

namespace fs = std::filesystem;
const std::string kSource = NESIM_SOURCE_DIR;

// A space file in the temp directory; `decisions` are its YAML lines after `base:`.
std::string write_space(const std::string& name, const std::string& decisions) {
  const fs::path dir = fs::temp_directory_path() / "nesim_nas_nsga2_test";
  fs::create_directories(dir);
  const fs::path p = dir / (name + ".yaml");
  std::ofstream(p) << "base: " << kSource << "/models/mobilenet_v2.yaml\n" << decisions;
  return p.string();
}

// Two objectives (memory, latency), about 160 candidates.
std::string small_space() {
  return write_space("small", "width_multiplier: [0.5, 0.75, 1.0]\ninput_size: [128, 160, 224]\n"
                              "stages: {s4: {expand: [3, 6], out: {min: 32, max: 96}}}\n"
                              "objectives: [memory, latency]\n");
}

SearchOptions options(const std::string& space, const std::string& strategy, int budget, uint64_t seed) {
  return nesim::test::small_search(space, strategy, budget, seed);
}

std::vector<std::string> keys(const SearchResult& r) { return nesim::test::candidate_keys(r); }

// Runs every job here, last first, and reports them done in that order: a pool whose workers
// finish out of order.
struct ReversePool : exec::Executor {
  std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done) const override {
    std::vector<std::string> out(count);
    for (size_t k = 0; k < count; ++k) {
      const size_t i = count - 1 - k;
      out[i] = job(i);
      if (on_done) on_done({i, out[i], k + 1, std::string()});
    }
    return out;
  }
  int workers() const override { return 2; }
};

using Point = std::pair<double, double>;  // (memory bytes, latency ms), both minimised

std::vector<Point> feasible_points(const SearchResult& r) {
  std::vector<Point> v;
  for (const CandidateRecord& c : r.candidates)
    if (c.violation == 0) v.emplace_back(static_cast<double>(c.eval.memory_bytes), c.latency_ms);
  return v;
}

// Area dominated by `pts` and bounded by `ref` (2-D hypervolume, minimisation).
double hypervolume(std::vector<Point> pts, Point ref) {
  std::sort(pts.begin(), pts.end());
  double hv = 0, best_y = ref.second;
  for (const Point& p : pts) {
    if (p.first >= ref.first || p.second >= best_y) continue;
    hv += (ref.first - p.first) * (best_y - p.second);
    best_y = p.second;
  }
  return hv;
}

bool dominates(const Point& a, const Point& b) {
  return a.first <= b.first && a.second <= b.second && (a.first < b.first || a.second < b.second);
}

}  // namespace

TEST_CASE("nsga2 is the default for several objectives; evolution stays the default for one") {
  const SearchResult multi = run_search(options(small_space(), "auto", 24, 1));
  CHECK(multi.summary["strategy"] == "nsga2");
  const std::string single = write_space("single", "width_multiplier: [0.5, 0.75, 1.0]\ninput_size: [128, 160, 224]\n"
                                                   "objectives: [latency]\n");
  CHECK(run_search(options(single, "auto", 6, 1)).summary["strategy"] == "evolution");
  CHECK(SearchOptions().strategy == "auto");
}

TEST_CASE("nsga2 is deterministic by seed and identical across --jobs 1 and 2") {
  const std::string space = small_space();
  const SearchResult a = run_search(options(space, "nsga2", 64, 7));
  const SearchResult b = run_search(options(space, "nsga2", 64, 7));
  SearchOptions o2 = options(space, "nsga2", 64, 7);
  o2.jobs = 2;
  o2.parallel = std::make_shared<ReversePool>();
  const SearchResult c = run_search(o2);
  const SearchResult d = run_search(options(space, "nsga2", 64, 8));
  CHECK(a.candidates.size() == 64);
  CHECK(keys(a) == keys(b));
  CHECK(keys(a) == keys(c));
  CHECK(a.pareto == c.pareto);
  CHECK(a.summary["best"] == c.summary["best"]);
  CHECK(keys(a) != keys(d));
}

TEST_CASE("nsga2's final Pareto front is non-dominated and covers every feasible candidate") {
  const SearchResult r = run_search(options(small_space(), "nsga2", 80, 3));
  REQUIRE(!r.pareto.empty());
  std::vector<Point> front;
  for (int p : r.pareto) {
    CHECK(r.candidates[p].violation == 0);
    front.emplace_back(static_cast<double>(r.candidates[p].eval.memory_bytes), r.candidates[p].latency_ms);
  }
  for (const Point& a : front)
    for (const Point& b : front) CHECK_FALSE(dominates(a, b));
  for (const Point& c : feasible_points(r)) {
    bool covered = false;
    for (const Point& f : front) covered = covered || f == c || dominates(f, c);
    CHECK(covered);
  }
}

TEST_CASE("nsga2 reaches at least random search's hypervolume at the same budget and seed") {
  const std::string space = small_space();
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    const std::vector<Point> nsga = feasible_points(run_search(options(space, "nsga2", 64, seed)));
    const std::vector<Point> rand = feasible_points(run_search(options(space, "random", 64, seed)));
    REQUIRE(!nsga.empty());
    REQUIRE(!rand.empty());
    Point ref{0, 0};  // just beyond the worst of both runs
    for (const auto* v : {&nsga, &rand})
      for (const Point& p : *v) ref = {std::max(ref.first, p.first * 1.01), std::max(ref.second, p.second * 1.01)};
    CHECK(hypervolume(nsga, ref) >= hypervolume(rand, ref));
  }
}

TEST_CASE("evolution and nsga2 on a tiny space run to the budget or exhaust the space, not stop early") {
  // 3 x 2 x 2 = 12 candidates: a budget of 12 evaluates all of them, a larger one stops there.
  const std::string tiny = write_space("tiny", "width_multiplier: [0.5, 0.75, 1.0]\ninput_size: [128, 160]\n"
                                               "stages: {s4: {expand: [3, 6]}}\nobjectives: [memory, latency]\n");
  for (const char* strategy : {"evolution", "nsga2"}) {
    CAPTURE(strategy);
    SearchOptions o = options(tiny, strategy, 12, 5);
    o.strategy_options.population = 4;
    o.strategy_options.sample = 2;
    o.batch = 4;
    const SearchResult full = run_search(o);
    CHECK(full.candidates.size() == 12);
    CHECK(full.summary["evaluations"] == 12);
    o.budget = 40;
    const SearchResult more = run_search(o);
    CHECK(more.candidates.size() == 12);
    CHECK(more.summary["stop_reason"] == "space exhausted");
    CHECK(more.summary["proposals"].get<int64_t>() >= 11);
    o.budget = 10;
    const SearchResult less = run_search(o);
    CHECK(less.candidates.size() == 10);
    CHECK(less.summary["stop_reason"] == "budget");
  }
}
