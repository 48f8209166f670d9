#include "sim/cli/cli_util.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "sim/modelfmt/model_loader.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"

namespace nesim::cli {

namespace {

CLI::Validator number_at_least(double lowest, bool inclusive, const char* bound) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        double v = std::strtod(text.c_str(), &end);
        bool number = !text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(v);
        if (number && (inclusive ? v >= lowest : v > lowest)) return "";
        return fmt::format("expected a number {}, got '{}'", bound, text);
      },
      bound);
}

}  // namespace

const CLI::Validator kPositive = number_at_least(0, false, "> 0");
const CLI::Validator kNonNegative = number_at_least(0, true, ">= 0");

void add_progress_flags(CLI::App* app, ProgressFlags& flags) {
  app->add_flag("--progress", flags.progress,
                "Show the progress bar even when stderr is not a terminal (default: a bar on a terminal, "
                "a line every 5 s otherwise)");
  app->add_flag("--quiet,-q", flags.quiet, "No progress and no closing summary on stderr; errors still show");
}

namespace {

void require_readable(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw input_error("cannot read {} file {}: no such file", what, path);
  if (std::filesystem::is_directory(path, ec))
    throw input_error("cannot read {} file {}: it is a directory", what, path);
  if (access(path.c_str(), R_OK) != 0)
    throw input_error("cannot read {} file {}: {}", what, path, std::strerror(errno));
}

std::string where_of(const HwOverride& o, const std::string& value) {
  return fmt::format("--set {}={}", o.key, value);
}

}  // namespace

Network read_model(const std::string& path) {
  require_readable(path, "model");
  return load_model(path);
}

HwConfig read_hw(const std::string& path) {
  require_readable(path, "hardware");
  return load_hw_config(path);
}

std::vector<HwOverride> parse_overrides(const std::vector<std::string>& args, bool allow_lists) {
  std::vector<HwOverride> out;
  for (const std::string& arg : args) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw input_error("--set {}: expected key=value{}", arg, allow_lists ? " or key=v1,v2,..." : "");
    HwOverride o{arg.substr(0, eq), {}};
    std::string values = arg.substr(eq + 1);
    size_t start = 0;
    while (true) {
      size_t comma = values.find(',', start);
      o.values.push_back(values.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    for (const std::string& v : o.values)
      if (v.empty()) throw input_error("--set {}: empty value for key '{}'", arg, o.key);
    if (!allow_lists && o.values.size() > 1)
      throw input_error("--set {}: simulate takes one value per key (use `nesim sweep` for lists)", arg);
    for (const HwOverride& prev : out)
      if (prev.key == o.key) throw input_error("--set {}: key '{}' is set twice", arg, o.key);
    for (const std::string& v : o.values) {
      HwConfig probe;
      set_hw_key(probe, o.key, v, where_of(o, v));
    }
    out.push_back(std::move(o));
  }
  return out;
}

HwConfig apply_overrides(HwConfig hw, const std::vector<HwOverride>& overrides,
                         const std::vector<size_t>& choice) {
  if (overrides.empty()) return hw;
  std::string where = hw.source.empty() ? hw.name : hw.source;
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& v = overrides[i].values.at(choice.at(i));
    set_hw_key(hw, overrides[i].key, v, where_of(overrides[i], v));
    where += fmt::format(" with {}={}", overrides[i].key, v);
  }
  validate(hw, where);
  return hw;
}

void create_output_folder(const std::string& flag, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw input_error("{} {}: cannot create the folder: {}", flag, dir, ec.message());
  if (!std::filesystem::is_directory(dir))
    throw input_error("{} {}: cannot create the folder: {}", flag, dir, std::strerror(ENOTDIR));
}

void check_outputs(const std::vector<std::pair<std::string, std::string>>& flag_and_path) {
  for (size_t i = 0; i < flag_and_path.size(); ++i) {
    const auto& [flag, path] = flag_and_path[i];
    if (path.empty()) continue;
    for (size_t j = 0; j < i; ++j)
      if (flag_and_path[j].second == path)
        throw input_error("{} and {} both name {}{}", flag_and_path[j].first, flag,
                          path == "-" ? "stdout" : path, path == "-" ? "" : "; give each its own file");
    check_writable(path);
  }
}

Precision parse_precision(const std::string& s) {
  if (s == "int8") return Precision::Int8;
  if (s == "fp16") return Precision::Fp16;
  throw input_error("--precision {}: expected int8 or fp16", s);
}

std::string supernet_dir(const std::string& root) {
  const char* dir = std::getenv("NESIM_SUPERNET_DIR");
  return dir != nullptr && *dir != '\0' ? dir : root + "/supernets";
}

void add_scoring_flags(CLI::App* app, ScoringFlags& f) {
  app->add_option("--input-size", f.scorer.input_size, "Proxy task: input height = width the network is trained and scored at")
      ->check(CLI::Range(8, 1024));
  app->add_option("--skip-strides", f.scorer.skip_strides,
                  "Proxy task: the first N downsampling steps run at stride 1 (keeps late stages spatial)")
      ->check(CLI::Range(0, 8));
  app->add_option("--batch", f.scorer.batch, "Proxy minibatch (images)")->check(CLI::Range(2, 4096));
  app->add_option("--train-batch", f.scorer.train_batch, "Short-training minibatch")->check(CLI::Range(1, 4096));
  app->add_option("--lr", f.scorer.learning_rate, "Short-training peak learning rate (SGD, cosine decay)")
      ->check(kPositive);
  app->add_option("--eval-images", f.scorer.eval_images, "Short training scores on the first N test images")
      ->check(CLI::Range(1, 10000));
  app->add_option("--threads", f.scorer.threads, "libtorch threads")->check(CLI::Range(1, 256));
  app->add_option("--supernet", f.scorer.supernet, "Supernet weights for the 'supernet' scorer (nesim supernet --out)");
  app->add_option("--oracle-images", f.scorer.oracle_images, "'supernet' scorer: test images per candidate")
      ->check(CLI::Range(1, 10000));
  app->add_option("--calibration-batches", f.scorer.calibration_batches,
                  "'supernet' scorer: training batches (of --train-batch) that re-estimate BN statistics")
      ->check(CLI::Range(1, 1000));
  app->add_option("--oracle-subset", f.scorer.oracle_subset,
                  "'supernet' scorer: which test images: contested (those its probe candidates disagree on, listed in "
                  "the weights file), first (the first --oracle-images), or auto (contested where listed)")
      ->check(CLI::IsMember({"auto", "contested", "first"}));
  app->add_option("--data-dir", f.scorer.data_dir, "Fashion-MNIST folder (gzipped IDX files)");
  app->add_option("--seed", f.seed, "Random seed (initialisation, minibatches, sampling)");
}


}  // namespace nesim::cli
