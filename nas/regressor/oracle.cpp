#include "nas/regressor/oracle.h"

#include <utility>
#include <vector>

namespace nesim::nas {

LatencyOracle::LatencyOracle(std::shared_ptr<const Regressor> regressor, HwConfig hw, CompileOptions opt,
                             size_t max_plans)
    : regressor_(std::move(regressor)), hw_(std::move(hw)), opt_(opt), cache_(max_plans) {}

double LatencyOracle::total_cycles(const Network& net) {
  std::vector<PlannedKernel> kernels = plan_kernels(net, hw_, opt_, cache_);
  // Plan ids are never reused, so entries of plans the cache has dropped are only dead weight:
  // drop them all once they outnumber the live plans.
  if (cycles_.size() > 2 * cache_.size() + 1024) cycles_.clear();
  double total = 0;
  for (const PlannedKernel& k : kernels) {
    auto it = cycles_.find(k.plan_id);
    if (it == cycles_.end()) {
      it = cycles_.emplace(k.plan_id, regressor_->kernel_cycles(*k.plan, hw_)).first;
      ++predicted_;
    } else {
      ++remembered_;
    }
    total += it->second;
  }
  return total;
}

}  // namespace nesim::nas
