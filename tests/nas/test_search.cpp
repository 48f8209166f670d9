// Is the search deterministic, does it honour constraints, and does a killed run resume to the
// identical result? (run_search in process; `nesim search` as a child process for kill -9.)
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "nas/search/driver.h"
#include "sim/engine/engine.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"

#include "tests/support/search_fixture.h"

using namespace nesim;
using namespace nesim::nas;

namespace {

namespace fs = std::filesystem;
const std::string kSource = NESIM_SOURCE_DIR;

SearchOptions options(const std::string& space, const std::string& strategy, int budget, uint64_t seed) {
  return nesim::test::small_search(kSource + "/nas/spaces/" + space + ".yaml", strategy, budget, seed);
}

std::vector<std::string> keys(const SearchResult& r) { return nesim::test::candidate_keys(r); }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string summary_without_wall(const fs::path& dir) {
  std::stringstream in(read(dir / "summary.json"));
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("\"wall_s\"") == std::string::npos) out += line + "\n";
  return out;
}

// Runs `nesim search` with args; returns its pid (not waited for).
pid_t spawn(const std::vector<std::string>& args) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    static const std::string bin = NESIM_BINARY;
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::vector<std::string> search_args(const fs::path& out, const std::string& jobs) {
  return {"search", "--space", kSource + "/nas/spaces/classifier.yaml", "--hw", kSource + "/hwconfigs/ne-pf16.yaml",
          "--out", out.string(), "--budget", "120", "--sim-every", "30", "--seed", "5", "--jobs", jobs,
          "--batch", "4"};
}

}  // namespace

TEST_CASE("every strategy is deterministic by seed, and the seed matters") {
  for (const char* strategy : {"random", "evolution", "nsga2", "zeroshot"}) {
    CAPTURE(strategy);
    const SearchResult a = run_search(options("classifier", strategy, 60, 3));
    const SearchResult b = run_search(options("classifier", strategy, 60, 3));
    const SearchResult c = run_search(options("classifier", strategy, 60, 4));
    CHECK(a.candidates.size() == 60);
    CHECK(keys(a) == keys(b));
    CHECK(a.best_id == b.best_id);
    CHECK(a.summary["best"] == b.summary["best"]);
    CHECK(keys(a) != keys(c));
    CHECK(a.candidates[a.best_id].simulated_ms.has_value());  // the reported best is simulated
    CHECK(a.summary["best"]["latency_ms"].get<double>() == *a.candidates[a.best_id].simulated_ms);
  }
}

TEST_CASE("constraints are honoured: the best is feasible when any candidate is") {
  const fs::path dir = fs::temp_directory_path() / "nesim_nas_search_test";
  fs::create_directories(dir);
  const std::string space = (dir / "constrained.yaml").string();
  std::ofstream(space) << "base: " << kSource << "/models/mobilenet_v2.yaml\n"
                       << "width_multiplier: [0.5, 0.75, 1.0]\ninput_size: [128, 160, 224]\n"
                       << "stages: {s4: {expand: [3, 6], out: {min: 32, max: 96}}}\n"
                       << "constraints: {memory_bytes: \"<= 4.5e6\", accuracy: \">= baseline\"}\n";
  SearchOptions o = options("classifier", "evolution", 80, 1);
  o.space_path = space;
  const SearchResult r = run_search(o);
  const CandidateRecord& best = r.candidates[r.best_id];
  CHECK(best.violation == 0);
  CHECK(best.eval.memory_bytes <= 4.5e6);
  CHECK(best.eval.accuracy >= r.baseline.eval.accuracy);
  for (const CandidateRecord& c : r.candidates) {
    const bool ok = c.eval.memory_bytes <= 4.5e6 && c.eval.accuracy >= r.baseline.eval.accuracy;
    CHECK((c.violation == 0) == ok);
    if (c.violation == 0) CHECK(c.latency_ms >= best.latency_ms);
  }
  // Pareto members are feasible and dominate every other feasible candidate or tie with it.
  for (int p : r.pareto) CHECK(r.candidates[p].violation == 0);
  for (const CandidateRecord& c : r.candidates) {
    if (c.violation != 0) continue;
    bool covered = false;
    for (int p : r.pareto)
      covered = covered || (r.candidates[p].latency_ms <= c.latency_ms && r.candidates[p].eval.memory_bytes <= c.eval.memory_bytes);
    CHECK(covered);
  }
}

TEST_CASE("simulator in the loop: checks are logged, a zero threshold refines the oracle and re-scores") {
  SearchOptions o = options("detector", "random", 40, 2);
  o.refine_threshold_pct = 0;
  o.sim_top = 3;
  const SearchResult r = run_search(o);
  REQUIRE(!r.refinements.empty());
  CHECK(r.checks.size() >= 3);
  const double correction = r.refinements.back().correction;
  CHECK(correction != 1.0);
  for (const CandidateRecord& c : r.candidates) {
    if (c.simulated_ms) CHECK(c.latency_ms == *c.simulated_ms);
    else CHECK(c.latency_ms == doctest::Approx(c.eval.predicted_ms * correction).epsilon(1e-12));
  }
  o.refine_threshold_pct = 1e9;  // never refine: predictions stay the regressor's own
  const SearchResult n = run_search(o);
  CHECK(n.refinements.empty());
  CHECK(n.history.size() == n.candidates.size());
  for (const CandidateRecord& c : n.candidates)
    if (!c.simulated_ms) CHECK(c.latency_ms == c.eval.predicted_ms);
}

TEST_CASE("bad options and inputs are InputErrors") {
  CHECK_THROWS_WITH_AS(run_search(options("classifier", "anneal", 10, 1)), doctest::Contains("unknown search strategy 'anneal'"), InputError);
  SearchOptions o = options("classifier", "random", 0, 1);
  CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains("--budget"), InputError);
  o = options("classifier", "random", 10, 1);
  o.accuracy = "astrology";
  CHECK_THROWS_AS(run_search(o), InputError);
}

TEST_CASE("--resume on a missing, empty or never-started run directory starts the run; other files are refused") {
  const fs::path root = fs::temp_directory_path() / ("nesim_nas_resume_start_" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "empty");
  fs::create_directories(root / "staged");
  std::ofstream(root / "staged" / "run.json.tmp.4242") << "{\"space\":";  // killed while writing run.json
  std::ofstream(root / "staged" / ".run.json.4242.nesim-tmp-Ab12Cd") << "{";  // the same, by OutputFiles today
  fs::create_directories(root / "other");
  std::ofstream(root / "other" / "notes.txt") << "mine\n";
  SearchOptions o = options("classifier", "random", 10, 1);
  o.resume = true;
  std::string reference;
  for (const char* dir : {"missing", "empty", "staged"}) {
    CAPTURE(dir);
    o.out_dir = (root / dir).string();
    REQUIRE_NOTHROW(run_search(o));
    CHECK(fs::exists(root / dir / "run.json"));
    CHECK(!fs::exists(root / dir / "run.json.tmp.4242"));
    CHECK(!fs::exists(root / dir / ".run.json.4242.nesim-tmp-Ab12Cd"));
    const std::string candidates = read(root / dir / "candidates.csv");
    CHECK(!candidates.empty());
    if (reference.empty()) reference = candidates;
    CHECK(candidates == reference);
  }
  o.out_dir = (root / "other").string();
  CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains("holds no search to resume"), InputError);
  CHECK(!fs::exists(root / "other" / "run.json"));
  fs::remove_all(root);
}

TEST_CASE("nesim search: results do not depend on --jobs; kill -9 at random points then --resume gives the identical result") {
  const fs::path root = fs::temp_directory_path() / "nesim_nas_resume_test";
  fs::remove_all(root);
  fs::create_directories(root);
  const fs::path ref = root / "ref";
  REQUIRE(wait_for(spawn(search_args(ref, "1"))) == 0);
  const fs::path par = root / "par";
  REQUIRE(wait_for(spawn(search_args(par, "2"))) == 0);
  // The journal too: its lines go in in the search's order, not in the order workers finish.
  for (const char* f : {"candidates.csv", "pareto.csv", "best.yaml", "best.py", "best.onnx", "report.html", "journal.jsonl"})
    CHECK(read(par / f) == read(ref / f));
  CHECK(read(ref / "best.py").find("class Net(nn.Module)") != std::string::npos);
  // The report is self-contained: inline SVG, nothing fetched.
  const std::string html = read(ref / "report.html");
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("Per-block simulated latency") != std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  // best.yaml is a model file that loads and simulates to the summary's latency.
  const nlohmann::json summary = nlohmann::json::parse(read(ref / "summary.json"));
  const SimResult sim = simulate(expand(load_model_spec((ref / "best.yaml").string()), "best.yaml"),
                                 load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml"));
  CHECK(sim.latency_ms == summary["best"]["latency_ms"].get<double>());
  CHECK(summary_without_wall(par) == summary_without_wall(ref));

  std::mt19937_64 rng(20261127);
  int interrupted = 0;
  // Kill points are chosen by progress, not by time (a fast machine would finish first): after a
  // random number of journalled results, at most half of the whole run's.
  const auto journal_lines = [](const fs::path& dir) {
    const std::string text = read(dir / "journal.jsonl") + read(dir / "journal.pending.jsonl");
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  };
  const size_t total_lines = journal_lines(ref);
  REQUIRE(total_lines >= 4);
  // Kills `pid` once `dir` journals `lines` results; returns its status as wait_for() does.
  const auto kill_after = [&](pid_t pid, const fs::path& dir, size_t lines) {
    int status = 0;
    while (journal_lines(dir) < lines) {
      if (waitpid(pid, &status, WNOHANG) == pid)  // it ended by itself
        return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    kill(pid, SIGKILL);
    return wait_for(pid);
  };
  for (int trial = 0; trial < 4; ++trial) {
    const fs::path dir = root / ("kill" + std::to_string(trial));
    const std::string jobs = trial % 2 ? "2" : "1";
    const pid_t pid = spawn(search_args(dir, jobs));
    const int status = kill_after(pid, dir, trial == 0 ? 0 : 1 + rng() % (total_lines / 2));
    interrupted += status == -SIGKILL;
    // A second kill during the resume, then a resume to the end.
    if (fs::exists(dir / "run.json")) {
      const pid_t again = spawn([&] { auto a = search_args(dir, jobs); a.push_back("--resume"); return a; }());
      kill_after(again, dir, journal_lines(dir) + 1 + rng() % 3);
    }
    auto args = search_args(dir, jobs);
    args.push_back("--resume");  // a script can always pass it: a run killed before run.json starts afresh
    REQUIRE(wait_for(spawn(args)) == 0);
    CAPTURE(trial);
    for (const char* f : {"candidates.csv", "pareto.csv", "best.yaml", "report.html", "history.csv", "journal.jsonl"})
      CHECK(read(dir / f) == read(ref / f));
    CHECK(summary_without_wall(dir) == summary_without_wall(ref));
  }
  CHECK(interrupted >= 2);  // the kills really landed mid-run

  // Resuming with different flags is a clear error (exit status 2).
  auto args = search_args(ref, "1");
  args[args.size() - 5] = "6";  // --seed 6
  args.push_back("--resume");
  CHECK(wait_for(spawn(args)) == 2);
  fs::remove_all(root);
}

TEST_CASE("nesim search --help names every flag of the issue; a bad flag value exits 2 without output") {
  const fs::path out = fs::temp_directory_path() / "nesim_nas_help.txt";
  const std::string cmd = std::string(NESIM_BINARY) + " search --help > " + out.string() + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string help = read(out);
  for (const char* flag : {"--space", "--hw", "--out", "--budget", "--seed", "--jobs", "--resume", "--strategy",
                           "--accuracy", "--sim-every", "--sim-top", "--refine-threshold", "--channels"})
    CHECK(help.find(flag) != std::string::npos);
  const fs::path dir = fs::temp_directory_path() / "nesim_nas_bad_flag";
  fs::remove_all(dir);
  const pid_t pid = spawn({"search", "--space", kSource + "/nas/spaces/classifier.yaml", "--hw",
                           kSource + "/hwconfigs/ne-pf16.yaml", "--out", dir.string(), "--strategy", "anneal"});
  CHECK(wait_for(pid) == 2);
  CHECK(!fs::exists(dir));
  fs::remove(out);
}

namespace {

// The entropy proxy again, but not a closed form as far as the search can tell (a stand-in for
// the libtorch proxies and trainers, which are slow enough to be worth forking for).
class OpaqueEntropy final : public AccuracyScorer {
 public:
  std::string name() const override { return "test_opaque_entropy"; }
  AccuracyResult score(const ModelSpec&, const Network& net, uint64_t) const override {
    AccuracyResult r;
    r.score = entropy_score(net);
    return r;
  }
};

const bool kOpaqueRegistered = register_scorer(
    "test_opaque_entropy", [](const ScorerOptions&) { return std::make_unique<OpaqueEntropy>(); });

}  // namespace

TEST_CASE("with --jobs, closed-form accuracy is evaluated in process (warm plan cache), others go to the workers") {
  REQUIRE(kOpaqueRegistered);
  std::map<std::string, int> jobs_by_type;  // what the "workers" ran, by job type
  // Two "workers" that run every job here and count them.
  struct Recording : exec::Executor {
    std::map<std::string, int>* by_type;
    std::vector<std::string> map(size_t count, const Job& job, const OnDone& on_done) const override {
      std::vector<std::string> out;
      const std::string here;
      for (size_t i = 0; i < count; ++i) {
        out.push_back(job(i));
        ++(*by_type)[nlohmann::json::parse(out.back()).at("type").get<std::string>()];
        if (on_done) on_done({i, out.back(), i + 1, here});
      }
      return out;
    }
    int workers() const override { return 2; }
  };
  auto recording = std::make_shared<Recording>();
  recording->by_type = &jobs_by_type;
  SearchOptions o = options("classifier", "evolution", 48, 3);
  o.jobs = 2;
  o.parallel = recording;
  const SearchResult closed = run_search(o);
  CHECK(jobs_by_type["eval"] == 0);
  CHECK(jobs_by_type["sim"] > 0);

  jobs_by_type.clear();
  o.accuracy = "test_opaque_entropy";
  const SearchResult opaque = run_search(o);
  CHECK(jobs_by_type["eval"] > 0);
  // Same scores either way, so the same search.
  CHECK(keys(opaque) == keys(closed));
  CHECK(opaque.best_id == closed.best_id);
}

TEST_CASE("summary.json names the accuracy signal of every accuracy number and holds the accuracy-latency front") {
  SearchOptions o = options("classifier", "evolution", 60, 2);
  o.accuracy = "params";
  const SearchResult r = run_search(o);
  const auto& s = r.summary;
  CHECK(s["accuracy"]["signal"] == "params");
  CHECK(s["accuracy"]["proxy_task"]["input_size"] == 56);
  CHECK(s["baseline"]["accuracy_signal"] == "params");
  CHECK(s["best"]["accuracy_signal"] == "params");
  REQUIRE(!r.accuracy_front.empty());
  REQUIRE(s["accuracy_front"].size() == r.accuracy_front.size());
  for (const auto& f : s["accuracy_front"]) CHECK(f["accuracy_signal"] == "params");
  // Front members: by latency, accuracy rising; no scored candidate beats one on both.
  for (size_t k = 1; k < r.accuracy_front.size(); ++k) {
    const CandidateRecord &a = r.candidates[r.accuracy_front[k - 1]], &b = r.candidates[r.accuracy_front[k]];
    CHECK(a.latency_ms <= b.latency_ms);
    CHECK(a.eval.accuracy < b.eval.accuracy);
  }
  for (int id : r.accuracy_front)
    for (const CandidateRecord& c : r.candidates)
      if (c.eval.ok && c.eval.accuracy_ok && std::isfinite(c.latency_ms))
        CHECK_FALSE((c.latency_ms < r.candidates[id].latency_ms && c.eval.accuracy > r.candidates[id].eval.accuracy));
}
