#pragma once
// XGBoost's C API, opened with dlopen the first time a regressor is fitted. Only `nesim fit`
// trains trees; prediction walks the saved trees itself. Linking libxgboost (and libdmlc and
// libgomp behind it) into every process doubled nesim's start-up, half of which was resolving
// their symbols.
#include <xgboost/c_api.h>

namespace nesim::nas {

struct XgboostApi {
  decltype(&XGBGetLastError) get_last_error;
  decltype(&XGDMatrixCreateFromMat) dmatrix_create_from_mat;
  decltype(&XGDMatrixSetFloatInfo) dmatrix_set_float_info;
  decltype(&XGDMatrixFree) dmatrix_free;
  decltype(&XGBoosterCreate) booster_create;
  decltype(&XGBoosterSetParam) booster_set_param;
  decltype(&XGBoosterUpdateOneIter) booster_update_one_iter;
  decltype(&XGBoosterSaveModelToBuffer) booster_save_model_to_buffer;
  decltype(&XGBoosterFree) booster_free;
};

// The process's XGBoost, loaded on first use. Throws InputError naming the Debian package when
// the library cannot be loaded.
const XgboostApi& xgboost_api();

}  // namespace nesim::nas
