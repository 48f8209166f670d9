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
#include <string_view>
#include <vector>

#include "sim/util/error.h"

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

// Throws an InputError naming `where` and the line unless `text` is valid UTF-8. Every reader
// calls it first: names in a file reach the JSON outputs, whose writer rejects anything else.
inline void require_utf8(const std::string& text, const std::string& where) {
  auto byte = [&](size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const unsigned c = byte(i);
    // RFC 3629: the length from the lead byte, and the range of the second byte (no overlong
    // forms, no surrogates, nothing past U+10FFFF); later bytes are 0x80..0xbf.
    size_t n = 0;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    bool ok = n > 0 && (n == 1 || (byte(i + 1) >= lo && byte(i + 1) <= hi));
    for (size_t k = 2; ok && k < n; ++k) ok = byte(i + k) >= 0x80 && byte(i + k) <= 0xbf;
    if (!ok) throw input_error("{}:{}: not valid UTF-8 (byte 0x{:02x}); save the file as UTF-8", where, line, c);
    if (c == '\n') ++line;
    i += n;
  }
}

// Text safe inside HTML and XML 1.0 elements and attributes: & < > " ' escaped, and control
// characters other than tab, newline and carriage return (which XML 1.0 forbids) shown as '?'.
inline std::string markup_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || u == 0x7f ? '?' : ch;
    }
  }
  return out;
}

}  // namespace nesim::text
