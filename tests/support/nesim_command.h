#pragma once
// Runs the built `nesim` binary the way a user would, for cli suites kept outside test_cli.cpp.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include <fmt/format.h>

namespace nesim::test {

struct CommandResult {
  int status = -1;  // exit status; -1 when the process did not exit normally
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// A scratch folder for one test case, removed at the end.
struct ScratchDir {
  std::filesystem::path dir;
  explicit ScratchDir(const std::string& name) {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() / fmt::format("nesim_{}_{}_{}", name, getpid(), counter++);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~ScratchDir() { std::filesystem::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }

  // Entries in the folder (hidden ones included): what a failed command must not leave.
  size_t files() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
  }

  // Runs `nesim <args>` inside the folder (relative paths land there), stdin empty and stdout and
  // stderr files (not a terminal), capturing both and the exit status.
  CommandResult nesim(const std::string& args) const {
    std::filesystem::path out = dir / ".stdout", err = dir / ".stderr";
    std::string cmd = fmt::format("cd '{}' && '{}' {} >'{}' 2>'{}' </dev/null", dir.string(), NESIM_BINARY, args,
                                  out.string(), err.string());
    int raw = std::system(cmd.c_str());
    CommandResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_text(out);
    r.err = read_text(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
  }

  // Starts `nesim <args>` inside the folder in a process group of its own, waits until `ready()`
  // holds, then kills the whole group with SIGKILL (nesim-torch and forked workers too): a real
  // kill mid-run. False when the command ended before `ready()` held, so nothing was killed.
  bool nesim_killed_when(const std::string& args, const std::function<bool()>& ready) const {
    const std::string cmd = fmt::format("cd '{}' && exec '{}' {} >/dev/null 2>&1 </dev/null", dir.string(),
                                        NESIM_BINARY, args);
    const pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid, pid);
    int status = 0;
    while (!ready()) {
      if (waitpid(pid, &status, WNOHANG) != 0) return false;
      usleep(2000);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    return true;
  }
};

}  // namespace nesim::test
