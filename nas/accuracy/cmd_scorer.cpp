// The external evaluator ("cmd"): the user's own training script scores a candidate. nesim writes
// the candidate's YAML into a private directory, runs the command through /bin/sh with the path
// and the seed as positional parameters ("$1", "$2"; {arch} and {seed} as whole words stand for
// them; {pytorch} and {onnx}, "$3" and "$4", for the candidate as net.py and net.onnx, written only
// when the command names them) with a timeout, and reads the score from the last non-empty line of its stdout. A failed
// trial is an AccuracyResult with ok = false, never an exception: one bad candidate must not end a
// search.
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
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nas/accuracy/scorer.h"
#include "sim/export/onnx_export.h"
#include "sim/export/pytorch_export.h"
#include "sim/util/error.h"
#include "sim/util/fd_io.h"
#include "sim/util/hash.h"

extern "C" {
int nesim_cmd_scorer_anchor = 0;
}

namespace nesim::nas {
namespace {

bool word_boundary(char c) { return std::string_view(" \t\n;&|()<>").find(c) != std::string_view::npos; }

// The command with every {arch} / {seed} / {pytorch} / {onnx} that is a whole unquoted shell word
// (or a word of a comment) replaced by "$1" / "$2" / "$3" / "$4"; `arch_words` counts the {arch},
// `py_words` the {pytorch} and `onnx_words` the {onnx} replaced. Quotes and
// backslashes are followed as sh reads them, so '{arch}', "x{seed}y" or x{seed}y stay as written:
// no value is ever pasted into the shell's text, so no path can be misread by it.
std::string bind_placeholders(const std::string& cmd, int& arch_words, int& py_words, int& onnx_words) {
  arch_words = py_words = onnx_words = 0;
  std::string out;
  enum { kPlain, kSingle, kDouble, kComment } state = kPlain;
  for (size_t i = 0; i < cmd.size();) {
    const char c = cmd[i];
    const bool word_start = i == 0 || (state == kPlain || state == kComment ? word_boundary(cmd[i - 1]) : false);
    if ((state == kPlain || state == kComment) && word_start) {
      bool bound = false;
      for (const auto& [name, param] : {std::pair{"{arch}", "\"$1\""}, std::pair{"{seed}", "\"$2\""},
                                        std::pair{"{pytorch}", "\"$3\""}, std::pair{"{onnx}", "\"$4\""}}) {
        const size_t n = std::char_traits<char>::length(name);
        if (cmd.compare(i, n, name) == 0 && (i + n == cmd.size() || word_boundary(cmd[i + n]))) {
          out += param;
          arch_words += name[1] == 'a';
          py_words += name[1] == 'p';
          onnx_words += name[1] == 'o';
          i += n;
          bound = true;
          break;
        }
      }
      if (bound) continue;
    }
    out += c;
    ++i;
    if (state == kPlain) {
      if (c == '\\' && i < cmd.size()) out += cmd[i++];
      else if (c == '\'') state = kSingle;
      else if (c == '"') state = kDouble;
      else if (c == '#' && word_start) state = kComment;
    } else if (state == kSingle) {
      if (c == '\'') state = kPlain;
    } else if (state == kDouble) {
      if (c == '\\' && i < cmd.size()) out += cmd[i++];
      else if (c == '"') state = kPlain;
    } else if (c == '\n') {
      state = kPlain;
    }
  }
  return out;
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

// Runs `command` with /bin/sh in its own process group, `args` as its positional parameters; kills
// the group at the deadline.
Finished run_shell(const std::string& command, const std::vector<std::string>& args, double timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(fmt::format("cmd: pipe failed: {}", std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cmd: fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<const char*> argv = {"sh", "-c", command.c_str(), "nesim-accuracy-cmd"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    execv("/bin/sh", const_cast<char* const*>(argv.data()));
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
    int arch_words = 0, py_words = 0, onnx_words = 0;
    bound_ = bind_placeholders(o_.command, arch_words, py_words, onnx_words);
    if (arch_words + py_words + onnx_words == 0)
      throw input_error("--accuracy-cmd '{}': expected {{arch}} (or {{pytorch}}, {{onnx}}) as a word of its own, "
                        "outside quotes, where the candidate's YAML (net.py, net.onnx) path goes",
                        o_.command);
    write_py_ = py_words > 0;
    write_onnx_ = onnx_words > 0;
    if (!(o_.timeout_s > 0)) throw input_error("--accuracy-timeout: expected a positive number of seconds, got {}", o_.timeout_s);
    make_private_dir();
  }
  ~CmdScorer() override {
    // Forked workers share the directory; only the process that made it removes it.
    if (!dir_.empty() && getpid() == owner_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  CmdScorer(const CmdScorer&) = delete;
  CmdScorer& operator=(const CmdScorer&) = delete;
  std::string name() const override { return "cmd"; }

  AccuracyResult score(const ModelSpec& spec, const Network& net, uint64_t seed) const override {
    const std::string yaml = to_yaml(spec);
    // A fresh name per trial (pid, counter): workers share the directory, and O_EXCL never
    // writes through a file or link that is already there.
    const std::string stem = (std::filesystem::path(dir_) / fmt::format("nesim_arch_{:016x}_{}_{}", fnv1a64(yaml),
                                                                         getpid(), trials_++)).string();
    const std::string arch = stem + ".yaml";
    std::vector<std::string> written;
    auto remove_written = [&] {
      for (const std::string& p : written) ::unlink(p.c_str());
    };
    std::string py, onnx;
    if (std::string err = write_private(arch, yaml, written); !err.empty()) return remove_written(), AccuracyResult{false, 0, err};
    try {
      if (write_py_ && (py = stem + ".py", !write_private(py, pytorch_source(net), written).empty()))
        return remove_written(), AccuracyResult{false, 0, fmt::format("cannot write the candidate to {}", py)};
      if (write_onnx_ && (onnx = stem + ".onnx", !write_private(onnx, onnx_model_bytes(net), written).empty()))
        return remove_written(), AccuracyResult{false, 0, fmt::format("cannot write the candidate to {}", onnx)};
    } catch (const InputError& e) {
      remove_written();
      return {false, 0, e.what()};
    }
    Finished f = run_shell(bound_, {arch, std::to_string(seed), py, onnx}, o_.timeout_s);
    remove_written();
    const std::string& command = o_.command;
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
  // The candidates' directory: mkdtemp (mode 0700) under work_dir, or under $TMPDIR when none is
  // given; never a predictable name that another user or a planted link could hold.
  void make_private_dir() {
    std::string parent = o_.work_dir;
    if (parent.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      parent = tmp && *tmp ? tmp : "/tmp";
    } else {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) throw input_error("--work-dir: cannot create {}: {}", parent, ec.message());
    }
    std::string templ = (std::filesystem::path(parent) / "nesim-cmd.XXXXXX").string();
    if (!mkdtemp(templ.data()))
      throw input_error("--work-dir: cannot create a private directory in {}: {}", parent, std::strerror(errno));
    dir_ = templ;
    owner_ = getpid();
  }

  // Writes `content` to a new file `path` (O_EXCL, no links followed), noting it in `written`;
  // returns "" or what went wrong.
  static std::string write_private(const std::string& path, const std::string& content,
                                   std::vector<std::string>& written) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return fmt::format("cannot create {}: {}", path, std::strerror(errno));
    written.push_back(path);
    const bool ok = write_all(fd, content.data(), content.size());
    ::close(fd);
    return ok ? "" : fmt::format("cannot write the candidate to {}", path);
  }

  ScorerOptions o_;
  bool write_py_ = false, write_onnx_ = false;
  std::string bound_;   // the command with its whole-word placeholders bound to "$1", "$2"
  std::string dir_;
  pid_t owner_ = 0;
  mutable uint64_t trials_ = 0;
};

const bool registered = register_scorer("cmd", [](const ScorerOptions& o) { return std::make_unique<CmdScorer>(o); });

}  // namespace
}  // namespace nesim::nas
