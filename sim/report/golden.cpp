#include "sim/report/golden.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "sim/report/result_writers.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(part);
  return out;
}

}  // namespace

std::string read_golden(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error("{}: cannot open the golden trace", path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::string first = text.substr(0, text.find('\n'));
  if (is_legacy_schema_line(first, "layers")) {
    text.erase(0, std::min(text.size(), first.size() + 1));
    first = text.substr(0, text.find('\n'));
  }
  if (first != layers_csv_header())
    throw input_error("{}:1: expected the per-layer CSV header '{}', got '{}'", path, layers_csv_header(), first);
  return text;
}

std::string golden_diff(const std::string& golden_csv, const std::string& current_csv) {
  if (golden_csv == current_csv) return "";
  std::vector<std::string> want = split(golden_csv, '\n'), got = split(current_csv, '\n');
  std::string out;
  if (want.size() != got.size())
    out += "rows: " + std::to_string(want.size()) + " -> " + std::to_string(got.size()) + "\n";
  if (!want.empty() && !got.empty() && want[0] != got[0]) out += "header: " + want[0] + " -> " + got[0] + "\n";
  std::vector<std::string> header = want.empty() ? std::vector<std::string>{} : split(want[0], ',');
  for (size_t i = 1; i < std::min(want.size(), got.size()); ++i) {
    if (want[i] == got[i]) continue;
    std::vector<std::string> w = split(want[i], ','), g = split(got[i], ',');
    std::string name = g.size() > 2 ? g[2] : std::to_string(i);
    for (size_t c = 0; c < std::min({w.size(), g.size(), header.size()}); ++c)
      if (w[c] != g[c]) out += "layer " + name + ": " + header[c] + " " + w[c] + " -> " + g[c] + "\n";
  }
  return out.empty() ? "the files differ\n" : out;
}

}  // namespace nesim
