#include "sim/modelfmt/model_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/modelfmt/onnx_import.h"
#include "sim/modelfmt/scalesim_topology.h"
#include "sim/util/error.h"

namespace nesim {

Network load_model(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".yaml" || ext == ".yml") return expand(load_model_spec(path), path);
  if (ext == ".csv") return load_scalesim_topology(path);
  if (ext == ".onnx") return load_onnx(path);
  throw input_error("{}: unknown model file extension '{}' (expected .yaml, .yml, .csv or .onnx)", path, ext);
}

}  // namespace nesim
