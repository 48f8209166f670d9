#include "sim/report/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "sim/exec/rank.h"
#include "sim/util/error.h"
#include "sim/util/fd_io.h"

namespace nesim {

namespace fs = std::filesystem;

namespace {

// Temporaries are named ".<file>.<pid>.nesim-tmp-XXXXXX" beside their destination: hidden,
// created with O_EXCL (mkstemp), and tagged with the writer's pid so that a later run can tell
// a dead writer's leftovers from a live run's work in progress.
constexpr const char* kTempTag = ".nesim-tmp-";

bool process_alive(long pid) { return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// Removes the temporaries that a killed run left beside `dest`: those whose writer is no longer
// running.
void remove_stale_temporaries(const fs::path& dest) {
  std::error_code ec;
  const fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  const std::string name = dest.filename().string();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    long writer = 0;
    if (!is_staged_temporary(it->path().filename().string(), name, &writer)) continue;
    if (!it->is_symlink(ec) && !it->is_regular_file(ec)) continue;
    if (!process_alive(writer)) fs::remove(it->path(), ec);
  }
}

}  // namespace

int descriptor_alias(const std::string& path) {
  std::string rest;
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  if (path.rfind("/dev/fd/", 0) == 0) rest = path.substr(8);
  else if (path.rfind("/proc/self/fd/", 0) == 0) rest = path.substr(14);
  if (rest.empty() || rest.size() > 6 || rest.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::atoi(rest.c_str());
}

bool is_staged_temporary(const std::string& file_name, const std::string& dest_name, long* writer_pid) {
  const std::string ours = "." + dest_name + ".", legacy = dest_name + ".tmp.";
  std::string pid_text;
  if (file_name.rfind(ours, 0) == 0 && file_name.find(kTempTag, ours.size()) != std::string::npos)
    pid_text = file_name.substr(ours.size(), file_name.find(kTempTag, ours.size()) - ours.size());
  else if (file_name.rfind(legacy, 0) == 0)
    pid_text = file_name.substr(legacy.size());
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) return false;
  if (writer_pid) *writer_pid = std::strtol(pid_text.c_str(), nullptr, 10);
  return true;
}

std::string resolve_output_path(const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    if (hops == 40) throw input_error("cannot write {}: too many levels of symbolic links", path);
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) throw input_error("cannot write {}: {}", path, ec.message());
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p.string();
}

void check_writable(const std::string& path) {
  if (path == "-" || !exec::is_output_rank()) return;  // rank 0 checks for an MPI run
  if (path.empty()) throw input_error("cannot write '': empty file name");
  if (const int fd = descriptor_alias(path); fd >= 0) {
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
      throw input_error("cannot write {}: descriptor {} is not open for writing", path, fd);
    return;
  }
  std::error_code ec;
  const fs::path p(resolve_output_path(path));
  const fs::file_status st = fs::status(p, ec);
  if (fs::is_directory(st)) throw input_error("cannot write {}: it is a directory", path);
  if (fs::exists(st) && !fs::is_regular_file(st) && !fs::is_character_file(st) && !fs::is_fifo(st))
    throw input_error("cannot write {}: not a regular file, a character device or a FIFO", path);
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec)) throw input_error("cannot write {}: directory {} does not exist", path, dir.string());
  if (!fs::is_directory(dir, ec)) throw input_error("cannot write {}: {} is not a directory", path, dir.string());
  if (fs::exists(st)) {
    if (access(p.c_str(), W_OK) != 0) throw input_error("cannot write {}: {}", path, std::strerror(errno));
    if (!fs::is_regular_file(st)) return;  // written in place: the directory may stay read-only
  }
  if (access(dir.c_str(), W_OK) != 0) throw input_error("cannot write {}: {}", path, std::strerror(errno));
}

OutputFiles::~OutputFiles() {
  for (const Staged& s : staged_)
    if (!s.temp_path.empty()) std::remove(s.temp_path.c_str());
}

void OutputFiles::add(const std::string& path, const std::string& content) {
  if (!exec::is_output_rank()) return;  // under MPI rank 0 writes every output (sim/exec/rank.h)
  if (path == "-") {
    staged_.push_back({path, "", "", content});
    return;
  }
  check_writable(path);
  if (const int fd = descriptor_alias(path); fd >= 0) {
    // Written to the descriptor itself at commit: following its link would stage a file beside
    // whatever it is open on (and rename over a file the shell redirected to, or fail on a pipe).
    staged_.push_back({path, "", "", content, fd});
    return;
  }
  const fs::path dest(resolve_output_path(path));
  std::error_code ec;
  const fs::file_status st = fs::status(dest, ec);
  if (fs::is_character_file(st) || fs::is_fifo(st)) {
    // A device or a pipe is never replaced: its reader gets the bytes at commit.
    staged_.push_back({path, dest.string(), "", content});
    return;
  }
  remove_stale_temporaries(dest);
  const fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  std::string temp = (dir / fmt::format(".{}.{}{}XXXXXX", dest.filename().string(), getpid(), kTempTag)).string();
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw input_error("cannot write {}: {}", path, std::strerror(errno));
  staged_.push_back({path, dest.string(), temp, ""});
  const mode_t mask = umask(0);
  umask(mask);
  const bool ok = fchmod(fd, 0666 & ~mask) == 0 && write_all(fd, content.data(), content.size());
  const int saved_errno = errno;
  if (::close(fd) != 0 || !ok) throw input_error("cannot write {}: {}", path, std::strerror(ok ? errno : saved_errno));
}

void OutputFiles::commit() {
  for (Staged& s : staged_) {
    if (!s.temp_path.empty()) {
      if (std::rename(s.temp_path.c_str(), s.dest.c_str()) != 0)
        throw input_error("cannot write {}: {}", s.path, std::strerror(errno));
      s.temp_path.clear();
    } else if (s.fd == 1 || s.fd == 2) {  // through the stream, in order with the rest of it
      std::ostream& out = s.fd == 1 ? std::cout : std::cerr;
      if (!(out << s.content << std::flush)) throw input_error("cannot write {}: the stream failed", s.path);
    } else if (s.fd >= 0) {
      if (!write_all(s.fd, s.content.data(), s.content.size()))
        throw input_error("cannot write {}: {}", s.path, std::strerror(errno));
    } else if (s.path != "-") {
      const int fd = ::open(s.dest.c_str(), O_WRONLY | O_CLOEXEC);
      const bool ok = fd >= 0 && write_all(fd, s.content.data(), s.content.size());
      const int saved_errno = errno;
      if (fd >= 0) ::close(fd);
      if (!ok) throw input_error("cannot write {}: {}", s.path, std::strerror(saved_errno));
    }
  }
  for (const Staged& s : staged_)
    if (s.path == "-") std::cout << s.content << std::flush;
  staged_.clear();
}

}  // namespace nesim
