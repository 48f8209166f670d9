#include "sim/exec/process_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/fd_io.h"

namespace nesim::exec {

namespace {

// Worker -> parent message header; `size` payload bytes follow.
struct ReplyHeader {
  uint32_t job;
  uint32_t status;  // kOk, kInputError, kInternalError
  uint32_t size;
};
constexpr uint32_t kOk = 0, kInputError = 1, kInternalError = 2;
constexpr uint32_t kNoJob = UINT32_MAX;

[[noreturn]] void worker_main(const PoolJobs& jobs, int job_fd, int reply_fd) {
  int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) dup2(devnull, STDOUT_FILENO);  // stdout belongs to the parent's report
  uint32_t job = 0;
  while (read_all(job_fd, &job, sizeof job)) {
    std::string payload;
    uint32_t status = kOk;
    try {
      payload = jobs.run(job);
    } catch (const InputError& e) {
      status = kInputError;
      payload = e.what();
    } catch (const std::exception& e) {
      status = kInternalError;
      payload = e.what();
    }
    ReplyHeader h{job, status, static_cast<uint32_t>(payload.size())};
    if (!write_all(reply_fd, &h, sizeof h) || !write_all(reply_fd, payload.data(), payload.size()))
      _exit(1);
  }
  _exit(0);  // no static destructors: the SystemC kernel is not torn down in workers
}

struct Worker {
  pid_t pid = -1;
  int job_fd = -1;    // parent writes job indices here
  int reply_fd = -1;  // parent reads replies here
  uint32_t running = kNoJob;
  std::string buffer;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "stopped unexpectedly";
}

// Owns the workers: whatever way the parent leaves, none is left running or unreaped.
class Pool {
 public:
  ~Pool() {
    for (Worker& w : workers_) {
      close_fd(w.job_fd);
      close_fd(w.reply_fd);
      if (w.pid > 0) {
        kill(w.pid, SIGKILL);
        waitpid(w.pid, nullptr, 0);
      }
    }
  }

  void start(const PoolJobs& jobs, int count) {
    std::fflush(stdout);
    std::fflush(stderr);
    for (int i = 0; i < count; ++i) {
      int to_worker[2], from_worker[2];
      if (pipe(to_worker) != 0 || pipe(from_worker) != 0)
        throw std::runtime_error(fmt::format("sweep: cannot create a pipe: {}", std::strerror(errno)));
      pid_t pid = fork();
      if (pid < 0) throw std::runtime_error(fmt::format("sweep: cannot fork: {}", std::strerror(errno)));
      if (pid == 0) {
        for (Worker& w : workers_) {  // other workers' pipes: keep their EOFs reliable
          close(w.job_fd);
          close(w.reply_fd);
        }
        close(to_worker[1]);
        close(from_worker[0]);
        worker_main(jobs, to_worker[0], from_worker[1]);
      }
      close(to_worker[0]);
      close(from_worker[1]);
      workers_.push_back({pid, to_worker[1], from_worker[0], kNoJob, {}});
    }
  }

  std::vector<Worker>& workers() { return workers_; }

  // Reaps a worker whose pipe closed and says what happened to it.
  std::string reap(Worker& w) {
    int status = 0;
    waitpid(w.pid, &status, 0);
    w.pid = -1;
    return describe_status(status);
  }

  static void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }

 private:
  std::vector<Worker> workers_;
};

}  // namespace

std::vector<std::string> run_in_processes(const PoolJobs& jobs, int workers) {
  std::vector<std::string> results(jobs.count);
  if (jobs.count == 0) return results;
  // A worker that died must surface as an error here, not as SIGPIPE killing the parent.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  struct RestoreSigpipe {
    struct sigaction saved;
    ~RestoreSigpipe() { sigaction(SIGPIPE, &saved, nullptr); }
  } restore{previous};

  Pool pool;
  pool.start(jobs, static_cast<int>(std::min<size_t>(std::max(workers, 1), jobs.count)));
  size_t next = 0, done = 0;

  auto crashed = [&](Worker& w, const std::string& how) -> std::runtime_error {
    pid_t pid = w.pid;
    std::string what = pool.reap(w);
    if (!how.empty()) what = how;
    return std::runtime_error(fmt::format("sweep worker (pid {}) {} while simulating {}", pid, what,
                                          jobs.describe(w.running)));
  };
  auto hand_out = [&](Worker& w) {
    if (next < jobs.count) {
      uint32_t job = static_cast<uint32_t>(next++);
      w.running = job;
      if (!write_all(w.job_fd, &job, sizeof job)) throw crashed(w, "");
    } else {
      w.running = kNoJob;
      Pool::close_fd(w.job_fd);  // EOF: the worker exits
    }
  };
  for (Worker& w : pool.workers()) hand_out(w);

  std::vector<pollfd> fds;
  std::vector<Worker*> polled;
  char chunk[65536];
  while (done < jobs.count) {
    fds.clear();
    polled.clear();
    for (Worker& w : pool.workers())
      if (w.reply_fd >= 0 && w.running != kNoJob) {
        fds.push_back({w.reply_fd, POLLIN, 0});
        polled.push_back(&w);
      }
    if (fds.empty()) throw std::runtime_error("sweep: no worker left with jobs still pending");
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("sweep: poll failed: {}", std::strerror(errno)));
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Worker& w = *polled[i];
      ssize_t n = read(w.reply_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw crashed(w, "");
      w.buffer.append(chunk, static_cast<size_t>(n));
      ReplyHeader h{};
      while (w.buffer.size() >= sizeof h) {
        std::memcpy(&h, w.buffer.data(), sizeof h);
        if (w.buffer.size() < sizeof h + h.size) break;
        std::string payload = w.buffer.substr(sizeof h, h.size);
        w.buffer.erase(0, sizeof h + h.size);
        if (h.job != w.running) throw crashed(w, "answered for the wrong job");
        if (h.status == kInputError)
          throw input_error("sweep run {}: {}", jobs.describe(h.job), payload);
        if (h.status != kOk)
          throw std::runtime_error(fmt::format("sweep run {}: {}", jobs.describe(h.job), payload));
        results[h.job] = std::move(payload);
        ++done;
        if (jobs.on_result) jobs.on_result(h.job, results[h.job], done);
        hand_out(w);
      }
    }
  }
  for (Worker& w : pool.workers()) {
    Pool::close_fd(w.job_fd);
    Pool::close_fd(w.reply_fd);
    int status = 0;
    waitpid(w.pid, &status, 0);
    w.pid = -1;
  }
  return results;
}

}  // namespace nesim::exec
