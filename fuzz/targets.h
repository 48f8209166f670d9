#pragma once
// What each fuzz target does with one input, shared by the libFuzzer targets (fuzz_<name>.cpp)
// and the unit suite that replays fuzz/regressions/ (tests/unit/test_fuzz_regressions.cpp).
// Each function may throw nesim::InputError (bad input, expected); anything else it throws or
// trips (ASan, UBSan) is a bug. `where` names the input in messages.
#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "nas/search/journal.h"
#include "nas/search/space.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/modelfmt/network_spec.h"
#include "sim/modelfmt/onnx_import.h"
#include "sim/modelfmt/scalesim_topology.h"
#include "sim/util/error.h"

namespace nesim::fuzz {

namespace detail {

// Models with values past these are not expanded: overflow of huge shapes is the checked
// arithmetic work's to reject (see fuzz/known/), and a million-layer network only slows the fuzzer.
constexpr int64_t kMaxValue = 4096;  // any channel count, kernel, stride, size or input dimension
constexpr int kMaxBlocks = 256;      // blocks after repeats

inline bool small(int64_t v) { return v >= -kMaxValue && v <= kMaxValue; }
inline bool small(double v) { return v >= -64 && v <= 64; }  // ratios and multipliers; false for NaN
inline bool small(const std::optional<int64_t>& v) { return !v || small(*v); }
inline bool small(const std::optional<double>& v) { return !v || small(*v); }

inline bool small(const BlockSpec& b) {
  for (const auto* v : {&b.out, &b.mid, &b.expand_channels, &b.se_channels, &b.kernel, &b.stride, &b.padding,
                        &b.dilation, &b.groups, &b.se_divisor})
    if (!small(*v)) return false;
  for (const auto* v : {&b.expand, &b.se, &b.scale, &b.width_min})
    if (!small(*v)) return false;
  return !b.size || (small((*b.size)[0]) && small((*b.size)[1]));
}

inline bool small(const ModelSpec& m) {
  if (!small(m.input.c) || !small(m.input.h) || !small(m.input.w) || !small(m.width_multiplier) ||
      !small(m.channel_divisor) || !small(m.defaults))
    return false;
  int64_t blocks = 0;
  bool ok = true;
  auto add = [&](const BlockSpec& b) {
    blocks += std::max(b.repeat, 1);
    ok = ok && small(b);
  };
  for (const BlockSpec& b : m.stem) add(b);
  for (const StageSpec& s : m.stages)
    for (const BlockSpec& b : s.blocks) add(b);
  for (const BlockSpec& b : m.head) add(b);
  return ok && blocks <= kMaxBlocks;
}

inline const HwConfig& ne_pf16() {
  static const HwConfig hw = load_hw_config(NESIM_SOURCE_DIR "/hwconfigs/ne-pf16.yaml");
  return hw;
}

}  // namespace detail

// models/*.yaml: parse, then expand into a Network and count it (most checks live in expansion).
inline void model_yaml(const std::string& text, const std::string& where) {
  const ModelSpec spec = parse_model_yaml(text, where);
  if (!detail::small(spec)) return;
  network_stats(expand(spec, where), 1);
}

// hwconfigs/*.yaml: parse and validate; what parsed must round-trip through to_yaml().
inline void hw_yaml(const std::string& text, const std::string& where) {
  const HwConfig hw = parse_hw_yaml(text, where);
  try {
    parse_hw_yaml(to_yaml(hw), where + " (written back by to_yaml)");
  } catch (const InputError& e) {
    throw std::logic_error(std::string("to_yaml() wrote what parse_hw_yaml() rejects: ") + e.what());
  }
}

// SCALE-Sim .cfg files: parse, translate and validate.
inline void hw_cfg(const std::string& text, const std::string& where) { parse_scalesim_cfg(text, where); }

// SCALE-Sim topology CSVs: parse into a Network and count it.
inline void topology(const std::string& text, const std::string& where) {
  network_stats(parse_scalesim_topology(text, where, "fuzz"), 1);
}

// An .onnx file: imported, counted, and written back as blocks (as `nesim import` does).
inline void onnx(const std::string& bytes, const std::string& where) {
  const Network net = import_onnx(bytes, where, "fuzz");
  network_stats(net, 1);
  to_yaml(network_to_spec(net, where));
}

// nas/spaces/*.yaml against ne-pf16, parsed as if it were nas/spaces/<where>.yaml (so that
// `base: ../../models/...` finds the shipped models); then the base and two random candidates
// become networks, as in the search, where a candidate that fails to expand is a scored failure.
inline void space(const std::string& text, const std::string& where) {
  const nas::SearchSpace s = nas::parse_space(text, NESIM_SOURCE_DIR "/nas/spaces/" + where + ".yaml", detail::ne_pf16());
  std::mt19937_64 rng(1);
  for (const nas::Arch& a : {nas::base_arch(s), nas::random_arch(s, rng), nas::random_arch(s, rng)}) {
    const ModelSpec spec = nas::to_model_spec(s, a);
    if (!detail::small(spec)) continue;
    try {
      expand(spec, spec.name);
    } catch (const InputError&) {
    }
  }
}

// One line of a search journal, as --resume reads it.
inline void journal(const std::string& text, const std::string& where) { nas::parse_journal_line(text, where); }

}  // namespace nesim::fuzz
