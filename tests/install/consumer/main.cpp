// Built against the installed nesim: loads a model and a hardware config, counts the model's
// parameters and simulates it, printing "<model> params <n> cycles <n>" for the install test.
#include <cstdio>
#include <exception>

#include "sim/engine/engine.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_loader.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.yaml HW.yaml\n", argv[0]);
    return 2;
  }
  try {
    nesim::Network net = nesim::load_model(argv[1]);
    nesim::HwConfig hw = nesim::load_hw_config(argv[2]);
    nesim::SimResult result = nesim::simulate(net, hw);
    std::printf("%s params %lld cycles %lld\n", net.name.c_str(),
                static_cast<long long>(nesim::network_stats(net, 1).params),
                static_cast<long long>(result.total_cycles));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
