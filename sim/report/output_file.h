#pragma once
// Output files are all-or-nothing: a command checks every path it will write before it does any
// work, stages each file next to its destination, and renames them into place only once every
// output has been produced. A failed run leaves no half-written (or stale temporary) file behind.
// What the user pointed at is never damaged: a symbolic link stays a link (its target is
// replaced), a character device (/dev/null) or a FIFO is written in place, and /dev/stdout,
// /dev/stderr, /dev/fd/N or /proc/self/fd/N is written to the descriptor it names.
#include <string>
#include <utility>
#include <vector>

namespace nesim {

// Throws InputError "cannot write <path>: <reason>" when `path` cannot be created or replaced
// (missing or read-only directory, path is a directory). "-" means stdout and always passes.
void check_writable(const std::string& path);

// True when `file_name` is a temporary that OutputFiles staged for a file named `dest_name` in
// the same directory: ".<dest>.<pid>.nesim-tmp-XXXXXX", or "<dest>.tmp.<pid>" of nesim before
// 0.2. `writer_pid` gets the pid of the process that staged it.
bool is_staged_temporary(const std::string& file_name, const std::string& dest_name, long* writer_pid = nullptr);

// N when `path` names this process's open descriptor N (/dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N): such a path is written to the descriptor, never resolved or replaced. Else -1.
int descriptor_alias(const std::string& path);

// `path` with every symbolic link along its last component followed (a dangling link gives the
// file it would create); InputError on a link loop.
std::string resolve_output_path(const std::string& path);

// Example:
//   OutputFiles out;
//   out.add("run.csv", csv_text);     // staged as .run.csv.<pid>.nesim-tmp-XXXXXX (mkstemp)
//   out.add("-", json_text);          // stdout, printed at commit
//   out.commit();                     // renames every staged file into place
class OutputFiles {
 public:
  OutputFiles() = default;
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;
  ~OutputFiles();  // removes staged files that were never committed

  // Writes `content` to a new temporary file beside `path` (or beside the file a symbolic link
  // `path` points to), first removing the temporaries of writers that are no longer running;
  // a device or FIFO `path` is kept in memory until commit. Throws InputError on I/O failure.
  void add(const std::string& path, const std::string& content);
  // Renames every temporary over its destination, then writes devices, FIFOs and stdout.
  void commit();

 private:
  struct Staged {
    std::string path;       // as the user gave it
    std::string dest;       // symbolic links resolved
    std::string temp_path;  // empty for stdout, devices and FIFOs
    std::string content;    // for stdout, devices and FIFOs
    int fd = -1;            // descriptor_alias() of path, written at commit
  };
  std::vector<Staged> staged_;
};

}  // namespace nesim
