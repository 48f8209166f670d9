// accuracy: does the external evaluator score, fail and time out as promised, never throwing on a
// bad trial? Plain C++ (no libtorch): runs in every build.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nas/accuracy/classifier_net.h"
#include "nas/accuracy/scorer.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

const char* kTiny =
    "name: tiny\n"
    "input: [3, 16, 16]\n"
    "stem: [{type: conv, out: 8, kernel: 3, stride: 2}]\n"
    "stages: [{blocks: [{type: ibn, out: 16, expand: 2, kernel: 3, stride: 2}]}]\n"
    "head: [{type: global_pool}, {type: fc, name: fc, out: 1000}]\n";

struct Fixture {
  ModelSpec spec = parse_model_yaml(kTiny, "tiny.yaml");
  Network net = expand(spec, "tiny.yaml");
  std::string dir = (std::filesystem::temp_directory_path() / "nesim_cmd_scorer_test").string();

  nas::AccuracyResult run(const std::string& command, double timeout_s = 20, uint64_t seed = 7) {
    nas::ScorerOptions o;
    o.command = command;
    o.timeout_s = timeout_s;
    o.work_dir = dir;
    return nas::make_scorer("cmd", o)->score(spec, net, seed);
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "cmd: {pytorch} and {onnx} are the candidate as net.py and net.onnx, written only when named") {
  nas::AccuracyResult r = run("grep -q 'class Net(nn.Module)' {pytorch} && test -s {onnx} && echo 0.5");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(r.score == 0.5);
  // Named neither: $3 and $4 are empty, nothing is written beside the YAML.
  nas::AccuracyResult only_yaml = run("test -z \"$3\" && test -z \"$4\" && ls \"$(dirname \"$1\")\" | wc -l # {arch}");
  REQUIRE_MESSAGE(only_yaml.ok, only_yaml.error);
  CHECK(only_yaml.score == 1);
}

TEST_CASE_FIXTURE(Fixture, "cmd: the score is the last non-empty stdout line; {arch} is the candidate's YAML") {
  nas::AccuracyResult r = run("grep -q 'name: tiny' {arch} && echo 'epoch 1 loss 0.3' && echo '  0.8125  ' && echo");
  REQUIRE_MESSAGE(r.ok, r.error);
  CHECK(r.score == doctest::Approx(0.8125));
  nas::AccuracyResult seeded = run("echo {seed} # {arch}", 20, 42);
  REQUIRE(seeded.ok);
  CHECK(seeded.score == 42);
}

TEST_CASE_FIXTURE(Fixture, "cmd: a failed trial is a result, not an exception") {
  nas::AccuracyResult exit_code = run("echo 0.9; exit 3 # {arch}");
  CHECK_FALSE(exit_code.ok);
  CHECK(exit_code.error.find("status 3") != std::string::npos);

  nas::AccuracyResult garbage = run("echo 'accuracy: high' # {arch}");
  CHECK_FALSE(garbage.ok);
  CHECK(garbage.error.find("accuracy: high") != std::string::npos);

  nas::AccuracyResult silent = run("true {arch}");
  CHECK_FALSE(silent.ok);

  nas::AccuracyResult inf = run("echo inf # {arch}");
  CHECK_FALSE(inf.ok);
}

TEST_CASE_FIXTURE(Fixture, "cmd: a trial past its timeout is killed with its children and recorded as failed") {
  // The background sleep keeps stdout open: only killing the process group ends the trial.
  nas::AccuracyResult r = run("sleep 30 & echo 0.5; wait # {arch}", 0.5);
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("timed out") != std::string::npos);
}

TEST_CASE("cmd: bad commands are input errors") {
  nas::ScorerOptions o;
  CHECK_THROWS_AS(nas::make_scorer("cmd", o), InputError);
  o.command = "python3 train.py";
  CHECK_THROWS_WITH_AS(nas::make_scorer("cmd", o), doctest::Contains("{arch}"), InputError);
  o.command = "echo {arch}";
  o.timeout_s = 0;
  CHECK_THROWS_AS(nas::make_scorer("cmd", o), InputError);
}

TEST_CASE("an unknown scorer names the known ones") {
  CHECK_THROWS_WITH_AS(nas::make_scorer("nasw0t", {}), doctest::Contains("params"), InputError);
}

TEST_CASE("classifier_network: the candidate at the scoring input with a classes-way output") {
  ModelSpec spec = parse_model_yaml(kTiny, "tiny.yaml");
  Network c = nas::classifier_network(spec, expand(spec, "tiny.yaml"), {1, 28, 10});
  CHECK(c.input_shape() == Shape{1, 28, 28});
  CHECK(c.layers[static_cast<size_t>(c.output_indices().at(0))].out == Shape{10, 1, 1});

  // A feature-map output gets pooling and an FC appended; a second head is dropped.
  ModelSpec two = parse_model_yaml(
      "input: [3, 32, 32]\n"
      "stem: [{type: conv, name: a, out: 8, kernel: 3, stride: 2}]\n"
      "stages: [{blocks: [{type: conv, name: b, out: 16, kernel: 3}, {type: conv, name: c, from: [a], out: 4}]}]\n"
      "outputs: [b, c]\n",
      "two.yaml");
  Network t = nas::classifier_network(two, expand(two, "two.yaml"), {1, 32, 10});
  CHECK(t.find("c") == -1);
  CHECK(t.layers.back().name == "nesim.classifier_fc");
  CHECK(t.layers.back().out == Shape{10, 1, 1});

  // Too small an input for the network is an input error naming the model.
  ModelSpec unpadded = parse_model_yaml("input: [3, 16, 16]\nstem: [{type: conv, out: 8, kernel: 5, padding: 0}]\n",
                                         "unpadded.yaml");
  CHECK_THROWS_AS(nas::classifier_network(unpadded, expand(unpadded, "unpadded.yaml"), {1, 4, 10}), InputError);
}

TEST_CASE_FIXTURE(Fixture, "cmd: {arch} and {seed} are replaced only as whole words; paths with spaces and quotes arrive intact") {
  // Inside a word or inside quotes a placeholder stays as written.
  nas::AccuracyResult literal = run("test x{seed}y = 'x{seed}y' && test \"{seed}\" = '{seed}' && echo {seed} # {arch}", 20, 9);
  REQUIRE_MESSAGE(literal.ok, literal.error);
  CHECK(literal.score == 9);
  // The path goes to the shell as "$1": a work dir with spaces, quotes and $ is never re-read by it.
  std::filesystem::remove_all(dir);
  const std::string odd = dir + "/it's a \"dir\" $HOME";
  nas::ScorerOptions o;
  o.command = "grep -q 'name: tiny' {arch} && echo \"$1\" > '" + dir + "/arch_path' && echo 1";
  o.work_dir = odd;
  std::string private_dir;
  {
    auto scorer = nas::make_scorer("cmd", o);
    nas::AccuracyResult r = scorer->score(spec, net, 1);
    REQUIRE_MESSAGE(r.ok, r.error);
    std::ifstream in(dir + "/arch_path");
    std::string arch;
    std::getline(in, arch);
    CHECK(arch.rfind(odd + "/nesim-cmd.", 0) == 0);  // a private mkdtemp directory under --work-dir
    private_dir = std::filesystem::path(arch).parent_path().string();
    CHECK(std::filesystem::is_directory(private_dir));
  }
  CHECK(!std::filesystem::exists(private_dir));  // removed with the scorer
  std::filesystem::remove_all(dir);
}

TEST_CASE("cmd: {arch} only inside quotes or a word is an input error") {
  nas::ScorerOptions o;
  o.command = "python3 train.py '{arch}'";
  CHECK_THROWS_WITH_AS(nas::make_scorer("cmd", o), doctest::Contains("as a word of its own"), InputError);
  o.command = "python3 train.py --model={arch}";
  CHECK_THROWS_AS(nas::make_scorer("cmd", o), InputError);
}
