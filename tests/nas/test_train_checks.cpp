// nas: does a search train its top candidates for real when asked, log the accuracy signal's
// agreement with them, and replay those trainings on --resume instead of training again?
#include <doctest/doctest.h>

#ifdef NESIM_WITH_TORCH

#include <filesystem>
#include <fstream>
#include <string>

#include "nas/search/driver.h"
#include "tests/support/nesim_command.h"
#include "tests/support/search_fixture.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

nas::SearchOptions checked_search(const std::string& out) {
  nas::SearchOptions o = test::small_search(std::string(NESIM_SOURCE_DIR) + "/nas/spaces/classifier.yaml", "evolution", 30, 3);
  o.accuracy = "params";
  o.train_every = 10;
  o.train_top = 1;
  o.train_seeds = 2;
  o.trainer.train_steps = 2;
  o.trainer.eval_images = 20;
  o.trainer.input_size = 16;
  o.trainer.skip_strides = 0;
  o.trainer.threads = 1;
  o.out_dir = out;
  return o;
}

}  // namespace

TEST_CASE("training checks: the top candidates are trained every K evaluations and replayed on resume") {
  test::ScratchDir d("train_checks");
  const nas::SearchResult r = nas::run_search(checked_search(d.path("run")));
  REQUIRE(r.trainings.size() == 3);  // the rounds reaching 10, 20 and 30 evaluations
  for (const nas::TrainingCheck& t : r.trainings) {
    CHECK(t.trained.size() == 2);
    CHECK(t.trained_mean >= 0);
    CHECK(t.trained_mean <= 1);
    CHECK(t.estimate == r.candidates[t.id].eval.accuracy);
  }
  CHECK(r.trainings[0].at_evaluation >= 10);  // the first round that reaches 10 (rounds of --batch 8)
  const auto& s = r.summary["training_checks"];
  CHECK(s["signal"] == "params");
  CHECK(s["checks"].size() == 3);
  CHECK(s["agreement"]["n"] == 3);
  CHECK(s["mean_abs_error"].is_null());  // params is not on the accuracy scale
  const std::string csv = test::read_text(d.path("run/trainings.csv"));
  CHECK(csv.rfind("at_evaluation,id,genes,accuracy_estimate,trained_accuracy_mean,seeds_ok\n", 0) == 0);
  const std::string journal = test::read_text(d.path("run/journal.jsonl"));
  CHECK(count_of(journal, "\"type\":\"train\"") == 3);

  // A resume replays the journal: the same checks, nothing trained twice.
  nas::SearchOptions again = checked_search(d.path("run"));
  again.resume = true;
  const nas::SearchResult r2 = nas::run_search(again);
  REQUIRE(r2.trainings.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(r2.trainings[i].trained == r.trainings[i].trained);
  CHECK(count_of(test::read_text(d.path("run/journal.jsonl")), "\"type\":\"train\"") == 3);
}

#endif  // NESIM_WITH_TORCH
