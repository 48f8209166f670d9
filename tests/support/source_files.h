#pragma once
// The files a test sweeps over in the source tree (every zoo model, every shipped hwconfig).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace nesim::test {

// Every entry of NESIM_SOURCE_DIR/folder, sorted, so that sweeps run in the same order everywhere.
inline std::vector<std::filesystem::path> source_files(const std::string& folder) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(NESIM_SOURCE_DIR) / folder))
    files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace nesim::test
