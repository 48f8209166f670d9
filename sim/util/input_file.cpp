#include "sim/util/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/util/error.h"

namespace nesim {

std::string read_input_file(const std::string& path, const std::string& what, int64_t max_bytes) {
  auto fail = [&](const std::string& reason) {
    return input_error("{}: cannot read {}: {}", path.empty() ? "''" : path, what, reason);
  };
  if (path.empty()) throw fail("empty file name");
  // Opened without blocking, so that a FIFO fails below instead of waiting for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw fail(errno == ENOENT ? "no such file" : std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) throw fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("it is a directory");
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file (a device, FIFO or socket)");
  const std::string limit = max_bytes >= (1 << 20) ? fmt::format("{} MiB", max_bytes >> 20) : fmt::format("{} bytes", max_bytes);
  if (st.st_size > max_bytes)
    throw fail(fmt::format("it has {} bytes, more than the {} an input file may have", st.st_size, limit));
  std::string text;
  text.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(text.size()) > max_bytes)  // grew while we read it
      throw fail(fmt::format("more than the {} an input file may have", limit));
  }
  return text;
}

}  // namespace nesim
