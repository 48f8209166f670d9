#include "nas/regressor/regressor.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/regressor/features.h"
#include "nas/regressor/xgboost_api.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/json_text.h"

namespace nesim::nas {

namespace {

constexpr int kSchemaVersion = 1;
constexpr int kMaxDepth = 12;  // the padded query-time trees grow as 2^depth

void xgb_check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(fmt::format("xgboost: {}: {}", what, xgboost_api().get_last_error()));
}

}  // namespace

Regressor Regressor::fit(const std::vector<KernelRow>& rows, const FitOptions& opt) {
  if (rows.empty()) throw input_error("fit: no training rows");
  if (opt.max_depth < 1 || opt.max_depth > kMaxDepth)
    throw input_error("fit: max_depth {} is outside 1..{}", opt.max_depth, kMaxDepth);
  size_t cols = feature_names().size();
  std::vector<float> x, y;
  x.reserve(rows.size() * cols);
  for (const KernelRow& r : rows) {
    x.insert(x.end(), r.features.begin(), r.features.end());
    // Target: how far the engine's time is from the contention-free pipeline estimate.
    y.push_back(static_cast<float>(std::log(static_cast<double>(r.cycles) / r.pipeline_cycles)));
  }
  const XgboostApi& xgb = xgboost_api();
  DMatrixHandle dm = nullptr;
  BoosterHandle booster = nullptr;
  xgb_check(xgb.dmatrix_create_from_mat(x.data(), rows.size(), cols, NAN, &dm), "matrix");
  xgb_check(xgb.dmatrix_set_float_info(dm, "label", y.data(), y.size()), "labels");
  xgb_check(xgb.booster_create(&dm, 1, &booster), "booster");
  auto set = [&](const char* k, const std::string& v) { xgb_check(xgb.booster_set_param(booster, k, v.c_str()), k); };
  set("tree_method", "exact");
  set("max_depth", std::to_string(opt.max_depth));
  set("eta", fmt::format("{}", opt.learning_rate));
  set("seed", std::to_string(opt.seed));
  set("nthread", std::to_string(opt.threads));
  set("objective", "reg:squarederror");
  set("base_score", "0");
  for (int i = 0; i < opt.rounds; ++i) {
    xgb_check(xgb.booster_update_one_iter(booster, i, dm), "train");
    if (opt.on_round) opt.on_round(i + 1);
  }
  bst_ulong len = 0;
  const char* buf = nullptr;
  xgb_check(xgb.booster_save_model_to_buffer(booster, R"({"format": "json"})", &len, &buf), "save");
  nlohmann::json model = nlohmann::json::parse(std::string(buf, len));
  xgb.booster_free(booster);
  xgb.dmatrix_free(dm);

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
  reg.pack();
  return reg;
}

void Regressor::pack() {
  auto at = [](int32_t i) { return static_cast<size_t>(i); };
  auto depth = [&](auto&& self, int32_t i) -> int {
    return left_[at(i)] < 0 ? 0 : 1 + std::max(self(self, left_[at(i)]), self(self, right_[at(i)]));
  };
  depth_ = 0;
  for (int32_t root : roots_) depth_ = std::max(depth_, depth(depth, root));
  if (depth_ > kMaxDepth) throw input_error("regressor: trees {} deep; at most {} are supported", depth_, kMaxDepth);
  size_t splits = (size_t{1} << depth_) - 1, leaves = size_t{1} << depth_;
  split_feature_.assign(roots_.size() * splits, 0);
  split_threshold_.assign(roots_.size() * splits, 0.0f);
  leaf_value_.assign(roots_.size() * leaves, 0.0f);
  for (size_t t = 0; t < roots_.size(); ++t) {
    auto place = [&](auto&& self, int32_t saved, size_t pos) -> void {
      if (pos >= splits) {
        leaf_value_[t * leaves + pos - splits] = value_[at(saved)];
        return;
      }
      bool leaf = left_[at(saved)] < 0;
      split_feature_[t * splits + pos] = leaf ? 0 : feature_[at(saved)];
      split_threshold_[t * splits + pos] = leaf ? 0.0f : threshold_[at(saved)];
      self(self, leaf ? saved : left_[at(saved)], 2 * pos + 1);
      self(self, leaf ? saved : right_[at(saved)], 2 * pos + 2);
    };
    place(place, roots_[t], 0);
  }
}

namespace {

constexpr size_t kBlock = 8;  // most kernels walking one tree together

// Walks `trees` padded trees of depth D for M feature rows; the fixed trip counts let the
// compiler keep the M node indices in registers.
template <int D, size_t M>
void walk_block(const float* x, size_t cols, size_t trees, const int32_t* feature, const float* threshold,
                const float* leaf_value, double* sum) {
  constexpr size_t splits = (size_t{1} << D) - 1, leaves = size_t{1} << D;
  for (size_t t = 0; t < trees; ++t) {
    const int32_t* f = feature + t * splits;
    const float* th = threshold + t * splits;
    size_t node[M] = {};
    for (int d = 0; d < D; ++d)
      for (size_t j = 0; j < M; ++j) {
        size_t i = node[j];
        node[j] = 2 * i + 1 + !(x[j * cols + static_cast<size_t>(f[i])] < th[i]);
      }
    const float* leaf = leaf_value + t * leaves - splits;
    for (size_t j = 0; j < M; ++j) sum[j] += leaf[node[j]];
  }
}

template <size_t M, int... D>
void walk_block(int depth, std::integer_sequence<int, D...>, const float* x, size_t cols, size_t trees,
                const int32_t* feature, const float* threshold, const float* leaf_value, double* sum) {
  ((depth == D ? walk_block<D, M>(x, cols, trees, feature, threshold, leaf_value, sum) : void()), ...);
}

}  // namespace

void Regressor::add_trees(const float* x, size_t rows, size_t cols, double* sum) const {
  auto depths = std::make_integer_sequence<int, kMaxDepth + 1>{};
  auto walk = [&](auto rows_at_once, size_t r) {
    constexpr size_t m = decltype(rows_at_once)::value;
    walk_block<m>(depth_, depths, x + r * cols, cols, roots_.size(), split_feature_.data(), split_threshold_.data(),
                  leaf_value_.data(), sum + r);
  };
  size_t r = 0;
  for (; r + kBlock <= rows; r += kBlock) walk(std::integral_constant<size_t, kBlock>{}, r);
  for (; r + 4 <= rows; r += 4) walk(std::integral_constant<size_t, 4>{}, r);
  for (; r < rows; ++r) walk(std::integral_constant<size_t, 1>{}, r);
}

double Regressor::kernel_cycles(const std::vector<float>& f, double pipeline_cycles) const {
  double sum = base_score_;
  add_trees(f.data(), 1, f.size(), &sum);
  return pipeline_cycles * std::exp(sum);
}

double Regressor::kernel_cycles(const Kernel& k, const HwConfig& hw) const {
  if (k.tiles.empty()) return 0;  // takes no time (a concat written in place)
  constexpr size_t kMaxCols = 64;
  size_t cols = feature_names().size();
  if (cols > kMaxCols) throw std::logic_error("Regressor::kernel_cycles: more features than its buffer");
  float x[kMaxCols];
  double pipeline = kernel_features(k, hw, x);
  double sum = base_score_;
  add_trees(x, 1, cols, &sum);
  return pipeline * std::exp(sum);
}

std::vector<double> Regressor::kernel_cycles(const Program& program) const {
  // Trained on one image per run: a batch's kernels repeat their tiles, which no row of the
  // training data did (sim/compiler/batch.h).
  if (program.batch > 1)
    throw input_error("{}: batch {}: the latency regressor predicts one image per run; simulate a batch with nesim "
                      "simulate or sweep", program.model, program.batch);
  size_t cols = feature_names().size();
  std::vector<float> x;
  std::vector<double> pipeline;
  std::vector<size_t> index;  // kernel of each row
  x.reserve(program.kernels.size() * cols);
  for (size_t i = 0; i < program.kernels.size(); ++i) {
    const Kernel& k = program.kernels[i];
    if (k.tiles.empty()) continue;  // takes no time (a concat written in place)
    x.resize(x.size() + cols);
    pipeline.push_back(kernel_features(k, program.hw, x.data() + x.size() - cols));
    index.push_back(i);
  }
  std::vector<double> sum(pipeline.size(), base_score_);
  add_trees(x.data(), pipeline.size(), cols, sum.data());
  std::vector<double> cycles(program.kernels.size(), 0.0);
  for (size_t r = 0; r < pipeline.size(); ++r) cycles[index[r]] = pipeline[r] * std::exp(sum[r]);
  return cycles;
}

double Regressor::total_cycles(const Program& program) const {
  double total = 0;
  for (double c : kernel_cycles(program)) total += c;
  return total;
}

NetworkPrediction Regressor::predict(const Program& program) const {
  NetworkPrediction out;
  std::vector<double> cycles = kernel_cycles(program);
  for (size_t i = 0; i < program.kernels.size(); ++i) {
    const Kernel& k = program.kernels[i];
    KernelPrediction kp;
    kp.name = k.name;
    for (int li : k.layers) kp.layers.push_back(program.layer_info[static_cast<size_t>(li)].name);
    kp.cycles = cycles[i];
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
  OutputFiles out;  // all or nothing: a failed write leaves no partial file
  out.add(path, json_text(j) + "\n");
  out.commit();
}

Regressor Regressor::load(const std::string& path) {
  const std::string text = read_input_file(path, "the regressor");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw input_error("{}: not valid JSON: {}", path, e.what());
  }
  auto key = [&](const char* k) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(k)) throw input_error("{}: key '{}': missing", path, k);
    return j.at(k);
  };
  if (key("format") != "nesim-regressor") throw input_error("{}: key 'format': expected 'nesim-regressor'", path);
  if (key("schema_version") != kSchemaVersion)
    throw input_error("{}: key 'schema_version': expected {}, got {}", path, kSchemaVersion, json_text(key("schema_version")));
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
  std::vector<int> parents(n, 0);  // a tree: every node below a root has exactly one parent
  for (size_t i = 0; ok && i < n; ++i)
    if (r.left_[i] >= 0) ok = ++parents[static_cast<size_t>(r.left_[i])] == 1 && ++parents[static_cast<size_t>(r.right_[i])] == 1;
  if (!ok) throw input_error("{}: malformed tree arrays (sizes or indices out of range)", path);
  try {
    r.pack();
  } catch (const InputError& e) {
    throw input_error("{}: {}", path, e.what());
  }
  return r;
}

}  // namespace nesim::nas
