#include "sim/cli/parallel_map.h"

#include <fmt/format.h>

#include "sim/cli/process_pool.h"

namespace nesim::cli {

ParallelMap process_parallel_map(int workers, std::string what) {
  return [workers, what](size_t count, const std::function<std::string(size_t)>& job,
                          const std::function<void(size_t)>& progress) {
    PoolJobs jobs;
    jobs.count = count;
    jobs.run = job;
    jobs.describe = [&what](size_t i) { return fmt::format("{} {}", what, i); };
    jobs.on_progress = progress;
    return run_in_processes(jobs, workers);
  };
}

}  // namespace nesim::cli
