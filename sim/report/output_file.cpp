#include "sim/report/output_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/util/error.h"

namespace nesim {

namespace fs = std::filesystem;

void check_writable(const std::string& path) {
  if (path == "-") return;
  if (path.empty()) throw input_error("cannot write '': empty file name");
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p, ec)) throw input_error("cannot write {}: it is a directory", path);
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec)) throw input_error("cannot write {}: directory {} does not exist", path, dir.string());
  if (!fs::is_directory(dir, ec)) throw input_error("cannot write {}: {} is not a directory", path, dir.string());
  if (access(dir.c_str(), W_OK) != 0) throw input_error("cannot write {}: {}", path, std::strerror(errno));
  if (fs::exists(p, ec) && access(p.c_str(), W_OK) != 0)
    throw input_error("cannot write {}: {}", path, std::strerror(errno));
}

OutputFiles::~OutputFiles() {
  for (const Staged& s : staged_)
    if (!s.temp_path.empty()) std::remove(s.temp_path.c_str());
}

void OutputFiles::add(const std::string& path, const std::string& content) {
  if (path == "-") {
    staged_.push_back({path, "", content});
    return;
  }
  check_writable(path);
  std::string temp = fmt::format("{}.tmp.{}", path, getpid());
  staged_.push_back({path, temp, ""});
  std::ofstream f(temp, std::ios::binary | std::ios::trunc);
  if (f) f.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (f) f.close();
  if (!f) throw input_error("cannot write {}: {}", path, std::strerror(errno));
}

void OutputFiles::commit() {
  for (Staged& s : staged_) {
    if (s.temp_path.empty()) continue;
    if (std::rename(s.temp_path.c_str(), s.path.c_str()) != 0)
      throw input_error("cannot write {}: {}", s.path, std::strerror(errno));
    s.temp_path.clear();
  }
  for (const Staged& s : staged_)
    if (s.path == "-") std::cout << s.stdout_content << std::flush;
  staged_.clear();
}

}  // namespace nesim
