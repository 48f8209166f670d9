#include "sim/report/run_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/fd_io.h"
#include "sim/util/input_file.h"

namespace nesim {

std::vector<JournalLine> read_journal(const std::string& path, const std::string& what) {
  std::vector<JournalLine> lines;
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return lines;
  std::string text = read_input_file(path, what);
  const size_t last = text.rfind('\n');
  const size_t complete = last == std::string::npos ? 0 : last + 1;
  if (complete < text.size()) {
    std::fprintf(stderr, "nesim: %s: dropped its incomplete last line (%zu bytes; the run was killed while writing it)\n",
                 path.c_str(), text.size() - complete);
    std::filesystem::resize_file(path, complete);
    text.resize(complete);
  }
  size_t number = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    ++number;
    lines.push_back({text.substr(pos, nl - pos), fmt::format("{}:{}", path, number)});
    pos = nl + 1;
  }
  return lines;
}

void refuse_symlink(const std::filesystem::path& p, const std::string& flag) {
  std::error_code ec;
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(p, ec)))
    throw input_error("{}: is a symbolic link; nesim keeps a run's files in its {} folder itself: remove the "
                      "link, or choose another {}",
                      p.string(), flag, flag);
}

Journal::Journal(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0 && errno == ELOOP) refuse_symlink(path);
  if (fd_ < 0) throw input_error("{}: cannot open the journal for writing: {}", path, std::strerror(errno));
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const std::string& line) const {
  if (fd_ < 0) return;
  const std::string l = line + "\n";
  if (!write_all(fd_, l.data(), l.size())) throw std::runtime_error(fmt::format("{}: write failed", path_));
}

void Journal::sync() const {
  if (fd_ >= 0) ::fsync(fd_);
}

void Journal::clear() const {
  if (fd_ >= 0 && ::ftruncate(fd_, 0) != 0) throw std::runtime_error(fmt::format("{}: truncate failed", path_));
}

RunLock::RunLock(const std::filesystem::path& dir, const std::string& owner) {
  const std::string path = (dir / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0 && errno == ELOOP) refuse_symlink(path);
  if (fd_ < 0) throw input_error("{}: cannot open the run's lock file: {}", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    pid = pid.substr(0, pid.find_first_not_of("0123456789"));
    throw input_error("--out: another {} is using {}{}; wait for it to end, or choose another --out", owner,
                      dir.string(), pid.empty() ? "" : fmt::format(" (pid {})", pid));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message; the lock itself is held.
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace nesim
