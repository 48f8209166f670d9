#include "sim/exec/rank.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace nesim::exec {

namespace detail {
// mpi_executor.cpp: whether MPI was initialised with several ranks, and MPI_Abort.
bool mpi_running();
void mpi_abort(int status);
}  // namespace detail

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return end && *end == 0 && n >= 0 ? static_cast<int>(n) : fallback;
}

bool failure_shared = false;
int saved_stderr = -1;  // a worker rank's own stderr, before start_process() silenced it

}  // namespace

// Open MPI's mpirun sets OMPI_COMM_WORLD_*; PMIx launchers (srun --mpi=pmix) set PMIX_RANK with
// Slurm's task count; PMI-1/2 launchers set PMI_RANK and PMI_SIZE.
int launch_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const int r = env_int(name, -1); r >= 0) return r;
  return 0;
}

int launch_size() {
  if (const int n = env_int("OMPI_COMM_WORLD_SIZE", 0); n > 0) return n;
  if (const int n = env_int("PMI_SIZE", 0); n > 0) return n;
  if (std::getenv("PMIX_RANK"))
    if (const int n = env_int("SLURM_NTASKS", 0); n > 0) return n;
  return 1;
}

bool is_output_rank() {
  // Asked by every output, check and progress update: the launcher's environment is read once.
  static const bool output = launch_size() <= 1 || launch_rank() == 0;
  return output;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void start_process() {
  if (is_output_rank()) return;
#ifndef NESIM_WITH_MPI
  std::_Exit(0);  // rank 0 runs the command alone; it says so (make_executor)
#endif
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    saved_stderr = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    ::close(devnull);
  }
}

void note_failure_shared() { failure_shared = true; }

int end_failed_run(int status, const std::string& message) {
  if (!detail::mpi_running() || failure_shared) return status;
  std::cerr << std::flush;
  if (!is_output_rank()) {
    ::sleep(2);
    const std::string line = "nesim: error: rank " + std::to_string(launch_rank()) + " on host " + host_name() +
                             ": " + message + "\n";
    if (saved_stderr >= 0 && ::write(saved_stderr, line.data(), line.size()) < 0) {
      // Nowhere left to say it; the abort still ends the job.
    }
  }
  detail::mpi_abort(status);
  return status;
}

}  // namespace nesim::exec
