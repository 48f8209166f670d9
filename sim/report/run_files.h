#pragma once
// The files of a long, resumable run (a search, a reference build): an append-only journal of
// finished work and a lock on the run's folder. A run killed at any moment leaves every finished
// journal line intact, and a second process on the same folder is refused instead of
// interleaving its lines.
#include <filesystem>
#include <string>
#include <vector>

namespace nesim {

// Appends whole lines to `path`. One write() per line: a kill -9 leaves every finished line intact
// (at most a torn last line, which readers drop); sync() makes them durable. Opened with
// O_NOFOLLOW: a journal that is a symbolic link is refused with an InputError.
class Journal {
 public:
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  void append(const std::string& line) const;
  void sync() const;
  void clear() const;

 private:
  std::string path_;
  int fd_ = -1;
};

// An advisory lock on a run folder (`DIR/.lock`, flock), held while the object lives. A second
// holder gets InputError "--out: another <owner> is using DIR (pid N); ...". The lock goes with
// the process, however it ends.
class RunLock {
 public:
  RunLock(const std::filesystem::path& dir, const std::string& owner);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// A journal's complete lines, each with "PATH:LINE" for error messages. A last line without its
// newline is what a kill during append() leaves: it is cut off the file (so that the next append
// starts a line of its own) with a note on stderr. Every other line is returned, blank ones too,
// for the caller to judge; a missing file (a dangling link counts as present) has none.
struct JournalLine {
  std::string text, where;
};
std::vector<JournalLine> read_journal(const std::string& path, const std::string& what);

// InputError when `p` is a symbolic link: a run keeps its own files in its folder (the option
// `flag` names it), and a link there could send them anywhere.
void refuse_symlink(const std::filesystem::path& p, const std::string& flag = "--out");

}  // namespace nesim
