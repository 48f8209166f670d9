#pragma once
// Whole-buffer reads and writes on a file descriptor, retrying short transfers and EINTR: what
// the worker pipes, the staged output files and the search journal all need from read()/write().
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace nesim {

// False (errno set, or 0 at end of file) when the transfer stopped short.
inline bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

inline bool read_all(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace nesim
