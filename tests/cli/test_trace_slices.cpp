// cli: does `nesim simulate --trace` write slices that a trace viewer keeps? DevTools drops a slice
// that starts before the previous one on its thread ends, so back-to-back slices must meet exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <regex>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/nesim_command.h"

namespace {

using nesim::test::ScratchDir;

const std::string kRoot = NESIM_SOURCE_DIR;

// Exact decimal microseconds "283.8134765625" in units of 1e-10 us; fails on more digits.
int64_t decimal_units(const std::string& text) {
  size_t dot = text.find('.');
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  REQUIRE_MESSAGE(frac.size() <= 10, text);
  frac.resize(10, '0');
  return std::stoll(text.substr(0, dot)) * 10'000'000'000 + std::stoll(frac);
}

struct Slice {
  int64_t ts = 0, dur = 0;  // 1e-10 us
  double ts_double = 0, dur_double = 0;
};

// Simulates, then checks every thread's slices in time order: ts + dur <= next ts, compared
// exactly on the printed decimals and again as a viewer computes it in doubles.
void check_no_overlap(const std::string& model, const std::string& extra) {
  ScratchDir s("trace_slices");
  auto r = s.nesim(fmt::format("simulate --model '{}/models/{}' --hw '{}/hwconfigs/ne-pf16.yaml' {} --trace '{}'",
                               kRoot, model, kRoot, extra, s.path("t.json")));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string text = nesim::test::read_text(s.path("t.json"));
  auto parsed = nlohmann::json::parse(text);
  CHECK(parsed["displayTimeUnit"] == "ns");
  size_t complete = 0;
  for (const auto& e : parsed["traceEvents"]) complete += e["ph"] == "X";

  const std::regex slice_re(R"re("ph":"X","pid":(\d+),"tid":(\d+),"ts":([0-9.]+),"dur":([0-9.]+),)re");
  std::map<std::pair<int, int>, std::vector<Slice>> threads;
  std::istringstream lines(text);
  size_t matched = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, slice_re)) continue;
    ++matched;
    threads[{std::stoi(m[1]), std::stoi(m[2])}].push_back(
        {decimal_units(m[3]), decimal_units(m[4]), std::stod(m[3]), std::stod(m[4])});
  }
  REQUIRE(complete > 100);
  REQUIRE(matched == complete);  // every slice was read from its decimal text
  size_t back_to_back = 0;
  for (auto& [thread, slices] : threads) {
    std::stable_sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) { return a.ts < b.ts; });
    for (size_t i = 0; i + 1 < slices.size(); ++i) {
      const Slice &a = slices[i], &b = slices[i + 1];
      INFO(model, " tid ", thread.second, " slice ", i);
      CHECK(a.ts + a.dur <= b.ts);
      CHECK(a.ts_double + a.dur_double <= b.ts_double);
      back_to_back += a.ts + a.dur == b.ts;
    }
  }
  CHECK(back_to_back > 10);  // the case that used to overlap by one rounding step is exercised
}

}  // namespace

TEST_SUITE("cli: simulate --trace") {
  TEST_CASE("MobileNetV2 on ne-pf16: no slice overlaps the next on its thread") {
    check_no_overlap("mobilenet_v2.yaml", "");
  }

  TEST_CASE("a 733 MHz clock, where a cycle is no whole number of nanoseconds: still no overlap") {
    check_no_overlap("mobilenet_v3_small.yaml", "--set clock_mhz=733");
  }
}
