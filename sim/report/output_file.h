#pragma once
// Output files are all-or-nothing: a command checks every path it will write before it does any
// work, stages each file next to its destination, and renames them into place only once every
// output has been produced. A failed run leaves no half-written (or stale temporary) file behind.
#include <string>
#include <utility>
#include <vector>

namespace nesim {

// Throws InputError "cannot write <path>: <reason>" when `path` cannot be created or replaced
// (missing or read-only directory, path is a directory). "-" means stdout and always passes.
void check_writable(const std::string& path);

// Example:
//   OutputFiles out;
//   out.add("run.csv", csv_text);     // staged as run.csv.tmp.<pid>
//   out.add("-", json_text);          // stdout, printed at commit
//   out.commit();                     // renames every staged file into place
class OutputFiles {
 public:
  OutputFiles() = default;
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;
  ~OutputFiles();  // removes staged files that were never committed

  // Writes `content` to a temporary file beside `path`; throws InputError on I/O failure.
  void add(const std::string& path, const std::string& content);
  void commit();

 private:
  struct Staged {
    std::string path, temp_path, stdout_content;
  };
  std::vector<Staged> staged_;
};

}  // namespace nesim
