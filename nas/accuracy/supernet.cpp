#include "nas/accuracy/supernet.h"

#include "sim/util/error.h"

namespace nesim::nas {
namespace {

SupernetTrainer& trainer() {
  static SupernetTrainer t;
  return t;
}

}  // namespace

bool register_supernet_trainer(SupernetTrainer t) {
  trainer() = std::move(t);
  return true;
}

SupernetReport train_supernet(const SearchSpace& space, const std::string& where, const SupernetOptions& options) {
  check_scorer("supernet");  // delegates to nesim-torch, or names the build option
  if (!trainer()) throw input_error("the supernet trainer needs libtorch, and this nesim was built without it");
  return trainer()(space, where, options);
}

}  // namespace nesim::nas
