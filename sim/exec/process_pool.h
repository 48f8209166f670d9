#pragma once
// Runs independent jobs in forked worker processes. SystemC allows one simulation kernel per
// process, so a sweep runs in parallel by processes, not threads. Workers take job indices from a
// shared queue (the parent hands the next index to whichever worker answers first) and send each
// result back through a pipe; the parent returns them in job order, so the output does not depend
// on the number of workers or on scheduling.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace nesim::exec {

struct PoolJobs {
  size_t count = 0;
  // Runs in a worker: job index -> result bytes. An InputError it throws fails the whole run with
  // an InputError naming the job; any other exception with a std::runtime_error.
  std::function<std::string(size_t)> run;
  // Runs in the parent: "mobilenet_v2 on ne-pf16 with mac_array.pf=8", for error messages.
  std::function<std::string(size_t)> describe;
  // Runs in the parent as each job finishes (in finishing order): its index, its result bytes and
  // the number of jobs done so far. What it throws ends the run (the workers are killed).
  std::function<void(size_t job, const std::string& bytes, size_t done)> on_result;
};

// Forks min(workers, jobs.count) processes and returns every job's result bytes in job order.
// A worker that dies (signal, exit) fails the run with a std::runtime_error naming the job it was
// running; remaining workers are killed and reaped before the exception leaves.
std::vector<std::string> run_in_processes(const PoolJobs& jobs, int workers);

}  // namespace nesim::exec
