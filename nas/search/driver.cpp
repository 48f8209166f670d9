#include "nas/search/driver.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nas/search/journal.h"
#include "nas/search/search_state.h"
#include "nas/search/report.h"
#include "sim/exec/rank.h"
#include "sim/export/onnx_export.h"
#include "sim/export/pytorch_export.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"
#include "sim/util/json_text.h"

namespace nesim::nas {

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

namespace detail {

double Search::screen_score(const Arch& a) const {
  const std::string key = arch_key(a);
  if (auto it = screen_cache_.find(key); it != screen_cache_.end()) return it->second;
  double score = -kInf;
  try {
    const ModelSpec spec = to_model_spec(r_.space, a);
    const AccuracyResult res = scorer_->score(spec, expand(spec, spec.name), o_.seed);
    if (res.ok) score = res.score;
  } catch (const InputError&) {
  }
  return screen_cache_[key] = score;
}

void Search::check_options() const {
  if (o_.budget < 1) throw input_error("--budget: expected a positive number of evaluations, got {}", o_.budget);
  if (o_.batch < 1) throw input_error("--batch: expected a positive integer, got {}", o_.batch);
  if (o_.jobs < 1) throw input_error("--jobs: expected a positive integer, got {}", o_.jobs);
  if (o_.sim_every < 1) throw input_error("--sim-every: expected a positive integer, got {}", o_.sim_every);
  if (o_.sim_top < 1) throw input_error("--sim-top: expected a positive integer, got {}", o_.sim_top);
  if (o_.train_every < 0) throw input_error("--train-every: expected 0 (never) or a positive integer, got {}", o_.train_every);
  if (o_.train_top < 1) throw input_error("--train-top: expected a positive integer, got {}", o_.train_top);
  if (o_.train_seeds < 1) throw input_error("--train-seeds: expected a positive integer, got {}", o_.train_seeds);
  if (!(o_.refine_threshold_pct >= 0))
    throw input_error("--refine-threshold: expected a non-negative percentage, got {}", o_.refine_threshold_pct);
  if (o_.resume && o_.out_dir.empty()) throw input_error("--resume needs the --out directory of the run to continue");
}

// Every result goes through its JSON text, so that the in-process path, the workers and a resume
// give identical numbers. Each computed line is appended to journal.pending.jsonl as soon as it is
// finished (by the coordinating process, as the result arrives), so a kill loses no finished work;
// then the round's lines go into journal.jsonl in key order, so that the journal is the same
// whatever --jobs or the number of MPI ranks is. in_process: cheap and pure (closed-form scores,
// the baseline's simulation), so every process computes it itself rather than sending it out.
std::vector<json> Search::results(const std::string& type, const std::vector<std::string>& keys,
                                  const std::function<json(size_t)>& compute, bool in_process) {
  std::vector<std::string> lines(keys.size());
  std::vector<size_t> fresh;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = replay_.find(type + " " + keys[i]);
    if (it != replay_.end()) lines[i] = it->second;
    else fresh.push_back(i);
  }
  auto one = [&](size_t k) { return json_text(compute(fresh[k])); };
  std::vector<std::string> computed;
  const exec::Executor* ex = o_.parallel.get();
  const bool spread = ex && !in_process && !fresh.empty() &&
                      (ex->distributed() || (ex->workers() > 1 && fresh.size() > 1));
  if (spread) {
    computed = ex->map(fresh.size(), one, [&](const exec::JobDone& d) {
      if (!d.where.empty()) check_remote_trial(d.bytes, d.where, [&] { return one(d.index); });
      if (pending_) pending_->append(d.bytes);
    });
  } else {
    for (size_t k = 0; k < fresh.size(); ++k) {
      computed.push_back(one(k));
      if (pending_) pending_->append(computed.back());
    }
  }
  for (size_t k = 0; k < fresh.size(); ++k) lines[fresh[k]] = computed[k];
  if (journal_) {
    bool added = false;
    for (size_t i = 0; i < keys.size(); ++i)
      if (journalled_.insert(type + " " + keys[i]).second) {
        journal_->append(lines[i]);
        added = true;
      }
    if (added) journal_->sync();
    if (added || !fresh.empty()) pending_->clear();
  }
  std::vector<json> out;
  for (const std::string& l : lines) out.push_back(json::parse(l));
  return out;
}

// An evaluation whose accuracy trial failed on another machine (an MPI rank) is tried again here:
// when it succeeds here the trainer is broken on that host, and the run ends naming it, rather
// than recording a failure that a single-process run would not have. A trial that fails here too
// is a failure of the candidate, recorded as in any run.
void Search::check_remote_trial(const std::string& line, const std::string& where,
                                const std::function<std::string()>& rerun) const {
  const json j = json::parse(line);
  if (j.value("type", "") != "eval" || !j.contains("eval") || j["eval"].value("accuracy_ok", true)) return;
  const std::string here = rerun();
  const json h = json::parse(here);
  if (!h["eval"].value("accuracy_ok", false)) return;
  throw input_error("{}: the accuracy trial of candidate {} failed there ({}) but succeeds on rank 0 (host {}): the "
                    "trainer does not work on that host; fix its environment there (or leave the host out) and "
                    "continue with --resume",
                    where, j.value("key", ""), j["eval"].value("error", ""), exec::host_name());
}

double Search::constraint_violation(const SearchEvaluation& e, double latency_ms) const {
  if (!e.ok) return kInf;
  const Constraints& c = r_.space.constraints;
  double v = 0;
  if (c.latency_ms_max && latency_ms > *c.latency_ms_max) v += latency_ms / *c.latency_ms_max - 1;
  if (c.memory_bytes_max && e.memory_bytes > *c.memory_bytes_max)
    v += static_cast<double>(e.memory_bytes) / *c.memory_bytes_max - 1;
  std::optional<double> acc_min = c.accuracy_min;
  if (c.accuracy_at_least_baseline) acc_min = baseline_accuracy_;
  if (acc_min) {
    if (!e.accuracy_ok) v += 1;
    else if (e.accuracy < *acc_min) v += (*acc_min - e.accuracy) / std::max(1e-12, std::abs(*acc_min));
  }
  return v;
}

void Search::rescore(CandidateRecord& c) const {
  c.latency_ms = !c.eval.ok ? kInf : c.simulated_ms ? *c.simulated_ms : c.eval.predicted_ms * correction_;
  c.violation = constraint_violation(c.eval, c.latency_ms);
}

std::vector<int> Search::ranking() const {
  std::vector<int> ids(r_.candidates.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  std::sort(ids.begin(), ids.end(), [&](int a, int b) { return better(a, b); });
  return ids;
}

void Search::evaluate_new(const std::vector<Arch>& archs) {
  std::vector<Arch> todo;
  for (const Arch& a : archs) {
    const std::string key = arch_key(a);
    if (id_of_.count(key)) continue;
    id_of_[key] = -1;  // claimed; the id follows below
    todo.push_back(a);
  }
  std::vector<std::string> keys;
  for (const Arch& a : todo) keys.push_back(arch_key(a));
  // Closed-form accuracy: an evaluation costs microseconds once the oracle's plan cache is warm,
  // which forked workers would lose (measured: a 10,000-evaluation search took 8 s here, 19 s
  // forked over 2 workers).
  const std::vector<json> results = this->results(
      "eval", keys,
      [&](size_t i) {
        return json{{"type", "eval"}, {"key", keys[i]}, {"eval", to_json(eval_->evaluate(to_model_spec(r_.space, todo[i])))}};
      },
      eval_->closed_form_accuracy());
  double best = running_best_;
  for (size_t i = 0; i < todo.size(); ++i) {
    CandidateRecord c;
    c.id = static_cast<int>(r_.candidates.size());
    c.arch = todo[i];
    c.description = describe(r_.space, c.arch);
    c.eval = search_evaluation_from_json(results[i].at("eval"));
    rescore(c);
    id_of_[arch_key(c.arch)] = c.id;
    if (c.violation == 0) best = std::min(best, c.latency_ms);
    r_.candidates.push_back(c);
    r_.history.push_back(best);
  }
  running_best_ = best;
}

// Simulates the k best candidates not yet simulated; logs the prediction error; refines the
// oracle when the mean error is above the threshold.
void Search::simulate_top(size_t k) {
  std::vector<int> pick;
  for (int id : ranking()) {
    if (pick.size() >= k) break;
    if (!r_.candidates[id].simulated_ms && r_.candidates[id].eval.ok) pick.push_back(id);
  }
  if (pick.empty()) return;
  std::vector<std::string> keys;
  for (int id : pick) keys.push_back(arch_key(r_.candidates[id].arch));
  const std::vector<json> results = this->results("sim", keys, [&](size_t i) {
    const SimResult s = eval_->simulate(to_model_spec(r_.space, r_.candidates[pick[i]].arch));
    return json{{"type", "sim"}, {"key", keys[i]}, {"latency_ms", s.latency_ms}, {"total_cycles", s.total_cycles}};
  });
  double err_sum = 0;
  for (size_t i = 0; i < pick.size(); ++i) {
    CandidateRecord& c = r_.candidates[pick[i]];
    SimulationCheck chk;
    chk.at_evaluation = static_cast<int>(r_.candidates.size());
    chk.id = c.id;
    chk.predicted_ms = c.eval.predicted_ms * correction_;
    chk.simulated_ms = results[i].at("latency_ms").get<double>();
    chk.error_pct = std::abs(chk.predicted_ms - chk.simulated_ms) / chk.simulated_ms * 100;
    err_sum += chk.error_pct;
    c.simulated_ms = chk.simulated_ms;
    r_.checks.push_back(chk);
    ++r_.simulations;
  }
  const double mean_err = err_sum / static_cast<double>(pick.size());
  if (mean_err > o_.refine_threshold_pct) {
    // The refined oracle: regressor latency times the geometric mean of simulated / predicted over
    // every candidate simulated so far.
    double log_sum = 0;
    int n = 0;
    for (const CandidateRecord& c : r_.candidates)
      if (c.simulated_ms && c.eval.predicted_ms > 0) {
        log_sum += std::log(*c.simulated_ms / c.eval.predicted_ms);
        ++n;
      }
    if (n > 0) correction_ = std::exp(log_sum / n);
    r_.refinements.push_back({static_cast<int>(r_.candidates.size()), mean_err, correction_});
  }
  running_best_ = kInf;
  for (CandidateRecord& c : r_.candidates) {
    rescore(c);
    if (c.violation == 0) running_best_ = std::min(running_best_, c.latency_ms);
  }
}

void Search::progress(bool done) {
  if (o_.progress == ProgressMode::Quiet) return;
  const size_t n = r_.candidates.size();
  if (!done && n == last_progress_) return;  // rounds of cached candidates add nothing to show
  last_progress_ = n;
  const double best = r_.history.empty() ? kInf : r_.history.back();
  progress_->update(n, fmt::format("{} simulations, best {}", r_.simulations,
                                   std::isfinite(best) ? fmt::format("{:.3f} ms", best) : std::string("none feasible")));
  if (done) progress_->finish();
}

// The baseline: the base model file itself, evaluated and simulated like any candidate.
void Search::evaluate_baseline() {
  std::vector<json> res(2);
  res[0] = results("eval", {"base"}, [&](size_t) {
    return json{{"type", "eval"}, {"key", "base"}, {"eval", to_json(eval_->evaluate(r_.space.base))}};
  }, eval_->closed_form_accuracy())[0];
  r_.baseline.id = -1;
  r_.baseline.description = "base model " + r_.space.base_path;
  r_.baseline.eval = search_evaluation_from_json(res[0].at("eval"));
  if (!r_.baseline.eval.ok) throw input_error("{}: the base model fails: {}", r_.space.base_path, r_.baseline.eval.error);
  if (r_.space.constraints.accuracy_at_least_baseline && !r_.baseline.eval.accuracy_ok)
    throw input_error("{}: accuracy '>= baseline' needs the base model's score, but scorer '{}' failed on it: {}",
                      o_.space_path, o_.accuracy, r_.baseline.eval.error);
  baseline_accuracy_ = r_.baseline.eval.accuracy;
  res[1] = results("sim", {"base"}, [&](size_t) {
    const SimResult sim = eval_->simulate(r_.space.base);
    return json{{"type", "sim"}, {"key", "base"}, {"latency_ms", sim.latency_ms}, {"total_cycles", sim.total_cycles}};
  }, true)[0];
  r_.baseline.simulated_ms = res[1].at("latency_ms").get<double>();
  r_.baseline.latency_ms = *r_.baseline.simulated_ms;
  r_.baseline.violation = constraint_violation(r_.baseline.eval, r_.baseline.latency_ms);
  r_.simulations = 1;
}

SearchResult Search::run() {
  start_ = std::chrono::steady_clock::now();
  check_options();
  check_scorer(o_.accuracy);  // before MPI or the run directory: it may need nesim-torch (an exec)
  if (o_.train_every > 0) check_scorer("train");
  progress_ = std::make_unique<Progress>("search", static_cast<size_t>(o_.budget), "evaluations", o_.progress);
  SpaceOverrides ov;
  ov.channels = o_.channels;
  r_.space = load_space(o_.space_path, o_.hw, ov);
  auto regressor = std::make_shared<const Regressor>(Regressor::load(o_.regressor_path));
  strategy_name_ = o_.strategy == "auto" ? default_strategy(r_.space) : o_.strategy;
  auto strategy = make_strategy(strategy_name_, r_.space, *this, o_.strategy_options);
  // Until the baseline is journalled a new run has nothing worth keeping: on any failure up to
  // there (a scorer that cannot be made, a base model that fails) its files are removed again.
  try {
    open_run_dir_on_coordinator();
    ScorerOptions scorer_options = o_.scorer;
    // cmd's private directory goes in the run's; an MPI rank other than 0 keeps its own under $TMPDIR
    if (!o_.out_dir.empty() && exec::is_output_rank()) scorer_options.work_dir = o_.out_dir;
    scorer_ = std::shared_ptr<const AccuracyScorer>(make_scorer(o_.accuracy, scorer_options));
    eval_ = std::make_unique<Evaluator>(o_.hw, regressor, scorer_, o_.seed, o_.max_peak_states);
    if (o_.train_every > 0) trainer_ = std::shared_ptr<const AccuracyScorer>(make_scorer("train", o_.trainer));
    evaluate_baseline();
  } catch (...) {
    discard_new_run();
    throw;
  }

  // The base architecture (closest grid point) is every strategy's first candidate.
  std::mt19937_64 rng(o_.seed);
  next_check_ = o_.sim_every;
  next_training_ = o_.train_every;
  {
    const Arch b = base_arch(r_.space);
    evaluate_new({b});
    strategy->observe({b}, {id_of_[arch_key(b)]});
  }
  // The run ends at the budget or when every distinct candidate is evaluated; strategies that
  // repeat themselves mutate more genes or restart (RepeatGuard). The last guard, against a
  // strategy that never proposes anything new, allows far more repeats than random sampling
  // needs to find the last unevaluated candidate of the space.
  const double stale_limit = std::min(1e12, 50.0 * r_.space.cardinality() + 1e4);
  double stale = 0;  // proposals since the last new candidate
  stop_reason_ = "budget";
  while (static_cast<int>(r_.candidates.size()) < o_.budget) {
    if (static_cast<double>(r_.candidates.size()) >= r_.space.cardinality()) {
      stop_reason_ = "space exhausted";
      break;
    }
    if (stale > stale_limit) {
      stop_reason_ = "no new candidates";
      break;
    }
    const size_t n = static_cast<size_t>(std::min<int>(o_.batch, o_.budget - static_cast<int>(r_.candidates.size())));
    std::vector<Arch> archs = strategy->propose(n, rng);
    proposals_ += static_cast<int64_t>(archs.size());
    if (archs.empty()) {
      stop_reason_ = "no new candidates";
      break;
    }
    const size_t before = r_.candidates.size();
    // Keep the budget exact: proposals past it that would need a new evaluation are dropped.
    std::vector<Arch> kept;
    std::set<std::string> fresh;
    for (const Arch& a : archs) {
      const std::string key = arch_key(a);
      if (!id_of_.count(key)) {
        if (static_cast<int>(r_.candidates.size() + fresh.size()) >= o_.budget) continue;
        fresh.insert(key);
      }
      kept.push_back(a);
    }
    evaluate_new(kept);
    std::vector<int> ids;
    for (const Arch& a : kept) ids.push_back(id_of_.at(arch_key(a)));
    strategy->observe(kept, ids);
    stale = r_.candidates.size() > before ? 0 : stale + static_cast<double>(archs.size());
    while (static_cast<int>(r_.candidates.size()) >= next_check_) {
      simulate_top(static_cast<size_t>(o_.sim_top));
      next_check_ += o_.sim_every;
    }
    while (o_.train_every > 0 && static_cast<int>(r_.candidates.size()) >= next_training_) {
      train_top(static_cast<size_t>(o_.train_top));
      next_training_ += o_.train_every;
    }
    progress();
  }
  // The reported best is simulator-verified: simulate the top until the best is a simulated one.
  simulate_top(static_cast<size_t>(o_.sim_top));
  while (!r_.candidates[ranking().front()].simulated_ms && r_.candidates[ranking().front()].eval.ok)
    simulate_top(static_cast<size_t>(o_.sim_top));
  r_.best_id = ranking().front();
  progress(true);

  // Pareto front of the feasible candidates (all when none is feasible), by latency.
  std::vector<int> pool;
  for (const CandidateRecord& c : r_.candidates)
    if (c.violation == 0) pool.push_back(c.id);
  if (pool.empty())
    for (const CandidateRecord& c : r_.candidates)
      if (c.eval.ok) pool.push_back(c.id);
  std::sort(pool.begin(), pool.end(), [&](int a, int b) {
    const auto oa = objectives(a), ob = objectives(b);
    return oa != ob ? oa < ob : a < b;
  });
  for (int id : pool) {
    const auto oi = objectives(id);
    bool dominated = false;
    for (int p : r_.pareto) {
      const auto op = objectives(p);
      bool le = true;
      for (size_t m = 0; m < op.size(); ++m) le = le && op[m] <= oi[m];
      if (le) {
        dominated = true;
        break;
      }
    }
    if (!dominated) r_.pareto.push_back(id);
  }

  {
    std::vector<int> scored;
    for (const CandidateRecord& c : r_.candidates)
      if (c.eval.ok && c.eval.accuracy_ok && std::isfinite(c.latency_ms)) scored.push_back(c.id);
    std::sort(scored.begin(), scored.end(), [&](int a, int b) {
      const CandidateRecord &x = r_.candidates[a], &y = r_.candidates[b];
      if (x.latency_ms != y.latency_ms) return x.latency_ms < y.latency_ms;
      return x.eval.accuracy != y.eval.accuracy ? x.eval.accuracy > y.eval.accuracy : a < b;
    });
    for (int id : scored)
      if (r_.accuracy_front.empty() || r_.candidates[id].eval.accuracy > r_.candidates[r_.accuracy_front.back()].eval.accuracy)
        r_.accuracy_front.push_back(id);
  }

  const CandidateRecord& best = r_.candidates[r_.best_id];
  r_.best_spec = to_model_spec(r_.space, best.arch);
  r_.best_spec.name = r_.space.name + "_best";
  r_.best_spec.source = fmt::format("nesim search --space {} ({} strategy, seed {}): {}", o_.space_path, strategy_name_,
                                    o_.seed, best.description);
  r_.baseline_sim = eval_->simulate(r_.space.base);
  r_.best_sim = eval_->simulate(r_.best_spec);

  const auto side = [&](const CandidateRecord& c) {
    return json{{"latency_ms", c.latency_ms}, {"predicted_latency_ms", c.eval.predicted_ms * correction_},
                {"memory_bytes", c.eval.memory_bytes}, {"params", c.eval.params}, {"macs", c.eval.macs},
                {"peak_activation_bytes", c.eval.peak_activation_bytes}, {"accuracy_score", c.eval.accuracy},
                {"accuracy_signal", o_.accuracy}, {"feasible", c.violation == 0}, {"description", c.description}};
  };
  json& s = r_.summary;
  s["schema_version"] = kSchemaVersion;  // of summary.json and the CSVs beside it (docs/outputs.md)
  s["baseline"] = side(r_.baseline);
  s["best"] = side(best);
  s["best"]["id"] = best.id;
  s["best"]["genes"] = arch_key(best.arch);
  s["latency_reduction_pct"] = (1 - best.latency_ms / r_.baseline.latency_ms) * 100;
  s["memory_reduction_pct"] =
      (1 - static_cast<double>(best.eval.memory_bytes) / static_cast<double>(r_.baseline.eval.memory_bytes)) * 100;
  s["evaluations"] = r_.candidates.size();
  s["simulations"] = r_.simulations;
  s["refinements"] = r_.refinements.size();
  s["latency_correction"] = correction_;
  s["pareto_size"] = r_.pareto.size();
  s["strategy"] = strategy_name_;
  s["proposals"] = proposals_;
  s["stop_reason"] = stop_reason_;
  s["seed"] = o_.seed;
  s["budget"] = o_.budget;
  s["space"] = o_.space_path;
  s["channels"] = r_.space.channels;
  s["hw"] = o_.hw_path.empty() ? o_.hw.name : o_.hw_path;
  s["accuracy_scorer"] = o_.accuracy;
  // What every accuracy number in this file is: the signal, and where its quality is measured.
  s["accuracy"] = {{"signal", o_.accuracy},
                   {"chosen_by", o_.accuracy_chosen_by.empty() ? "--accuracy " + o_.accuracy : o_.accuracy_chosen_by},
                   {"proxy_task", {{"input_size", o_.scorer.input_size}, {"skip_strides", o_.scorer.skip_strides}}},
                   {"validation", "docs/benchmarks.md, \"Accuracy signals against the trained reference\""}};
  json front = json::array();
  for (int id : r_.accuracy_front) {
    const CandidateRecord& c = r_.candidates[id];
    front.push_back({{"id", id}, {"latency_ms", c.latency_ms}, {"accuracy_score", c.eval.accuracy},
                     {"accuracy_signal", o_.accuracy}, {"memory_bytes", c.eval.memory_bytes},
                     {"feasible", c.violation == 0}, {"description", c.description}});
  }
  s["accuracy_front"] = front;
  s["training_checks"] = training_summary();
  s["objectives"] = r_.space.objectives;
  json cons = json::object();
  const Constraints& c = r_.space.constraints;
  if (c.latency_ms_max) cons["latency_ms"] = fmt::format("<= {}", *c.latency_ms_max);
  if (c.memory_bytes_max) cons["memory_bytes"] = fmt::format("<= {}", *c.memory_bytes_max);
  if (c.accuracy_min) cons["accuracy"] = fmt::format(">= {}", *c.accuracy_min);
  if (c.accuracy_at_least_baseline) cons["accuracy"] = fmt::format(">= baseline ({})", baseline_accuracy_);
  s["constraints"] = cons;
  r_.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  s["wall_s"] = r_.wall_s;
  if (!o_.out_dir.empty()) write_outputs();
  return std::move(r_);
}

std::string Search::candidate_row(const CandidateRecord& c) const {
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", c.id, arch_key(c.arch), csv_field(c.description),
                     c.eval.predicted_ms, c.simulated_ms ? fmt::format("{}", *c.simulated_ms) : "",
                     std::isfinite(c.latency_ms) ? fmt::format("{}", c.latency_ms) : "", c.eval.memory_bytes,
                     c.eval.params, c.eval.macs, c.eval.peak_activation_bytes,
                     c.eval.accuracy_ok ? fmt::format("{}", c.eval.accuracy) : "", c.violation == 0 ? 1 : 0,
                     csv_field(c.eval.error));
}

void Search::write_outputs() {
  const fs::path dir = o_.out_dir;
  const std::string header =
      "id,genes,description,predicted_latency_ms,simulated_latency_ms,latency_ms,memory_bytes,params,macs,"
      "peak_activation_bytes,accuracy_score,feasible,error\n";
  std::string cand = header, pareto = header, hist = "evaluation,best_feasible_latency_ms\n", sims =
      "at_evaluation,id,predicted_latency_ms,simulated_latency_ms,error_pct\n";
  for (const CandidateRecord& c : r_.candidates) cand += candidate_row(c);
  for (int id : r_.pareto) pareto += candidate_row(r_.candidates[id]);
  for (size_t i = 0; i < r_.history.size(); ++i)
    hist += fmt::format("{},{}\n", i + 1, std::isfinite(r_.history[i]) ? fmt::format("{}", r_.history[i]) : "");
  for (const SimulationCheck& k : r_.checks)
    sims += fmt::format("{},{},{},{},{}\n", k.at_evaluation, k.id, k.predicted_ms, k.simulated_ms, k.error_pct);
  // The best model also as net.py / net.onnx, so it can be trained or deployed as it stands.
  const Network best = expand(r_.best_spec, (dir / "best.yaml").string());
  OutputFiles out;  // all nine appear together, or none does
  out.add((dir / "candidates.csv").string(), cand);
  out.add((dir / "pareto.csv").string(), pareto);
  out.add((dir / "history.csv").string(), hist);
  out.add((dir / "simulations.csv").string(), sims);
  out.add((dir / "best.yaml").string(), to_yaml(r_.best_spec));
  out.add((dir / "best.py").string(), pytorch_source(best));
  out.add((dir / "best.onnx").string(), onnx_model_bytes(best));
  out.add((dir / "report.html").string(), render_report(r_));
  out.add((dir / "summary.json").string(), json_text(r_.summary, 2) + "\n");
  if (o_.train_every > 0) out.add((dir / "trainings.csv").string(), trainings_csv());
  out.commit();
}

}  // namespace detail

SearchResult run_search(const SearchOptions& options) {
  detail::Search s(options);
  return s.run();
}

}  // namespace nesim::nas
