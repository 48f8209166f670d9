// accuracy: does libtorch still run in a forked `--jobs` worker whose parent already ran it on
// several threads? libgomp's thread pool does not survive fork(); without use_threads()' guard
// the child hung in its first parallel region (every torch scorer under `search --jobs 2` did).
#ifdef NESIM_WITH_TORCH
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "nas/torch/graph_module.h"

TEST_CASE("torch: a forked worker runs libtorch after its parent ran it on two threads") {
  nesim::nas::use_threads(2);
  // Large enough for parallel_for to split it over the pool, so that the pool exists.
  const torch::Tensor x = torch::rand({64, 32, 56, 56});
  const torch::Tensor w = torch::rand({32, 32, 3, 3});
  const double parent = torch::conv2d(x, w).sum().item<double>();
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(20);  // a hang ends as SIGALRM, which the parent reports
    nesim::nas::use_threads(2);
    const double child = torch::conv2d(x, w).sum().item<double>();
    _exit(child == child && child != 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK_MESSAGE(WIFEXITED(status), "the forked worker did not finish (signal ", WTERMSIG(status), ")");
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(parent != 0);
}
#endif
