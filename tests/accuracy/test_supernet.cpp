// accuracy: does a tiny supernet train, score candidates from inherited weights deterministically
// by seed, and refuse candidates and files it cannot serve?
#include <doctest/doctest.h>

#ifdef NESIM_WITH_TORCH

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/supernet.h"
#include "nas/search/signal_choice.h"
#include "nas/search/space.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"
#include "tests/support/nesim_command.h"

using namespace nesim;
namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;

// MobileNetV2-0.5 with elastic width, last-stage expansion and depth, at 16 x 16.
nas::SearchSpace tiny_space(const test::ScratchDir& d) {
  std::ofstream(d.path("space.yaml")) << "base: " << kRoot << "/models/mobilenet_v2_050.yaml\n"
                                      << "width_multiplier: [0.25, 0.5]\n"
                                      << "stages: {s6: {expand: [3, 6], repeat: [1, 3], kernel: [3, 5]}}\n";
  return nas::load_space(d.path("space.yaml"), load_hw_config(kRoot + "/hwconfigs/ne-pf16.yaml"));
}

nas::SupernetOptions tiny_options() {
  nas::SupernetOptions o;
  o.task.input_size = 16;
  o.task.skip_strides = 0;
  o.task.threads = 1;
  o.task.train_batch = 32;
  o.steps = 12;
  o.pool = 40;
  o.seed = 7;
  o.selection_images = 300;
  return o;
}

// The JSON header line of a weights file.
nlohmann::json header(const std::string& weights) {
  const size_t start = weights.find('\n') + 1;
  return nlohmann::json::parse(weights.substr(start, weights.find('\n', start) - start));
}

std::string write(const test::ScratchDir& d, const std::string& name, const std::string& bytes) {
  std::ofstream(d.path(name), std::ios::binary) << bytes;
  return d.path(name);
}

}  // namespace

TEST_CASE("supernet: a tiny one trains deterministically and scores candidates from inherited weights") {
  test::ScratchDir d("supernet");
  const nas::SearchSpace space = tiny_space(d);
  const nas::SupernetReport a = nas::train_supernet(space, d.path("space.yaml"), tiny_options());
  const nas::SupernetReport b = nas::train_supernet(space, d.path("space.yaml"), tiny_options());
  CHECK(a.weights == b.weights);  // same seed, same bytes
  CHECK(a.tensors > 10);
  CHECK(std::isfinite(a.final_loss));
  nas::SupernetOptions other = tiny_options();
  other.seed = 8;
  CHECK(nas::train_supernet(space, d.path("space.yaml"), other).weights != a.weights);
  // In-place distillation trains other weights, the same ones for the same seed.
  nas::SupernetOptions distilled = tiny_options();
  distilled.distill = true;
  const nas::SupernetReport da = nas::train_supernet(space, d.path("space.yaml"), distilled);
  CHECK(da.weights != a.weights);
  CHECK(std::isfinite(da.final_loss));
  CHECK(nas::train_supernet(space, d.path("space.yaml"), distilled).weights == da.weights);

  nas::ScorerOptions so;
  so.supernet = write(d, "sn.bin", a.weights);
  so.oracle_images = 100;
  so.calibration_batches = 2;
  so.threads = 1;
  auto oracle = nas::make_scorer("supernet", so);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3; ++i) {
    const nas::Arch arch = nas::random_arch(space, rng);
    const ModelSpec spec = nas::to_model_spec(space, arch);
    const Network net = expand(spec, "cand");
    const nas::AccuracyResult x = oracle->score(spec, net, 11), y = oracle->score(spec, net, 11);
    REQUIRE_MESSAGE(x.ok, x.error);
    CHECK(x.score == y.score);  // deterministic by seed
    CHECK(x.score >= 0);
    CHECK(x.score <= 1);
  }

  const nas::Arch arch = nas::random_arch(space, rng);
  const ModelSpec spec = nas::to_model_spec(space, arch);
  const Network net = expand(spec, "cand");
  const nas::AccuracyResult top1 = oracle->score(spec, net, 11);

  // The file lists the test images its probe candidates disagree on; by default the oracle scores
  // on those and counts the others as the probes all did.
  const nlohmann::json sel = header(a.weights)["test_selection"];
  CHECK(sel["probes"] == 8);
  CHECK(sel["images"] == 300);
  const auto contested = sel["contested"].get<std::vector<int64_t>>();
  CHECK(a.contested_images == static_cast<int64_t>(contested.size()));
  REQUIRE(contested.size() > 10);  // trained enough for its probes to disagree
  CHECK(std::is_sorted(contested.begin(), contested.end()));
  CHECK(sel["all_right"].get<int64_t>() + static_cast<int64_t>(contested.size()) <= 300);
  nas::ScorerOptions first = so, subset = so;
  first.oracle_subset = "first";
  subset.oracle_subset = "contested";
  const nas::AccuracyResult by_subset = nas::make_scorer("supernet", subset)->score(spec, net, 11);
  CHECK(by_subset.score == top1.score);  // "auto" is "contested" where the file lists them
  CHECK(nas::make_scorer("supernet", first)->score(spec, net, 11).score != top1.score);
  const double all_right = sel["all_right"].get<double>(), n_contested = static_cast<double>(contested.size());
  CHECK(by_subset.score >= all_right / 300);
  CHECK(by_subset.score <= (all_right + n_contested) / 300);
  // Its rate on the contested images is a count of them: scored on all, the estimate is (all
  // right + contested right) / 300, a whole number of images.
  subset.oracle_images = 300;
  const double whole = nas::make_scorer("supernet", subset)->score(spec, net, 11).score * 300;
  CHECK(whole == doctest::Approx(std::round(whole)).epsilon(1e-9));
  // A file without the list: "contested" is an input error; "auto" scores the first images.
  nas::SupernetOptions unselected = tiny_options();
  unselected.selection_images = 0;
  const std::string plain = nas::train_supernet(space, d.path("space.yaml"), unselected).weights;
  CHECK_FALSE(header(plain).contains("test_selection"));
  CHECK(plain.substr(plain.find('\n', 17)) == a.weights.substr(a.weights.find('\n', 17)));  // same weights
  subset.supernet = first.supernet = write(d, "plain.bin", plain);
  CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", subset), doctest::Contains("names no contested test images"),
                       InputError);
  nas::ScorerOptions plain_auto = first;
  plain_auto.oracle_subset = "auto";
  CHECK(nas::make_scorer("supernet", plain_auto)->score(spec, net, 11).score ==
        nas::make_scorer("supernet", first)->score(spec, net, 11).score);
}

TEST_CASE("supernet: `nesim advise` holds the oracle's accuracy; a change outside its space is not applicable") {
  test::ScratchDir d("supernet_advise");
  const nas::SearchSpace space = tiny_space(d);
  write(d, "sn.bin", nas::train_supernet(space, d.path("space.yaml"), tiny_options()).weights);
  const test::CommandResult r =
      d.nesim(fmt::format("advise --model '{}/models/mobilenet_v2_050.yaml' --hw '{}/hwconfigs/ne-pf16.yaml' --objective "
                          "memory --iso-accuracy --accuracy supernet --supernet sn.bin --json advice.json -q",
                          kRoot, kRoot));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const nlohmann::json j = nlohmann::json::parse(test::read_text(d.path("advice.json")));
  const std::string text = j.dump();
  // The space fuses no stage past s6's first blocks and never turns a depthwise conv into a full one.
  CHECK(text.find("outside the space the supernet was trained on") != std::string::npos);
  CHECK(j["accuracy"] == "supernet");
  // No weights: the scorer's own message, exit 2.
  const test::CommandResult none = d.nesim(fmt::format(
      "advise --model '{}/models/mobilenet_v2_050.yaml' --hw '{}/hwconfigs/ne-pf16.yaml' --accuracy supernet -q", kRoot,
      kRoot));
  CHECK(none.status == 2);
  CHECK(none.err.find("--supernet FILE") != std::string::npos);
}

TEST_CASE("supernet: `nesim search` scores with the oracle by default, and says which signal it used") {
  test::ScratchDir d("supernet_search");
  const nas::SearchSpace space = tiny_space(d);
  write(d, "sn.bin", nas::train_supernet(space, d.path("space.yaml"), tiny_options()).weights);
  const std::string search = fmt::format("search --space space.yaml --hw '{}/hwconfigs/ne-pf16.yaml' --budget 6 --seed 1 "
                                         "--strategy random",
                                         kRoot);
  auto summary = [&](const std::string& run) {
    return nlohmann::json::parse(test::read_text(d.path(run + "/summary.json")));
  };

  const test::CommandResult oracle = d.nesim(search + " --out oracle --supernet sn.bin");
  REQUIRE_MESSAGE(oracle.status == 0, oracle.err);
  const nlohmann::json a = summary("oracle");
  CHECK(a["accuracy"]["signal"] == "supernet");
  CHECK(a["accuracy"]["chosen_by"].get<std::string>().rfind("default", 0) == 0);
  CHECK(a["training_checks"]["every"] == nas::kOracleTrainEvery);  // real training is on by default with it
  for (const nlohmann::json& c : a["accuracy_front"]) {
    CHECK(c["accuracy_signal"] == "supernet");
    CHECK(c["accuracy_score"].get<double>() >= 0);
    CHECK(c["accuracy_score"].get<double>() <= 1);  // an accuracy, not a zero-cost score
  }
  CHECK(test::read_text(d.path("oracle/report.html")).find("single-shot oracle") != std::string::npos);
  // Forked workers score as this process does: the same files whatever --jobs.
  const test::CommandResult two = d.nesim(search + " --out oracle2 --supernet sn.bin --jobs 2");
  REQUIRE_MESSAGE(two.status == 0, two.err);
  for (const char* f : {"candidates.csv", "journal.jsonl", "best.yaml"})
    CHECK(test::read_text(d.path(std::string("oracle2/") + f)) == test::read_text(d.path(std::string("oracle/") + f)));

  // No supernet built for this space: the zero-cost fallback, said on stderr and in summary.json.
  const test::CommandResult none = d.nesim(search + " --out none");
  REQUIRE_MESSAGE(none.status == 0, none.err);
  CHECK(none.err.find("no trained supernet for this space") != std::string::npos);
  const nlohmann::json b = summary("none");
  CHECK(b["accuracy"]["signal"] == nas::kFallbackSignal);
  CHECK(b["accuracy"]["chosen_by"].get<std::string>().find("does not predict trained accuracy") != std::string::npos);
  CHECK(b["training_checks"]["every"] == 0);

  // --accuracy supernet with nothing to load: exit 2, one message, no run folder.
  const test::CommandResult missing = d.nesim(search + " --out missing --accuracy supernet");
  CHECK(missing.status == 2);
  CHECK(missing.err.find("--supernet") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path("missing")));
}

TEST_CASE("supernet: training continued from any checkpoint ends in the same weights as one never stopped") {
  test::ScratchDir d("supernet_resume");
  const nas::SearchSpace space = tiny_space(d);
  nas::SupernetOptions o = tiny_options();
  o.steps = 4;
  o.identity = "tiny";
  o.checkpoint_every = 1;
  std::vector<std::string> states;
  o.on_checkpoint = [&states](const std::string& s) { states.push_back(s); };
  const std::string straight = nas::train_supernet(space, d.path("space.yaml"), o).weights;
  REQUIRE(states.size() == 4);
  o.on_checkpoint = nullptr;
  for (size_t k = 0; k < states.size(); ++k) {
    CAPTURE(k);
    nas::SupernetOptions r = o;
    r.resume_state = states[k];
    r.resume_where = "state.bin";
    int resumed_at = -1;
    r.on_resume = [&resumed_at](int done) { resumed_at = done; };
    CHECK(nas::train_supernet(space, d.path("space.yaml"), r).weights == straight);
    CHECK(resumed_at == static_cast<int>(k) + 1);
  }
  // A state it cannot continue: other settings, or damaged bytes.
  auto refused = [&](nas::SupernetOptions r, const std::string& state, const char* why) {
    r.resume_state = state;
    r.resume_where = "state.bin";
    CHECK_THROWS_WITH_AS(nas::train_supernet(space, d.path("space.yaml"), r), doctest::Contains(why), InputError);
  };
  nas::SupernetOptions other = o;
  other.seed = 8;
  refused(other, states[1], "other settings");
  other = o;
  other.identity = "another space";
  refused(other, states[1], "other settings");
  other = o;
  other.steps = 5;  // the learning-rate schedule depends on the total
  refused(other, states[1], "other settings");
  refused(o, states[1].substr(0, states[1].size() - 100), "state.bin: truncated");
  refused(o, "nesim-supernet-state-1\n{\"settings\": 1}\n", "state.bin: ");
  refused(o, "something else", "state.bin: wrong magic");
}

TEST_CASE("supernet: killed with SIGKILL mid-training, the same command continues to the same weights") {
  test::ScratchDir d("supernet_kill");
  tiny_space(d);
  auto args = [&](const std::string& out, const std::string& ckpt) {
    return fmt::format("supernet --space '{}' --out '{}' --checkpoint '{}' --checkpoint-every 2 --steps 16 --pool 40 "
                       "--input-size 16 --skip-strides 0 --train-batch 32 --threads 1 --seed 5 --selection-images 200 -q",
                       d.path("space.yaml"), out, ckpt);
  };
  REQUIRE(d.nesim(args(d.path("whole.bin"), d.path("whole.ckpt"))).status == 0);

  // --snapshot reads a state's weights without training: here the finished one, the final weights.
  REQUIRE(d.nesim(args(d.path("snapshot.bin"), d.path("whole.ckpt")) + " --snapshot").status == 0);
  CHECK(test::read_text(d.path("snapshot.bin")) == test::read_text(d.path("whole.bin")));
  CHECK(d.nesim(args(d.path("none.bin"), d.path("no.ckpt")) + " --snapshot").status == 2);
  CHECK_FALSE(fs::exists(d.path("none.bin")));
  CHECK_FALSE(fs::exists(d.path("no.ckpt")));

  const std::string ckpt = d.path("killed.ckpt");
  REQUIRE(d.nesim_killed_when(args(d.path("killed.bin"), ckpt), [&] { return fs::exists(ckpt + "/state.bin"); }));
  REQUIRE_FALSE(fs::exists(d.path("killed.bin")));  // killed before the end

  const test::CommandResult resumed = d.nesim(args(d.path("killed.bin"), ckpt));
  REQUIRE_MESSAGE(resumed.status == 0, resumed.err);
  CHECK(test::read_text(d.path("killed.bin")) == test::read_text(d.path("whole.bin")));
  // Finished: the same command writes the same weights again without training.
  fs::remove(d.path("killed.bin"));
  REQUIRE(d.nesim(args(d.path("killed.bin"), ckpt)).status == 0);
  CHECK(test::read_text(d.path("killed.bin")) == test::read_text(d.path("whole.bin")));
  // Other settings on the same folder: refused, nothing written.
  for (const std::string other_flag : {" --lr 0.1", " --distill"}) {
    const test::CommandResult other = d.nesim(args(d.path("other.bin"), ckpt) + other_flag);
    CHECK(other.status == 2);
    CHECK(other.err.find("other settings") != std::string::npos);
    CHECK_FALSE(fs::exists(d.path("other.bin")));
  }
}

TEST_CASE("supernet: a --checkpoint it cannot use is exit 2 with one message, and nothing is written") {
  test::ScratchDir d("supernet_bad_ckpt");
  tiny_space(d);
  std::ofstream(d.path("a_file")) << "x";
  fs::create_symlink(d.path("elsewhere"), d.path("a_link"));
  fs::create_directories(d.path("damaged"));
  std::ofstream(d.path("damaged/state.bin")) << "not a state\n";
  for (const auto& [ckpt, why] : std::vector<std::pair<std::string, std::string>>{
           {d.path("a_file"), "cannot create the folder"},
           {"/dev/null", "cannot create the folder"},
           {d.path("a_link"), "is a symbolic link; nesim keeps a run's files in its --checkpoint folder"},
           {d.path("damaged"), "damaged/state.bin: wrong magic"}}) {
    CAPTURE(ckpt);
    const test::CommandResult r = d.nesim(
        fmt::format("supernet --space '{}' --out '{}' --checkpoint '{}' --steps 2 --pool 10 --input-size 16 "
                    "--skip-strides 0 --train-batch 16 --threads 1 -q",
                    d.path("space.yaml"), d.path("out.bin"), ckpt));
    CHECK(r.status == 2);
    CHECK(r.err.find(why) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(d.path("out.bin")));
  }
  CHECK_FALSE(fs::exists(d.path("elsewhere")));
}

TEST_CASE("supernet: candidates outside its space and damaged files are input errors") {
  test::ScratchDir d("supernet_bad");
  const nas::SearchSpace space = tiny_space(d);
  const std::string weights = nas::train_supernet(space, d.path("space.yaml"), tiny_options()).weights;
  nas::ScorerOptions so;
  so.supernet = write(d, "sn.bin", weights);
  so.threads = 1;
  so.oracle_images = 50;
  // ResNet-18 shares no layer with MobileNetV2.
  const ModelSpec resnet = load_model_spec(kRoot + "/models/resnet18.yaml");
  CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so)->score(resnet, expand(resnet, "r"), 1),
                       doctest::Contains("outside the space the supernet was trained on"), InputError);

  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"truncated.bin", weights.substr(0, weights.size() / 2)},
           {"magic.bin", "not a supernet\n" + weights},
           {"empty.bin", ""}}) {
    CAPTURE(name);
    so.supernet = write(d, name, bytes);
    CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so), doctest::Contains((so.supernet + ": ").c_str()), InputError);
  }
  // A test selection that cannot be: indices out of order or past its images.
  const size_t start = weights.find('\n') + 1, end = weights.find('\n', start);
  for (const char* broken : {"[5, 3]", "[300]", "[-1]"}) {
    CAPTURE(broken);
    nlohmann::json h = header(weights);
    h["test_selection"]["contested"] = nlohmann::json::parse(broken);
    so.supernet = write(d, "selection.bin", weights.substr(0, start) + h.dump() + weights.substr(end));
    CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so), doctest::Contains("damaged test_selection"), InputError);
  }
  so.supernet.clear();
  CHECK_THROWS_WITH_AS(nas::make_scorer("supernet", so), doctest::Contains("--supernet FILE"), InputError);
}

#endif  // NESIM_WITH_TORCH
