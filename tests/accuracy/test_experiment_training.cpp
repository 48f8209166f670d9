// accuracy: does a case study train its baseline, winners and matched controls, judge them by seed
// noise, and resume without training anything twice?
#include <doctest/doctest.h>

#ifdef NESIM_WITH_TORCH

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "nas/experiments/experiments.h"

using namespace nesim;
using namespace nesim::nas;

namespace {

size_t lines(const std::string& path) {
  std::ifstream f(path);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(f), {}, '\n'));
}

}  // namespace

TEST_CASE("experiment: --train-seeds trains baseline, each winner and its matched control, and resumes") {
  ExperimentOptions o;
  o.name = "classifier";
  o.root = NESIM_SOURCE_DIR;
  o.out_dir = (std::filesystem::temp_directory_path() / "nesim_exp_trained").string();
  std::filesystem::remove_all(o.out_dir);
  o.budget = 24;
  o.seeds = 2;
  o.training.seeds = 2;
  o.training.trainer.input_size = 16;  // tiny: 2 steps, 40 test images
  o.training.trainer.train_steps = 2;
  o.training.trainer.eval_images = 40;
  o.training.trainer.threads = 1;
  const ExperimentResult r = run_experiment(o);
  const nlohmann::json& t = r.summary["trained_accuracy"];
  REQUIRE(t.is_object());
  CHECK(t["seeds"] == 2);
  CHECK(t["models"][0]["role"] == "baseline");
  CHECK(t["models"].size() >= 3);  // baseline, two winners (controls where one is as small)
  for (const auto& m : t["models"]) {
    REQUIRE(m["accuracies"].size() == 2);
    for (const auto& a : m["accuracies"]) {
      REQUIRE(a.is_number());
      CHECK(a.get<double>() >= 0);
      CHECK(a.get<double>() <= 1);
    }
  }
  CHECK(t["verdicts"].size() == 2);
  CHECK(r.markdown.find("Trained proxy-task accuracy") != std::string::npos);

  // Resumed: the same study trains nothing again and reports the same numbers.
  const std::string journal = o.out_dir + "/trainings.jsonl";
  const size_t trained = lines(journal);
  CHECK(trained >= 6);
  o.resume = true;
  const ExperimentResult again = run_experiment(o);
  CHECK(lines(journal) == trained);
  CHECK(again.summary["trained_accuracy"] == t);
  std::filesystem::remove_all(o.out_dir);
}

#endif  // NESIM_WITH_TORCH
