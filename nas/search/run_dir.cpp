// The run directory of a search (docs/search.md, "Resume"): run.json with a content hash of every
// input, the advisory lock, the journals, and what --resume reads back from them.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "nas/search/journal.h"
#include "nas/search/search_state.h"
#include "sim/exec/rank.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/report/output_file.h"
#include "sim/report/run_files.h"
#include "sim/util/error.h"
#include "sim/util/fd_io.h"
#include "sim/util/hash.h"
#include "sim/util/input_file.h"
#include "sim/util/json_text.h"

namespace nesim::nas::detail {

namespace {

// FNV-1a 64 of a file's bytes: run.json records the content of every input a journal depends on.
std::string content_hash(const std::string& text) { return fmt::format("{:016x}", fnv1a64(text)); }

bool present(const fs::path& p) {  // a dangling link counts
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

}  // namespace

json Search::run_config() const {
  const StrategyOptions& so = o_.strategy_options;
  const ScorerOptions& sc = o_.scorer;
  const auto file = [](const std::string& path, const std::string& what) {
    return json{{"path", path}, {"hash", content_hash(read_input_file(path, what))}};
  };
  // What the journalled numbers depend on, by content: an edited file is a different run.
  const json inputs = {
      {"space", file(o_.space_path, "search space")},
      {"base_model", file(r_.space.base_path, "model")},
      {"hw", {{"path", o_.hw_path.empty() ? o_.hw.name : o_.hw_path}, {"hash", content_hash(to_yaml(o_.hw))}}},
      {"regressor", file(o_.regressor_path, "regressor")}};
  json inputs_with_oracle = inputs;
  if (!sc.supernet.empty()) inputs_with_oracle["supernet"] = file(sc.supernet, "supernet");
  const json scorer_options = {{"input_size", sc.input_size}, {"in_channels", sc.in_channels}, {"classes", sc.classes}, {"skip_strides", sc.skip_strides},
                               {"batch", sc.batch}, {"train_steps", sc.train_steps}, {"data_dir", sc.data_dir},
                               {"train_batch", sc.train_batch}, {"learning_rate", sc.learning_rate},
                               {"eval_images", sc.eval_images}};
  return {{"space", o_.space_path}, {"inputs", inputs_with_oracle},
          {"channels", r_.space.channels}, {"hw", o_.hw_path}, {"hw_name", o_.hw.name},
          {"regressor", o_.regressor_path}, {"accuracy", o_.accuracy}, {"accuracy_cmd", sc.command},
          {"accuracy_timeout_s", sc.timeout_s}, {"accuracy_options", scorer_options}, {"strategy", o_.strategy},
          {"population", so.population}, {"sample", so.sample}, {"screen", so.screen},
          {"mutate_genes", so.mutate_genes}, {"budget", o_.budget}, {"batch", o_.batch},
          {"seed", o_.seed}, {"sim_every", o_.sim_every}, {"sim_top", o_.sim_top},
          {"refine_threshold_pct", o_.refine_threshold_pct}, {"train_every", o_.train_every},
          {"train_top", o_.train_top}, {"train_seeds", o_.train_seeds}, {"train_steps", o_.trainer.train_steps},
          {"train_eval_images", o_.trainer.eval_images}, {"max_peak_states", o_.max_peak_states}};
}

namespace {

// True when `dir` is missing, empty, or holds only what a search killed before it committed
// run.json leaves (its staged run.json, its lock file, a scorer's private directory): no run has
// started there yet, so --resume starts one (a script can always pass it).
bool is_start_debris(const fs::path& p) {
  const std::string name = p.filename().string();
  return name == ".lock" || is_staged_temporary(name, "run.json") || name.rfind("nesim-cmd.", 0) == 0;
}

bool holds_no_run_yet(const fs::path& dir) {
  if (!fs::exists(dir)) return true;
  if (!fs::is_directory(dir)) return false;
  for (const auto& e : fs::directory_iterator(dir))
    if (!is_start_debris(e.path())) return false;
  return true;
}

}  // namespace

void Search::open_run_dir() {
  if (o_.out_dir.empty()) return;
  const fs::path dir = o_.out_dir;
  const std::string journal = (dir / "journal.jsonl").string(), run = (dir / "run.json").string();
  const std::string pending = (dir / "journal.pending.jsonl").string();
  const json config = run_config();  // every input is read (and checked) before anything is created
  if (present(dir) && !fs::is_directory(dir)) throw input_error("--out: {} exists and is not a directory", o_.out_dir);
  const bool existed = present(dir);
  if (!existed) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw input_error("--out: cannot create directory {}: {}", o_.out_dir, ec.message());
    created_dir_ = true;
  }
  lock_ = std::make_unique<RunLock>(dir, "nesim search");
  refuse_symlink(run);
  refuse_symlink(journal);
  refuse_symlink(pending);
  bool resume = o_.resume;
  if (resume && !present(run) && holds_no_run_yet(dir)) {
    std::cerr << fmt::format("nesim: --resume: {} holds no search yet; starting it\n", o_.out_dir);
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename() != ".lock") fs::remove_all(e.path());  // what a killed start left
    resume = false;
  }
  if (resume) {
    if (!present(run))
      throw input_error("--resume: {} holds no search to resume (no run.json, but other files); choose another --out",
                        o_.out_dir);
    json old;
    try {
      old = json::parse(read_input_file(run, "search run file"));
    } catch (const json::exception&) {
    }
    if (!old.is_object() || !old.contains("inputs") || !old["inputs"].is_object())
      throw input_error("{}: not the run file of this nesim version (no input hashes); the run cannot be resumed: "
                        "remove {} and start again",
                        run, o_.out_dir);
    std::vector<std::string> changed;
    for (const auto& [name, now] : config["inputs"].items()) {
      const json was = old["inputs"].contains(name) ? old["inputs"][name] : json();
      if (!was.is_object() || was.value("hash", json()) != now["hash"])
        changed.push_back(fmt::format("{} changed since the run started (content hash {}, now {})",
                                      now["path"].get<std::string>(),
                                      was.is_object() ? json_text(was.value("hash", json())) : "none",
                                      json_text(now["hash"])));
    }
    for (const auto& [key, value] : config.items())
      if (key != "inputs" && (!old.contains(key) || old[key] != value))
        changed.push_back(fmt::format("{} was {}, this command has {}", key,
                                      old.contains(key) ? json_text(old[key]) : "not set", json_text(value)));
    if (!changed.empty())
      throw input_error("--resume: the run in {} does not match this command: {}; resume with the inputs and flags it "
                        "started with, or choose another --out",
                        o_.out_dir, fmt::join(changed, "; "));
    for (const auto& e : fs::directory_iterator(dir))  // a killed run's scorer directory
      if (e.path().filename().string().rfind("nesim-cmd.", 0) == 0) fs::remove_all(e.path());
    load_journal(journal, true);
    load_journal(pending, false);
  } else {
    if (present(journal))
      throw input_error("--out: {} already holds a search (journal.jsonl); pass --resume to continue it, or choose "
                        "another directory",
                        o_.out_dir);
    fresh_run_ = true;
    OutputFiles out;
    out.add(run, json_text(config, 2) + "\n");
    out.commit();
  }
  journal_ = std::make_unique<Journal>(journal);
  pending_ = std::make_unique<Journal>(pending);
}

// Only the coordinating process (rank 0 under MPI) touches the run directory; the other ranks get
// its journalled lines from it, after it has checked, locked and (on --resume) repaired the run, so
// that every rank replays the same results.
void Search::open_run_dir_on_coordinator() {
  if (!o_.parallel || !o_.parallel->distributed()) return open_run_dir();
  const std::string shared = o_.parallel->from_coordinator([&] {
    open_run_dir();
    std::string text;
    for (const auto& [id, line] : replay_) text += id + "\n" + line + "\n";
    return text;
  });
  if (exec::is_output_rank()) return;
  for (size_t pos = 0; pos < shared.size();) {
    const size_t a = shared.find('\n', pos), b = shared.find('\n', a + 1);
    replay_.emplace(shared.substr(pos, a - pos), shared.substr(a + 1, b - a - 1));
    pos = b + 1;
  }
}

// Reads a journal into replay_. A last line without its newline is what a kill during the append
// leaves: it is dropped (and cut off the file) with a note. Any other bad line is an input error
// naming it: resuming past it would silently recompute or misread a result.
void Search::load_journal(const std::string& path, bool main) {
  for (const JournalLine& l : read_journal(path, "search journal")) {
    const JournalEntry entry = parse_journal_line(l.text, l.where);
    const std::string id = entry.type + " " + entry.key;
    replay_.emplace(id, l.text);
    if (main) journalled_.insert(id);
  }
}

// A new run that failed before its baseline was journalled (a base model that fails, a bad
// scorer): remove what it created, so that the corrected command starts cleanly.
void Search::discard_new_run() {
  if (!fresh_run_ && !created_dir_) return;
  if (!lock_) return;  // not ours
  const fs::path dir = o_.out_dir;
  journal_.reset();
  pending_.reset();
  eval_.reset();
  scorer_.reset();  // removes the scorer's private directory
  std::error_code ec;
  if (created_dir_) {
    fs::remove_all(dir, ec);
  } else {
    for (const char* name : {"journal.jsonl", "journal.pending.jsonl", "run.json", ".lock"}) fs::remove(dir / name, ec);
  }
  lock_.reset();
}

}  // namespace nesim::nas::detail
