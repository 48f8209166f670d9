// accuracy: does `nesim reference` build the trained reference it promises, resume after a real
// kill with the same numbers, and refuse a folder it cannot continue?
#include <doctest/doctest.h>

#ifdef NESIM_WITH_TORCH

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/nesim_command.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;

// Three widths of MobileNetV2-0.5 at 16 x 16: each run trains 2 steps and tests 40 images.
std::string tiny_space(const nesim::test::ScratchDir& d) {
  std::ofstream(d.path("space.yaml")) << "base: " << kRoot << "/models/mobilenet_v2_050.yaml\n"
                                      << "width_multiplier: [0.25, 0.5, 0.75]\n";
  return d.path("space.yaml");
}

std::string build_args(const std::string& space, const std::string& out, int jobs, int seeds = 2) {
  return fmt::format("reference --space '{}' --out '{}' --archs 3 --seeds {} --pool 30 --epochs 0.002 --train-batch 64 "
                     "--eval-images 40 --input-size 16 --skip-strides 0 --threads 1 --jobs {} -q",
                     space, out, seeds, jobs);
}

// Accuracy by arch key and seed: what a resumed build must reproduce exactly.
json accuracies(const std::string& reference_json) {
  const json j = json::parse(nesim::test::read_text(reference_json));
  json out = json::object();
  for (const json& a : j["archs"]) out[a["key"].get<std::string>()] = a["accuracy"];
  return out;
}

size_t lines(const std::string& path) {
  const std::string t = nesim::test::read_text(path);
  return static_cast<size_t>(std::count(t.begin(), t.end(), '\n'));
}

}  // namespace

TEST_CASE("reference: a build writes every run, the per-arch table and its test-retest figure") {
  nesim::test::ScratchDir d("reference_build");
  const nesim::test::CommandResult r = d.nesim(build_args(tiny_space(d), "ref", 2));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(lines(d.path("ref/runs.jsonl")) == 6);
  const json j = json::parse(nesim::test::read_text(d.path("ref/reference.json")));
  CHECK(j["complete"] == true);
  CHECK(j["runs_done"] == 6);
  CHECK(j["test_retest"]["n"] == 3);
  CHECK(j["plan"]["proxy_task"]["skip_strides"] == 0);
  CHECK(j["plan"]["training"]["steps"] == 2);  // ceil(0.002 * 60000 / 64)
  REQUIRE(j["archs"].size() == 3);
  CHECK(j["archs"][0]["params"].get<int64_t>() < j["archs"][2]["params"].get<int64_t>());  // spread by size
  for (const json& a : j["archs"]) {
    CHECK(a["accuracy"].size() == 2);
    CHECK(a["mean"].get<double>() >= 0);
    CHECK(a["mean"].get<double>() <= 1);
  }
  const std::string csv = nesim::test::read_text(d.path("ref/reference.csv"));
  CHECK(csv.rfind("index,arch,key,params,macs,seeds_ok,accuracy_mean,accuracy_sd,accuracy_min,accuracy_max,"
                  "train_seconds\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);

  // Every signal scored against it, short-training budgets included, each with its interval.
  const nesim::test::CommandResult pe = d.nesim(
      "proxy-eval --space space.yaml --reference ref/reference.json --train-steps 2,3 --eval-images 40 "
      "--input-size 16 --skip-strides 0 --threads 1 --out pe -q");
  REQUIRE_MESSAGE(pe.status == 0, pe.err);
  const json s = json::parse(nesim::test::read_text(d.path("pe/summary.json")));
  CHECK(s["target"] == "reference");
  // The reference's own noise bounds every signal: its ceiling comes along, as reference.json has it.
  REQUIRE(s.contains("reference_noise_ceiling"));
  CHECK(s["reference_noise_ceiling"] == j["seed_noise"]["noise_ceiling"]);
  for (const char* signal : {"params", "macs", "entropy", "naswot", "synflow", "snip", "grad_norm", "train2", "train3"}) {
    CAPTURE(signal);
    REQUIRE(s["signals"].contains(signal));
    CHECK(s["signals"][signal]["n"] == 3);
    CHECK(s["signals"][signal]["spearman_ci95"].size() == 2);
    CHECK(s["signals"][signal]["seconds_per_candidate"].get<double>() >= 0);
  }
  CHECK(s["recommended_signal"].is_null());  // three architectures recommend nothing

  // A file that is not a reference: one message naming it, exit 2.
  std::ofstream(d.path("not_ref.json")) << "{\"archs\": [{\"key\": 3}]}\n";
  const nesim::test::CommandResult bad = d.nesim("proxy-eval --space space.yaml --reference not_ref.json --out pe2 -q");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("not_ref.json: archs[0]: expected key, arch, params, macs and mean") != std::string::npos);
  json damaged = j;
  damaged["seed_noise"]["noise_ceiling"] = "high";
  std::ofstream(d.path("damaged.json")) << damaged.dump();
  const nesim::test::CommandResult bad_ceiling =
      d.nesim("proxy-eval --space space.yaml --reference damaged.json --input-size 16 --skip-strides 0 --out pe3 -q");
  CHECK(bad_ceiling.status == 2);
  CHECK(bad_ceiling.err.find("damaged.json: seed_noise.noise_ceiling: expected a number or null") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path("pe3/summary.json")));
  CHECK(nesim::test::read_text(d.path("pe/proxy_eval.csv")).find(",train2,train3,reference_accuracy\n") !=
        std::string::npos);
}

TEST_CASE("reference: killed with SIGKILL mid-build, the same command resumes it to the same accuracies") {
  nesim::test::ScratchDir d("reference_kill");
  const std::string space = tiny_space(d);
  REQUIRE(d.nesim(build_args(space, "whole", 1)).status == 0);

  const std::string out = d.path("killed");
  // Kill once the first run is journalled, while the second is training.
  const std::string journal = out + "/runs.jsonl";
  REQUIRE(d.nesim_killed_when(build_args(space, out, 1),
                              [&] { return fs::exists(journal) && lines(journal) >= 1; }));
  const size_t done_before = lines(journal);
  REQUIRE(done_before >= 1);
  REQUIRE(done_before < 6);

  const nesim::test::CommandResult resumed = d.nesim(build_args(space, out, 2));
  REQUIRE_MESSAGE(resumed.status == 0, resumed.err);
  CHECK(lines(journal) == 6);  // nothing trained twice, nothing lost
  CHECK(accuracies(out + "/reference.json") == accuracies(d.path("whole/reference.json")));
}

TEST_CASE("reference: a build grows by seeds, keeping its runs; --report trains nothing") {
  nesim::test::ScratchDir d("reference_grow");
  const std::string space = tiny_space(d);
  REQUIRE(d.nesim(build_args(space, "ref", 2)).status == 0);
  const std::string journal = d.path("ref/runs.jsonl");
  const std::string first_runs = nesim::test::read_text(journal);
  CHECK_FALSE(json::parse(nesim::test::read_text(d.path("ref/reference.json"))).contains("test_retest_of_means"));

  // --report on a plan of four seeds: the plan grows, the tables are rewritten, nothing is trained.
  const nesim::test::CommandResult report = d.nesim(build_args(space, "ref", 2, 4) + " --report");
  REQUIRE_MESSAGE(report.status == 0, report.err);
  CHECK(nesim::test::read_text(journal) == first_runs);
  json j = json::parse(nesim::test::read_text(d.path("ref/reference.json")));
  CHECK(j["runs_done"] == 6);
  CHECK(j["runs_total"] == 12);
  CHECK(j["test_retest_of_means"]["n"] == 0);  // no arch has its four seeds yet
  CHECK(j["seed_noise"]["archs"] == 3);

  // The same command without --report trains seeds 3 and 4 only, after the runs it had.
  const nesim::test::CommandResult grown = d.nesim(build_args(space, "ref", 2, 4));
  REQUIRE_MESSAGE(grown.status == 0, grown.err);
  const std::string runs = nesim::test::read_text(journal);
  CHECK(lines(journal) == 12);
  CHECK(runs.rfind(first_runs, 0) == 0);
  j = json::parse(nesim::test::read_text(d.path("ref/reference.json")));
  CHECK(j["complete"] == true);
  CHECK(j["plan"]["seeds"] == json::array({1, 2, 3, 4}));
  CHECK(j["test_retest_of_means"]["n"] == 3);
  CHECK(j["test_retest_of_means"]["seeds"] == json::parse("[[1, 2], [3, 4]]"));
  for (const json& a : j["archs"]) CHECK(a["accuracy"].size() == 4);

  // Fewer seeds than it has: refused, nothing rewritten.
  const std::string plan = nesim::test::read_text(d.path("ref/plan.json"));
  const nesim::test::CommandResult fewer = d.nesim(build_args(space, "ref", 2, 3));
  CHECK(fewer.status == 2);
  CHECK(fewer.err.find("this reference has 4 seeds per architecture; resume it with --seeds 4 or more") !=
        std::string::npos);
  CHECK(nesim::test::read_text(d.path("ref/plan.json")) == plan);
}

TEST_CASE("reference: a folder it cannot continue is refused with exit 2; a torn last line is redone") {
  nesim::test::ScratchDir d("reference_refuse");
  const std::string space = tiny_space(d);
  REQUIRE(d.nesim(build_args(space, "ref", 2)).status == 0);
  const std::string journal = d.path("ref/runs.jsonl"), plan = nesim::test::read_text(d.path("ref/plan.json"));

  // Other settings: refused, nothing rewritten.
  nesim::test::CommandResult other = d.nesim(build_args(space, "ref", 2) + " --lr 0.1");
  CHECK(other.status == 2);
  CHECK(other.err.find("plan.json: this folder holds a reference built with other settings") != std::string::npos);
  CHECK(nesim::test::read_text(d.path("ref/plan.json")) == plan);

  // What a kill during an append leaves: the last line without its newline. Dropped and redone.
  std::string text = nesim::test::read_text(journal);
  text.pop_back();
  std::ofstream(journal, std::ios::trunc) << text.substr(0, text.rfind('\n') + 1) << "{\"key\":\"0.";
  REQUIRE(lines(journal) == 5);
  nesim::test::CommandResult torn = d.nesim(build_args(space, "ref", 2));
  REQUIRE_MESSAGE(torn.status == 0, torn.err);
  CHECK(json::parse(nesim::test::read_text(d.path("ref/reference.json")))["runs_done"] == 6);
  CHECK(lines(journal) == 6);
  CHECK(nesim::test::read_text(journal).find("{\"key\":\"0.{") == std::string::npos);  // the torn part was cut

  // A damaged complete line: refused, naming the file and line.
  std::ofstream(journal, std::ios::app) << "{\"key\": 3}\n";
  nesim::test::CommandResult damaged = d.nesim(build_args(space, "ref", 2));
  CHECK(damaged.status == 2);
  CHECK(damaged.err.find("runs.jsonl:") != std::string::npos);
  CHECK(damaged.err.find("expected a string 'key'") != std::string::npos);
}

#endif  // NESIM_WITH_TORCH
