#pragma once
// One interface for parallel work, whatever runs it: this process, forked workers
// (process_pool.h) or the ranks of an mpirun (mpi_executor.cpp). Callers hand over `count` jobs
// and get every result back in job order, so what they compute never depends on the back end or
// on the number of workers. SystemC allows one simulation kernel per process, hence processes and
// not threads.
//
// Example:
//   std::shared_ptr<const Executor> ex = make_executor(jobs, [](size_t i) { return fmt::format("run {}", i); });
//   std::vector<std::string> out = ex->map(n, [&](size_t i) { return simulate_to_bytes(i); },
//                                          [&](const JobDone& d) { progress.update(d.done); });
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nesim::exec {

// A finished job, as the coordinating process sees it.
struct JobDone {
  size_t index;              // the job
  const std::string& bytes;  // its result
  size_t done;               // jobs finished so far in this map
  const std::string& where;  // "" for this machine's processes; "rank 2 on host node7" for an MPI rank
};

class Executor {
 public:
  using Job = std::function<std::string(size_t)>;
  using OnDone = std::function<void(const JobDone&)>;
  virtual ~Executor() = default;

  // Runs job(0..count-1) and returns their result bytes in job order, in every process of the run.
  // Contract: every process calls map() at the same point with the same count (under MPI each rank
  // runs the same program on the same state), and job(i) depends only on i and that shared state;
  // it may run in another process, where what it changes is lost. on_done runs in the coordinating
  // process only (the fork pool's parent, MPI rank 0), once per job in finishing order; what it
  // throws ends the map everywhere. A job's InputError fails the map with an InputError naming the
  // job (and, under MPI, the rank and host that ran it).
  virtual std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done = {}) const = 0;

  // Processes that run jobs at once; 1 = everything in this process.
  virtual int workers() const = 0;

  // True when the run's processes are replicas of one program (MPI ranks): then a job that must
  // run exactly once (an external trainer) goes through map() even when it is the only one.
  virtual bool distributed() const { return false; }

  // Collective: `produce` runs in the coordinating process only (the one that owns the run's
  // files) and every process returns its bytes. What produce throws is rethrown there; the other
  // processes throw Stopped.
  virtual std::string from_coordinator(const std::function<std::string()>& produce) const { return produce(); }
};

// The back end for this run: MPI ranks under mpirun (nesim built with MPI), else forked workers
// when jobs > 1, else this process. describe(i) names job i in error messages.
std::shared_ptr<const Executor> make_executor(int jobs, std::function<std::string(size_t)> describe);
// describe = "{what} {i}".
std::shared_ptr<const Executor> make_executor(int jobs, const std::string& what);

// The MPI back end (null when nesim was built without MPI); mpi_executor.cpp.
std::shared_ptr<const Executor> make_mpi_executor(std::function<std::string(size_t)> describe);

}  // namespace nesim::exec

namespace nesim {
// What the library's options hold: null = everything in this process.
using ParallelMap = std::shared_ptr<const exec::Executor>;
}  // namespace nesim
