#include "nas/regressor/xgboost_api.h"

#include <dlfcn.h>

#include <string>

#include "sim/util/error.h"

namespace nesim::nas {

namespace {

XgboostApi load() {
  void* lib = nullptr;
  std::string why;
  // The soname first (Debian's libxgboost0), then the path the build linked against.
  for (const char* name : {"libxgboost.so.0", "libxgboost.so", NESIM_XGBOOST_LIBRARY}) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib) break;
    why = dlerror();
  }
  if (!lib) throw input_error("fitting a regressor needs XGBoost (Debian package libxgboost0): {}", why);
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
    if (!fn) throw input_error("the XGBoost library has no {}: {}", name, dlerror());
  };
  XgboostApi api{};
  sym(api.get_last_error, "XGBGetLastError");
  sym(api.dmatrix_create_from_mat, "XGDMatrixCreateFromMat");
  sym(api.dmatrix_set_float_info, "XGDMatrixSetFloatInfo");
  sym(api.dmatrix_free, "XGDMatrixFree");
  sym(api.booster_create, "XGBoosterCreate");
  sym(api.booster_set_param, "XGBoosterSetParam");
  sym(api.booster_update_one_iter, "XGBoosterUpdateOneIter");
  sym(api.booster_save_model_to_buffer, "XGBoosterSaveModelToBuffer");
  sym(api.booster_free, "XGBoosterFree");
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const XgboostApi& xgboost_api() {
  static const XgboostApi api = load();
  return api;
}

}  // namespace nesim::nas
