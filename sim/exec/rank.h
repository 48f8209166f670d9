#pragma once
// Which process of a run this is. Under mpirun every rank runs the same command on the same state;
// only rank 0 writes files, stdout and progress. Read from the launcher's environment, so asking
// never initialises MPI (nesim may still exec nesim-torch, which must start MPI itself).
#include <exception>
#include <string>

namespace nesim::exec {

// This process's rank and the number of ranks, as mpirun/srun announced them; 0 and 1 without one.
int launch_rank();
int launch_size();

// True unless this is a rank other than 0 of a multi-rank launch: the process that writes outputs.
bool is_output_rank();

// This machine's name, for messages that say where something failed.
std::string host_name();

// Called first thing in main: a rank other than 0 sends its stdout and stderr to /dev/null (rank 0
// reports for all of them). In a build without MPI such a rank exits at once and rank 0 runs alone.
void start_process();

// Thrown in the processes other than the coordinator when the coordinator ended a collective step
// with an error it reports itself; main exits with `status` without a message.
struct Stopped : std::exception {
  explicit Stopped(int s) : status(s) {}
  const char* what() const noexcept override { return "stopped by rank 0"; }
  int status;
};

// How main ends a failed run with `status` once rank 0 printed `message`: under MPI, after an
// error that the other ranks do not know about (they may wait for rank 0 forever), the job is
// aborted. A rank other than 0 waits two seconds first (rank 0 usually fails the same way and ends
// the job with its own message); if still running, it prints `message` naming itself and aborts.
int end_failed_run(int status, const std::string& message);

// Set by a back end when every process already knows that the run failed (no abort needed).
void note_failure_shared();

}  // namespace nesim::exec
