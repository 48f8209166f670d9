#include "sim/report/network_summary.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/report/result_writers.h"

namespace nesim {

using ojson = nlohmann::ordered_json;

namespace {

// Op counts in the order the ops first appear in the network.
std::vector<std::pair<std::string, int64_t>> op_counts(const Network& net) {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const Layer& l : net.layers) {
    if (l.op == Op::Input) continue;
    std::string op = layer_op_name(net, l);
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == op; });
    if (it == counts.end())
      counts.emplace_back(op, 1);
    else
      ++it->second;
  }
  return counts;
}

}  // namespace

int64_t compute_layer_count(const Network& net) {
  int64_t n = 0;
  for (const Layer& l : net.layers) n += l.op != Op::Input;
  return n;
}

ojson network_summary_json(const Network& net, const NetworkStats& stats, Precision precision) {
  const Shape& in = net.input_shape();
  ojson outputs = ojson::array();
  for (int i : net.output_indices()) {
    const Layer& l = net.layers.at(i);
    outputs.push_back({{"name", l.name}, {"c", l.out.c}, {"h", l.out.h}, {"w", l.out.w}});
  }
  ojson ops = ojson::object();
  for (const auto& [op, n] : op_counts(net)) ops[op] = n;
  return ojson{{"schema_version", kSchemaVersion},
               {"name", net.name},
               {"input", {{"c", in.c}, {"h", in.h}, {"w", in.w}}},
               {"outputs", std::move(outputs)},
               {"layers", compute_layer_count(net)},
               {"ops", std::move(ops)},
               {"params", stats.params},
               {"macs", stats.macs},
               {"vector_ops", stats.vector_ops},
               {"precision", to_string(precision)},
               {"peak_activation_bytes", stats.peak_activation_bytes},
               {"peak_is_exact", stats.peak_is_exact}};
}

std::string network_summary_text(const Network& net, const NetworkStats& stats, Precision precision) {
  const Shape& in = net.input_shape();
  std::string out;
  out += fmt::format("model            {}\n", net.name);
  out += fmt::format("input            {} x {} x {} (C x H x W)\n", in.c, in.h, in.w);
  for (int i : net.output_indices()) {
    const Layer& l = net.layers.at(i);
    out += fmt::format("output           {}: {} x {} x {}\n", l.name, l.out.c, l.out.h, l.out.w);
  }
  std::string ops;
  for (const auto& [op, n] : op_counts(net)) ops += fmt::format("{}{} {}", ops.empty() ? "" : ", ", n, op);
  out += fmt::format("layers           {} ({})\n", compute_layer_count(net), ops);
  out += fmt::format("params           {} ({:.3f} M)\n", group_digits(stats.params), stats.params * 1e-6);
  out += fmt::format("MACs             {} ({:.3f} G)\n", group_digits(stats.macs), stats.macs * 1e-9);
  out += fmt::format("vector ops       {}\n", group_digits(stats.vector_ops));
  out += fmt::format("peak activation  {} bytes ({:.1f} KiB, {}{})\n",
                     group_digits(stats.peak_activation_bytes),
                     static_cast<double>(stats.peak_activation_bytes) / 1024.0, to_string(precision),
                     stats.peak_is_exact ? "" : ", best order found; search was capped");
  return out;
}

}  // namespace nesim
