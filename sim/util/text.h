#pragma once
// Small text helpers shared by the config and model readers: strict
// number parsing and the "did you mean" suggestion for misspelled keys.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace nesim::text {

// The whole text as a base-10 integer ("16"), or nothing ("16.0", "0x10", " 16", "").
inline std::optional<int64_t> parse_int(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The whole text as a finite number ("0.2", "1e3"), or nothing ("inf", "nan", "1 GHz").
inline std::optional<double> parse_number(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate nearest to `name` by edit distance if it is plausibly a typo of it
// (at most max(2, half the longer name) edits away), else "".
inline std::string nearest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_distance) best = c, best_distance = d;
  }
  size_t limit = std::max<size_t>(2, std::max(name.size(), best.size()) / 2);
  return best_distance <= limit ? best : "";
}

inline std::string join(const std::vector<std::string>& names, const char* sep = ", ") {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : sep) + n;
  return out;
}

inline std::string file_stem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

}  // namespace nesim::text
