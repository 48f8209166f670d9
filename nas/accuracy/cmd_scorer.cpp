// The external evaluator ("cmd"): the user's own training script scores a candidate. nesim writes
// the candidate's YAML, runs 'CMD {arch} {seed}' through /bin/sh with a timeout and reads the score
// from the last non-empty line of its stdout. A failed trial is an AccuracyResult with ok = false,
// never an exception: one bad candidate must not end a search.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "nas/accuracy/scorer.h"
#include "sim/util/error.h"

extern "C" {
int nesim_cmd_scorer_anchor = 0;
}

namespace nesim::nas {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string last_line(const std::string& out) {
  size_t end = out.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t begin = out.find_last_of('\n', end);
  std::string line = out.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin == std::string::npos ? 0 : begin + 1));
  size_t first = line.find_first_not_of(" \t");
  return first == std::string::npos ? "" : line.substr(first);
}

struct Finished {
  bool timed_out = false;
  int status = 0;      // waitpid status
  std::string stdout_text;
};

// Runs `command` with /bin/sh in its own process group; kills the group at the deadline.
Finished run_shell(const std::string& command, double timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(fmt::format("cmd: pipe failed: {}", std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cmd: fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  auto ms_left = [&] {
    return std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now()).count());
  };
  Finished f;
  constexpr size_t kKeepBytes = 1 << 16;  // the tail is all we read the score from
  bool open = true;
  while (open) {
    pollfd p{fds[0], POLLIN, 0};
    const int64_t left = ms_left();
    if (left == 0) break;
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      break;
    }
    f.stdout_text.append(buf, static_cast<size_t>(n));
    if (f.stdout_text.size() > 2 * kKeepBytes) f.stdout_text.erase(0, f.stdout_text.size() - kKeepBytes);
  }
  close(fds[0]);
  // Stdout closed: wait for the exit, still under the deadline.
  for (;;) {
    const pid_t w = waitpid(pid, &f.status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (ms_left() == 0) {
      f.timed_out = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &f.status, 0);
      break;
    }
    usleep(10000);
  }
  if (!f.timed_out && open) f.timed_out = true;  // the deadline passed before stdout closed
  if (f.timed_out) kill(-pid, SIGKILL);          // grandchildren too
  return f;
}

class CmdScorer final : public AccuracyScorer {
 public:
  explicit CmdScorer(const ScorerOptions& o) : o_(o) {
    if (o_.command.empty())
      throw input_error("--accuracy-cmd: expected a command such as 'python3 train.py {{arch}} {{seed}}', got nothing");
    if (o_.command.find("{arch}") == std::string::npos)
      throw input_error("--accuracy-cmd '{}': expected {{arch}} where the candidate's YAML path goes", o_.command);
    if (!(o_.timeout_s > 0)) throw input_error("--accuracy-timeout: expected a positive number of seconds, got {}", o_.timeout_s);
  }
  std::string name() const override { return "cmd"; }

  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const override {
    const std::string yaml = to_yaml(spec);
    std::error_code ec;
    std::filesystem::create_directories(o_.work_dir, ec);
    const std::filesystem::path arch =
        std::filesystem::path(o_.work_dir) / fmt::format("nesim_arch_{:016x}.yaml", fnv1a(yaml));
    {
      std::ofstream f(arch, std::ios::binary);
      f << yaml;
      if (!f) return {false, 0, fmt::format("cannot write the candidate to {}", arch.string())};
    }
    const std::string command =
        replace_all(replace_all(o_.command, "{arch}", shell_quote(arch.string())), "{seed}", std::to_string(seed));
    Finished f = run_shell(command, o_.timeout_s);
    const std::string line = last_line(f.stdout_text);
    if (f.timed_out) return {false, 0, fmt::format("'{}' timed out after {} s", command, o_.timeout_s)};
    if (WIFSIGNALED(f.status))
      return {false, 0, fmt::format("'{}' was killed by signal {}", command, WTERMSIG(f.status))};
    if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) != 0)
      return {false, 0, fmt::format("'{}' exited with status {}", command, WEXITSTATUS(f.status))};
    char* end = nullptr;
    const double score = std::strtod(line.c_str(), &end);
    if (line.empty() || end != line.c_str() + line.size() || !std::isfinite(score))
      return {false, 0, fmt::format("'{}': expected a number on the last line of its output, got '{}'", command,
                                    line.substr(0, 80))};
    return {true, score, {}};
  }

 private:
  ScorerOptions o_;
};

const bool registered = register_scorer("cmd", [](const ScorerOptions& o) { return std::make_unique<CmdScorer>(o); });

}  // namespace
}  // namespace nesim::nas
