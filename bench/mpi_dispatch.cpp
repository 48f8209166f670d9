// The MPI manager's dispatch ceiling (docs/distributed.md): rank 0 hands out N jobs that do nothing
// but return 64 bytes, as a regressor-scored evaluation's journal line is small, and reports how
// many it dispatched and collected per second, including the final broadcast of every result.
//   mpirun --allow-run-as-root --oversubscribe -np 3 build/bench/mpi_dispatch [JOBS] [ROUNDS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/exec/executor.h"
#include "sim/exec/rank.h"

int main(int argc, char** argv) {
  const size_t jobs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  nesim::exec::start_process();
  auto ex = nesim::exec::make_executor(1, "no-op job");
  const std::string payload(64, 'x');
  double best_s = 1e30;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = ex->map(jobs, [&](size_t) { return payload; });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (out.size() != jobs) return 1;
    best_s = std::min(best_s, s);
    if (nesim::exec::is_output_rank())
      std::printf("round %d: %zu jobs in %.3f s = %.0f jobs/s (%d worker%s, %s)\n", r, jobs, s, jobs / s, ex->workers(),
                  ex->workers() == 1 ? "" : "s", ex->distributed() ? "MPI" : "one process");
  }
  if (nesim::exec::is_output_rank()) std::printf("best: %.0f jobs/s\n", jobs / best_s);
  return 0;
}
