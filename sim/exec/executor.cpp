#include "sim/exec/executor.h"

#include <iostream>

#include <fmt/format.h>

#include "sim/exec/process_pool.h"
#include "sim/exec/rank.h"

namespace nesim::exec {

namespace {

// Everything in this process, in job order.
class InlineExecutor : public Executor {
 public:
  std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done) const override {
    std::vector<std::string> out;
    out.reserve(count);
    const std::string here;
    for (size_t i = 0; i < count; ++i) {
      out.push_back(job(i));
      if (on_done) on_done({i, out.back(), i + 1, here});
    }
    return out;
  }
  int workers() const override { return 1; }
};

// Forked workers on this machine (process_pool.h).
class ForkExecutor : public Executor {
 public:
  ForkExecutor(int workers, std::function<std::string(size_t)> describe)
      : workers_(workers), describe_(std::move(describe)) {}
  std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done) const override {
    PoolJobs jobs;
    jobs.count = count;
    jobs.run = job;
    jobs.describe = describe_;
    const std::string here;
    if (on_done)
      jobs.on_result = [&](size_t i, const std::string& bytes, size_t done) { on_done({i, bytes, done, here}); };
    return run_in_processes(jobs, workers_);
  }
  int workers() const override { return workers_; }

 private:
  int workers_;
  std::function<std::string(size_t)> describe_;
};

}  // namespace

std::shared_ptr<const Executor> make_executor(int jobs, std::function<std::string(size_t)> describe) {
  if (launch_size() > 1) {
    if (auto mpi = make_mpi_executor(describe)) return mpi;
    static bool said = false;
    if (!said)
      std::cerr << "nesim: this nesim was built without MPI (-DNESIM_WITH_MPI=OFF): rank 0 runs the whole command, "
                   "the other ranks exited\n";
    said = true;
  }
  if (jobs > 1) return std::make_shared<ForkExecutor>(jobs, std::move(describe));
  return std::make_shared<InlineExecutor>();
}

std::shared_ptr<const Executor> make_executor(int jobs, const std::string& what) {
  return make_executor(jobs, [what](size_t i) { return fmt::format("{} {}", what, i); });
}

}  // namespace nesim::exec
