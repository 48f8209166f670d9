#include "nas/regressor/regressor.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <xgboost/c_api.h>

#include "nas/regressor/features.h"
#include "sim/util/error.h"

namespace nesim::nas {

namespace {

constexpr int kSchemaVersion = 1;

void xgb_check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(fmt::format("xgboost: {}: {}", what, XGBGetLastError()));
}

}  // namespace

Regressor Regressor::fit(const std::vector<KernelRow>& rows, const FitOptions& opt) {
  if (rows.empty()) throw input_error("fit: no training rows");
  size_t cols = feature_names().size();
  std::vector<float> x, y;
  x.reserve(rows.size() * cols);
  for (const KernelRow& r : rows) {
    x.insert(x.end(), r.features.begin(), r.features.end());
    // Target: how far the engine's time is from the contention-free pipeline estimate.
    y.push_back(static_cast<float>(std::log(static_cast<double>(r.cycles) / r.pipeline_cycles)));
  }
  DMatrixHandle dm = nullptr;
  BoosterHandle booster = nullptr;
  xgb_check(XGDMatrixCreateFromMat(x.data(), rows.size(), cols, NAN, &dm), "matrix");
  xgb_check(XGDMatrixSetFloatInfo(dm, "label", y.data(), y.size()), "labels");
  xgb_check(XGBoosterCreate(&dm, 1, &booster), "booster");
  auto set = [&](const char* k, const std::string& v) { xgb_check(XGBoosterSetParam(booster, k, v.c_str()), k); };
  set("tree_method", "exact");
  set("max_depth", std::to_string(opt.max_depth));
  set("eta", fmt::format("{}", opt.learning_rate));
  set("seed", std::to_string(opt.seed));
  set("nthread", std::to_string(opt.threads));
  set("objective", "reg:squarederror");
  set("base_score", "0");
  for (int i = 0; i < opt.rounds; ++i) xgb_check(XGBoosterUpdateOneIter(booster, i, dm), "train");
  bst_ulong len = 0;
  const char* buf = nullptr;
  xgb_check(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &len, &buf), "save");
  nlohmann::json model = nlohmann::json::parse(std::string(buf, len));
  XGBoosterFree(booster);
  XGDMatrixFree(dm);

  Regressor reg;
  const auto& learner = model.at("learner");
  reg.base_score_ = std::stod(learner.at("learner_model_param").at("base_score").get<std::string>());
  for (const auto& tree : learner.at("gradient_booster").at("model").at("trees")) {
    auto offset = static_cast<int32_t>(reg.left_.size());
    reg.roots_.push_back(offset);
    const auto& l = tree.at("left_children");
    const auto& r = tree.at("right_children");
    const auto& f = tree.at("split_indices");
    const auto& c = tree.at("split_conditions");
    for (size_t i = 0; i < l.size(); ++i) {
      bool leaf = l[i].get<int>() == -1;
      reg.left_.push_back(leaf ? -1 : offset + l[i].get<int32_t>());
      reg.right_.push_back(leaf ? -1 : offset + r[i].get<int32_t>());
      reg.feature_.push_back(f[i].get<int32_t>());
      reg.threshold_.push_back(c[i].get<float>());
      reg.value_.push_back(c[i].get<float>());
    }
  }
  return reg;
}

double Regressor::kernel_cycles(const std::vector<float>& f, double pipeline_cycles) const {
  double sum = base_score_;
  for (int32_t node : roots_) {
    while (left_[static_cast<size_t>(node)] >= 0) {
      auto n = static_cast<size_t>(node);
      node = f[static_cast<size_t>(feature_[n])] < threshold_[n] ? left_[n] : right_[n];
    }
    sum += value_[static_cast<size_t>(node)];
  }
  return pipeline_cycles * std::exp(sum);
}

NetworkPrediction Regressor::predict(const Program& program) const {
  NetworkPrediction out;
  for (const Kernel& k : program.kernels) {
    KernelPrediction kp;
    kp.name = k.name;
    for (int li : k.layers) kp.layers.push_back(program.layer_info[static_cast<size_t>(li)].name);
    if (!k.tiles.empty()) {
      KernelFeatures f = kernel_features(k, program.hw);
      kp.cycles = kernel_cycles(f.values, f.pipeline_cycles);
    }
    out.total_cycles += kp.cycles;
    out.kernels.push_back(std::move(kp));
  }
  out.latency_ms = out.total_cycles / (program.hw.clock_mhz * 1e3);
  return out;
}

void Regressor::save(const std::string& path) const {
  nlohmann::ordered_json j;
  j["format"] = "nesim-regressor";
  j["schema_version"] = kSchemaVersion;
  j["target"] = "log(simulated cycles / pipeline estimate), per kernel";
  j["features"] = feature_names();
  j["base_score"] = base_score_;
  j["roots"] = roots_;
  j["left"] = left_;
  j["right"] = right_;
  j["feature"] = feature_;
  j["threshold"] = threshold_;
  j["value"] = value_;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw input_error("cannot write '{}'", path);
    out << j.dump() << "\n";
    if (!out) throw input_error("cannot write '{}'", path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw input_error("cannot write '{}'", path);
}

Regressor Regressor::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error("{}: cannot open the regressor file", path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw input_error("{}: not valid JSON: {}", path, e.what());
  }
  auto key = [&](const char* k) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(k)) throw input_error("{}: key '{}': missing", path, k);
    return j.at(k);
  };
  if (key("format") != "nesim-regressor") throw input_error("{}: key 'format': expected 'nesim-regressor'", path);
  if (key("schema_version") != kSchemaVersion)
    throw input_error("{}: key 'schema_version': expected {}, got {}", path, kSchemaVersion, key("schema_version").dump());
  if (key("features").get<std::vector<std::string>>() != feature_names())
    throw input_error("{}: key 'features': trained on other features than this nesim computes; refit it", path);
  Regressor r;
  try {
    r.base_score_ = key("base_score").get<double>();
    r.roots_ = key("roots").get<std::vector<int32_t>>();
    r.left_ = key("left").get<std::vector<int32_t>>();
    r.right_ = key("right").get<std::vector<int32_t>>();
    r.feature_ = key("feature").get<std::vector<int32_t>>();
    r.threshold_ = key("threshold").get<std::vector<float>>();
    r.value_ = key("value").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    throw input_error("{}: malformed tree arrays: {}", path, e.what());
  }
  size_t n = r.left_.size();
  auto nodes = static_cast<int32_t>(n);
  bool ok = r.right_.size() == n && r.feature_.size() == n && r.threshold_.size() == n && r.value_.size() == n;
  for (size_t i = 0; ok && i < n; ++i)
    ok = r.left_[i] < nodes && r.right_[i] < nodes && (r.left_[i] < 0 || (r.left_[i] > int32_t(i) && r.right_[i] > int32_t(i))) &&
         (r.left_[i] < 0 || (r.feature_[i] >= 0 && static_cast<size_t>(r.feature_[i]) < feature_names().size()));
  for (int32_t root : r.roots_) ok = ok && root >= 0 && root < nodes;
  if (!ok) throw input_error("{}: malformed tree arrays (sizes or indices out of range)", path);
  return r;
}

}  // namespace nesim::nas
