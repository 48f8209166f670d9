// `nesim import`: an ONNX graph (or any model nesim reads) written as the block format.
#include <iostream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/cli/cli_util.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/network_spec.h"
#include "sim/report/output_file.h"

namespace nesim::cli {

namespace {

struct ImportOptions {
  std::string model, out;
};

int run_import(const ImportOptions& o) {
  check_outputs({{"--output", o.out}});
  const Network net = read_model(o.model);
  ModelSpec spec = network_to_spec(net, o.model);
  spec.source = "imported by nesim import from " + o.model;
  const std::string yaml = to_yaml(spec);
  // The YAML must describe the very network read: a mismatch is a bug in nesim, not the input.
  const Network again = expand(parse_model_yaml(yaml, o.out), o.out);
  const NetworkStats a = network_stats(net, 1, 0), b = network_stats(again, 1, 0);
  if (again.layers.size() != net.layers.size() || a.params != b.params || a.macs != b.macs ||
      a.vector_ops != b.vector_ops)
    throw std::logic_error("nesim import: the written YAML does not expand to the imported network");
  OutputFiles out;
  out.add(o.out, yaml);
  out.commit();
  if (o.out != "-")
    std::cout << fmt::format("{}: {} layers, {} parameters, {} MACs -> {}\n", o.model, net.layers.size() - 1, a.params,
                             a.macs, o.out);
  return 0;
}

}  // namespace

Command add_import_command(CLI::App& parent) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* app = parent.add_subcommand(
      "import", "Write an ONNX model (or any model nesim reads) in nesim's YAML block format, one block per layer");
  app->add_option("model", o->model, "Model file (.onnx, or .yaml / .csv)")->required();
  app->add_option("-o,--output", o->out, "The YAML file to write ('-': stdout)")->required();
  app->footer(
      "Example:\n  nesim import resnet18.onnx -o resnet18.yaml\n\n"
      "Layers keep their ONNX node names ('/' at the start dropped, '.' written '_'). Operators nesim maps and "
      "how: docs/model-format.md, section ONNX.");
  return {app, [o] { return run_import(*o); }};
}

}  // namespace nesim::cli
