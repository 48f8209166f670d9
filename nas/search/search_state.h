#pragma once
// The search's state and steps, shared by its two files: driver.cpp (the loop: evaluate, simulate,
// refine, report) and run_dir.cpp (the run directory: run.json and its input hashes, the lock,
// the journals, resume). Internal to nas/search; users call run_search() (driver.h).
#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/search/driver.h"
#include "nas/search/evaluate.h"
#include "nas/search/strategy.h"
#include "sim/report/run_files.h"
#include "sim/util/progress.h"

namespace nesim::nas::detail {

namespace fs = std::filesystem;
using nlohmann::json;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

class Search : public Scoreboard {
 public:
  explicit Search(const SearchOptions& o) : o_(o) {}

  SearchResult run();

  std::vector<double> objectives(int id) const override {
    const CandidateRecord& c = r_.candidates[id];
    std::vector<double> v;
    for (const std::string& obj : r_.space.objectives) {
      if (obj == "latency") v.push_back(c.latency_ms);
      else if (obj == "memory") v.push_back(static_cast<double>(c.eval.memory_bytes));
      else v.push_back(-c.eval.accuracy);
    }
    return v;
  }
  double violation(int id) const override { return r_.candidates[id].violation; }
  double latency_ms(int id) const override { return r_.candidates[id].latency_ms; }
  double screen_score(const Arch& a) const override;

 private:
  void check_options() const;
  void open_run_dir();
  void open_run_dir_on_coordinator();
  void load_journal(const std::string& path, bool main);
  void discard_new_run();
  void evaluate_baseline();
  json run_config() const;
  // The journal lines of `keys` (all of `type`), in order; compute(i) makes keys[i]'s when it is not
  // journalled. in_process: run them here even when workers were asked for.
  std::vector<json> results(const std::string& type, const std::vector<std::string>& keys,
                            const std::function<json(size_t)>& compute, bool in_process = false);
  void check_remote_trial(const std::string& line, const std::string& where,
                          const std::function<std::string()>& rerun) const;
  double constraint_violation(const SearchEvaluation& e, double latency_ms) const;
  void rescore(CandidateRecord& c) const;
  void evaluate_new(const std::vector<Arch>& archs);
  void simulate_top(size_t k);
  void train_top(size_t k);  // train_checks.cpp
  json training_summary() const;
  std::string trainings_csv() const;
  std::vector<int> ranking() const;
  void progress(bool done = false);
  void write_outputs();
  std::string candidate_row(const CandidateRecord& c) const;

  const SearchOptions& o_;
  SearchResult r_;
  std::unique_ptr<Evaluator> eval_;
  std::shared_ptr<const AccuracyScorer> scorer_;
  std::unique_ptr<RunLock> lock_;
  std::unique_ptr<Journal> journal_, pending_;  // journal.jsonl, journal.pending.jsonl
  std::map<std::string, std::string> replay_;   // "type key" -> its journalled line
  std::set<std::string> journalled_;            // "type key" of every line in journal.jsonl
  bool created_dir_ = false;                    // this run made --out
  bool fresh_run_ = false;                      // this run wrote run.json
  std::map<std::string, int> id_of_;
  mutable std::map<std::string, double> screen_cache_;
  std::string strategy_name_;       // o_.strategy with "auto" resolved
  int64_t proposals_ = 0;           // candidates the strategy proposed, repeats included
  std::string stop_reason_;         // "budget", "space exhausted" or "no new candidates"
  double running_best_ = kInf;     // best feasible latency now, for the history
  double correction_ = 1;           // regressor latency x correction = refined prediction
  double baseline_accuracy_ = 0;
  std::unique_ptr<Progress> progress_;
  size_t last_progress_ = 0;
  int next_check_ = 0;              // evaluation count of the next simulator check
  int next_training_ = 0;           // evaluation count of the next training check (train_every > 0)
  std::shared_ptr<const AccuracyScorer> trainer_;  // "train" at the check budget (train_every > 0)
  std::chrono::steady_clock::time_point start_;
};

}  // namespace nesim::nas::detail
