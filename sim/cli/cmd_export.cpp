// `nesim export`: a model as a PyTorch module (net.py) and as ONNX (net.onnx).
#include <iostream>
#include <memory>
#include <stdexcept>

#include "sim/cli/cli_util.h"
#include "sim/export/onnx_export.h"
#include "sim/export/pytorch_export.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/onnx_import.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

struct ExportOptions {
  std::string model, pytorch, onnx;
};

int run_export(const ExportOptions& o) {
  if (o.pytorch.empty() && o.onnx.empty()) throw input_error("nothing to write: give --pytorch, --onnx or both");
  check_outputs({{"--pytorch", o.pytorch}, {"--onnx", o.onnx}});
  const Network net = read_model(o.model);
  OutputFiles out;
  if (!o.pytorch.empty()) out.add(o.pytorch, pytorch_source(net));
  if (!o.onnx.empty()) {
    const std::string bytes = onnx_model_bytes(net);
    // Importing the export must give the same network back; a mismatch is a bug in nesim.
    const Network again = import_onnx(bytes, o.onnx, net.name);
    const NetworkStats a = network_stats(net, 1, 0), b = network_stats(again, 1, 0);
    if (a.params != b.params || a.macs != b.macs)
      throw std::logic_error("nesim export: the ONNX model does not import back to the same parameters and MACs");
    out.add(o.onnx, bytes);
  }
  out.commit();
  return 0;
}

}  // namespace

Command add_export_command(CLI::App& parent) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* app = parent.add_subcommand(
      "export", "Write a model as a self-contained PyTorch module (net.py) and/or an ONNX model (net.onnx)");
  app->add_option("--model,-m", o->model, "Model file (.yaml block format, SCALE-Sim .csv or .onnx)")->required();
  app->add_option("--pytorch", o->pytorch, "Write the PyTorch module (nn.Module `Net`, torch only) to this .py file");
  app->add_option("--onnx", o->onnx, "Write the ONNX model (opset 17, zero weights) to this .onnx file");
  app->footer(
      "Example:\n  nesim export --model models/mobilenet_v2.yaml --pytorch net.py --onnx net.onnx\n\n"
      "net.py has the model's layers under their names, its parameter count and output shape; net.onnx passes\n"
      "onnx.checker with full shape inference, and `nesim import` of it gives the same parameters, MACs and cycles.");
  return {app, [o] { return run_export(*o); }};
}

}  // namespace nesim::cli
