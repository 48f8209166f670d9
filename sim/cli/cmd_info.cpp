// `nesim info`: what a network costs before any engine is involved.
#include <iostream>
#include <memory>

#include "sim/cli/cli_util.h"
#include "sim/graph/stats.h"
#include "sim/report/network_summary.h"
#include "sim/report/output_file.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

struct InfoOptions {
  std::string model, json, precision = "int8";
};

int run_info(const InfoOptions& o) {
  check_outputs({{"--json", o.json}});
  Precision precision = parse_precision(o.precision);
  Network net = read_model(o.model);
  NetworkStats stats = network_stats(net, precision == Precision::Int8 ? 1 : 2);
  if (o.json != "-") std::cout << network_summary_text(net, stats, precision);
  if (!o.json.empty()) {
    OutputFiles out;
    out.add(o.json, json_text(network_summary_json(net, stats, precision), 2) + "\n");
    out.commit();
  }
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& parent) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* app = parent.add_subcommand(
      "info", "Summarise a network: input shape, layers, parameters, MACs, peak activation bytes");
  app->add_option("--model,-m", o->model, "Model file (.yaml block format or SCALE-Sim .csv)")
      ->required();
  app->add_option("--json", o->json, "Also write the summary as JSON to this file ('-': stdout only)");
  app->add_option("--precision", o->precision, "Activation precision for peak bytes")
      ->check(CLI::IsMember({"int8", "fp16"}))
      ->capture_default_str();
  return {app, [o] { return run_info(*o); }};
}

}  // namespace nesim::cli
