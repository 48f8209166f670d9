// Is a resumed search the run it claims to continue? A bad journal line, an edited input, a second
// process on the same directory, a planted link or a failed start is refused or cleaned up, never
// mixed into the result; the journal is the same whatever --jobs is.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nas/search/driver.h"
#include "sim/hw/hw_config.h"
#include "sim/util/error.h"
#include "tests/support/nesim_command.h"

using namespace nesim;
using namespace nesim::nas;

namespace {

namespace fs = std::filesystem;
const std::string kSource = NESIM_SOURCE_DIR;

// A copy of the classifier space and of ne-pf16 in `dir`, so that a test may edit them.
SearchOptions scratch_options(const test::ScratchDir& d, int budget = 12) {
  std::string space = test::read_text(kSource + "/nas/spaces/classifier.yaml");
  const size_t base = space.find("base: ");
  space.replace(base, space.find('\n', base) - base, "base: " + kSource + "/models/mobilenet_v2.yaml");
  std::ofstream(d.path("space.yaml")) << space;
  fs::copy_file(kSource + "/hwconfigs/ne-pf16.yaml", d.path("hw.yaml"), fs::copy_options::overwrite_existing);
  SearchOptions o;
  o.space_path = d.path("space.yaml");
  o.hw_path = d.path("hw.yaml");
  o.hw = load_hw_config(o.hw_path);
  o.regressor_path = kSource + "/traces/regressor-ne-pf.json";
  o.strategy = "random";
  o.budget = budget;
  o.batch = 4;
  o.sim_every = 6;
  o.out_dir = d.path("run");
  return o;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);) out.push_back(l);
  return out;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  for (const std::string& l : lines) f << l << "\n";
}

std::string search_cmd(const test::ScratchDir& d, const std::string& out, const std::string& accuracy_cmd,
                       int budget = 3) {
  return fmt::format("search --space '{}' --hw '{}/hwconfigs/ne-pf16.yaml' --out '{}' --budget {} --batch 2 "
                     "--strategy random --accuracy cmd --accuracy-cmd \"{}\"",
                     d.path("space.yaml"), kSource, out, budget, accuracy_cmd);
}

}  // namespace

TEST_CASE("a malformed journal line stops the resume naming the file and line; a torn last line is dropped") {
  test::ScratchDir d("resume_journal");
  SearchOptions o = scratch_options(d);
  run_search(o);
  const fs::path journal = fs::path(o.out_dir) / "journal.jsonl";
  const std::vector<std::string> good = lines_of(test::read_text(journal));
  REQUIRE(good.size() > 4);
  const std::string reference = test::read_text(fs::path(o.out_dir) / "candidates.csv");
  o.resume = true;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{\"type\":\"eval\"}", "key 'key' is missing"},
      {"{\"type\":\"eval\",\"key\":\"0,1\",\"eval\":{\"ok\":\"yes\"}}", "eval: key 'ok': expected true or false"},
      {"{\"type\":\"sim\",\"key\":\"0,1\",\"latency_ms\":\"fast\",\"total_cycles\":3}", "key 'latency_ms'"},
      {"{\"type\":\"tune\",\"key\":\"0,1\"}", "key 'type': expected \"eval\", \"sim\" or \"train\""},
      {"{\"type\":\"train\",\"key\":\"0,1\"}", "key 'accuracies' is missing"},
      {"{\"type\":\"train\",\"key\":\"0,1\",\"accuracies\":[0.9,1.5]}", "key 'accuracies': expected numbers in [0, 1] or null"},
      {"[1, 2", "not a line of JSON"},
      {"", "not a line of JSON"}};
  for (const auto& [line, what] : bad) {
    CAPTURE(line);
    std::vector<std::string> lines = good;
    lines.insert(lines.begin() + 2, line);
    write_lines(journal, lines);
    const std::string where = journal.string() + ":3: " + what;
    CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains(where.c_str()), InputError);
    CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains("cannot be resumed from it: remove that line"), InputError);
  }
  // What a kill during an append leaves: the last line without its newline. Dropped, then redone.
  write_lines(journal, good);
  std::ofstream(journal, std::ios::app) << "{\"type\":\"eval\",\"ke";
  REQUIRE_NOTHROW(run_search(o));
  CHECK(test::read_text(journal) == test::read_text(journal).substr(0, test::read_text(journal).rfind('\n') + 1));
  CHECK(lines_of(test::read_text(journal)) == good);
  CHECK(test::read_text(fs::path(o.out_dir) / "candidates.csv") == reference);
}

TEST_CASE("--resume refuses an edited hw file or a changed accuracy command, naming what changed") {
  test::ScratchDir d("resume_inputs");
  SearchOptions o = scratch_options(d, 6);
  o.accuracy = "cmd";
  o.scorer.command = "echo 0.5 # {arch}";
  run_search(o);
  o.resume = true;
  REQUIRE_NOTHROW(run_search(o));  // unchanged: fine

  std::string hw = test::read_text(o.hw_path);
  hw.replace(hw.find("clock_mhz: 800"), 14, "clock_mhz: 400");
  std::ofstream(o.hw_path, std::ios::trunc) << hw;
  SearchOptions edited = o;
  edited.hw = load_hw_config(o.hw_path);
  const std::string hw_changed = o.hw_path + " changed since the run started (content hash";
  CHECK_THROWS_WITH_AS(run_search(edited), doctest::Contains(hw_changed.c_str()), InputError);

  SearchOptions trainer = o;
  trainer.scorer.command = "echo 0.6 # {arch}";
  CHECK_THROWS_WITH_AS(run_search(trainer), doctest::Contains("accuracy_cmd was \"echo 0.5 # {arch}\""), InputError);

  std::ofstream(o.space_path, std::ios::app) << "# an edit\n";
  const std::string space_changed = o.space_path + " changed since the run started";
  CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains(space_changed.c_str()), InputError);
}

TEST_CASE("a second search on a run directory in use exits 2 naming the other process") {
  test::ScratchDir d("resume_lock");
  scratch_options(d);
  const std::string out = d.path("run");
  const std::string first = fmt::format("exec '{}' {} >/dev/null 2>&1", NESIM_BINARY,
                                        search_cmd(d, out, "sleep 3; echo 0.5 # {arch}", 4));
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", first.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The first run holds the lock once its run.json is written (its base model trains for 3 s).
  while (!fs::exists(fs::path(out) / "run.json")) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, WNOHANG) == 0);
    usleep(10000);
  }
  const test::CommandResult second = d.nesim(search_cmd(d, out, "sleep 3; echo 0.5 # {arch}", 4) + " --resume");
  CHECK(second.status == 2);
  CHECK(second.err.find("another nesim search is using " + out + " (pid " + std::to_string(pid) + ")") !=
        std::string::npos);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST_CASE("a journal.jsonl or run.json that is a symbolic link is refused; nothing is written through it") {
  test::ScratchDir d("resume_links");
  SearchOptions o = scratch_options(d);
  for (const char* name : {"journal.jsonl", "run.json"}) {
    CAPTURE(name);
    fs::remove_all(o.out_dir);
    fs::create_directories(o.out_dir);
    fs::create_symlink(d.path("elsewhere"), fs::path(o.out_dir) / name);
    CHECK_THROWS_WITH_AS(run_search(o), doctest::Contains("is a symbolic link"), InputError);
    CHECK(!fs::exists(d.path("elsewhere")));
  }
}

TEST_CASE("a search whose base model fails leaves nothing behind, and the corrected command runs") {
  test::ScratchDir d("resume_failed_start");
  scratch_options(d);
  const std::string out = d.path("run");
  const test::CommandResult failed = d.nesim(search_cmd(d, out, "false {arch}"));
  CHECK(failed.status == 2);
  CHECK(failed.err.find("failed on it") != std::string::npos);
  CHECK(!fs::exists(out));
  fs::create_directories(out);  // a directory the user made stays, empty
  CHECK(d.nesim(search_cmd(d, out, "false {arch}")).status == 2);
  CHECK(fs::is_empty(out));
  const test::CommandResult fixed = d.nesim(search_cmd(d, out, "echo 0.5 # {arch}"));
  CHECK_MESSAGE(fixed.status == 0, fixed.err);
  CHECK(fs::exists(fs::path(out) / "summary.json"));
  for (const auto& e : fs::directory_iterator(out))  // the trainer's private directory is gone
    CHECK(e.path().filename().string().rfind("nesim-cmd.", 0) != 0);
}

TEST_CASE("nesim experiment with a wrong --root exits 2 and leaves no --out") {
  test::ScratchDir d("resume_experiment");
  const test::CommandResult r = d.nesim(fmt::format("experiment classifier --out '{}' --root /nonexistent", d.path("e")));
  CHECK(r.status == 2);
  CHECK(r.err.find("/nonexistent/hwconfigs/ne-pf16.yaml") != std::string::npos);
  CHECK(!fs::exists(d.path("e")));
}
