#include "nas/experiments/controls.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace nesim::nas {

std::vector<ScaledControl> scaled_controls(const ModelSpec& base, const Evaluator& eval,
                                           const std::vector<int64_t>& inputs) {
  std::vector<int64_t> sizes = {0};
  sizes.insert(sizes.end(), inputs.begin(), inputs.end());
  std::vector<ScaledControl> out;
  for (int64_t input : sizes)
    for (double width : {0.25, 0.35, 0.5, 0.75, 1.0}) {
      if (input == base.input.h) continue;  // the same as input 0
      ScaledControl c;
      c.width = width;
      c.input = input;
      c.name = input ? fmt::format("width {:g}, input {}", width, input) : fmt::format("width {:g}", width);
      ModelSpec spec = base;
      spec.width_multiplier = base.width_multiplier * width;
      if (input) {
        // Fixed-size resizes (LR-ASPP's head, the segmentation output) follow the input, as the
        // search spaces' input decision makes them (nas/search/space.cpp).
        const int64_t old = spec.input.h;
        spec.input.h = spec.input.w = input;
        for (BlockSpec& b : spec.head)
          if (b.type == "resize" && b.size)
            for (int64_t& x : *b.size) x = std::max<int64_t>(1, (x * input + old / 2) / old);
      }
      spec.name = base.name + "_" + (input ? fmt::format("w{:g}_r{}", width, input) : fmt::format("w{:g}", width));
      const SearchEvaluation e = eval.evaluate(spec);
      c.ok = e.ok && e.accuracy_ok;
      c.error = e.error;
      if (c.ok) {
        try {
          c.latency_ms = eval.simulate(spec).latency_ms;
        } catch (const InputError& err) {
          c.ok = false;
          c.error = err.what();
        }
      }
      c.memory_bytes = e.memory_bytes, c.params = e.params, c.macs = e.macs, c.accuracy = e.accuracy;
      c.spec = spec;
      out.push_back(std::move(c));
    }
  return out;
}

const ScaledControl* matched_control(const std::vector<ScaledControl>& controls, const std::string& by, double target) {
  const ScaledControl* best = nullptr;
  for (const ScaledControl& c : controls) {
    if (!c.ok) continue;
    const double v = by == "memory" ? static_cast<double>(c.memory_bytes) : c.latency_ms;
    if (v > target) continue;
    if (!best || c.accuracy > best->accuracy ||
        (c.accuracy == best->accuracy &&
         (c.latency_ms < best->latency_ms || (c.latency_ms == best->latency_ms && c.name < best->name))))
      best = &c;
  }
  return best;
}

nlohmann::json to_json(const ScaledControl& c) {
  nlohmann::json j = {{"name", c.name}, {"width", c.width}, {"input", c.input}, {"ok", c.ok}};
  if (!c.ok) {
    j["error"] = c.error;
    return j;
  }
  j["latency_ms"] = c.latency_ms;
  j["memory_bytes"] = c.memory_bytes;
  j["params"] = c.params;
  j["macs"] = c.macs;
  j["accuracy_score"] = c.accuracy;
  return j;
}

Spread spread(std::vector<double> v) {
  if (v.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v.front(), v.back()};
}

}  // namespace nesim::nas
