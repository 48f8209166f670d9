#include "sim/cli/parallel_map.h"

#include <fmt/format.h>

#include "sim/cli/process_pool.h"

namespace nesim::cli {

nas::ParallelMap process_parallel_map(int workers) {
  return [workers](size_t count, const std::function<std::string(size_t)>& job,
                   const std::function<void(size_t)>& progress) {
    PoolJobs jobs;
    jobs.count = count;
    jobs.run = job;
    jobs.describe = [](size_t i) { return fmt::format("search job {}", i); };
    jobs.on_progress = progress;
    return run_in_processes(jobs, workers);
  };
}

}  // namespace nesim::cli
