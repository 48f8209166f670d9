// random: every gene uniform, independently per candidate.
#include "nas/search/strategy.h"

namespace nesim::nas {
namespace {

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

}  // namespace
}  // namespace nesim::nas

NESIM_REGISTER_STRATEGY(random, [](const nesim::nas::SearchSpace& s, const nesim::nas::Scoreboard&,
                                   const nesim::nas::StrategyOptions&) -> std::unique_ptr<nesim::nas::Strategy> {
  return std::make_unique<nesim::nas::RandomSearch>(s);
})
