// `nesim proxy-eval`: how well each accuracy signal ranks architectures. Against short training of
// sampled architectures (--samples), or against the trained reference (--reference
// DIR/reference.json), where short-training budgets (--train-steps 60,120,300) and the supernet
// oracle (--supernet) are scored as signals too. Every figure has its bootstrap 95 % interval.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/rank_stats.h"
#include "nas/accuracy/reference.h"
#include "nas/accuracy/scorer.h"
#include "nas/search/space.h"
#include "sim/cli/cli_util.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::cli {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct ProxyEvalOptions {
  ScoringFlags flags;
  std::string space, hw, out, reference;
  int samples = 50;
  std::vector<int> train_steps;
  ProgressFlags progress;
};

// A scatter plot per signal (x: the signal, log-scaled when it spans decades; y: the target accuracy).
std::string scatter_svg(const std::vector<std::string>& proxies, const std::vector<std::vector<double>>& x,
                        const std::vector<double>& y, const std::map<std::string, std::pair<double, double>>& rank) {
  constexpr int kW = 260, kH = 220, kCols = 4, kPad = 36;
  const int rows = static_cast<int>((proxies.size() + kCols - 1) / kCols);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kW * kCols, kH * rows);
  for (size_t p = 0; p < proxies.size(); ++p) {
    const int ox = static_cast<int>(p % kCols) * kW, oy = static_cast<int>(p / kCols) * kH;
    std::vector<std::pair<double, double>> pts;
    bool positive = true;
    for (size_t i = 0; i < y.size(); ++i)
      if (std::isfinite(x[p][i]) && std::isfinite(y[i])) {
        pts.push_back({x[p][i], y[i]});
        positive = positive && x[p][i] > 0;
      }
    double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
    for (auto [a, b] : pts) xmin = std::min(xmin, a), xmax = std::max(xmax, a), ymin = std::min(ymin, b), ymax = std::max(ymax, b);
    const bool logx = positive && !pts.empty() && xmax / xmin > 100;
    auto fx = [&](double v) { return logx ? std::log10(v) : v; };
    const double x0 = pts.empty() ? 0 : fx(xmin), x1 = pts.empty() ? 1 : fx(xmax);
    const double xs = x1 > x0 ? x1 - x0 : 1, ys = ymax > ymin ? ymax - ymin : 1;
    const auto& [rho, tau] = rank.at(proxies[p]);
    svg += fmt::format("<g transform=\"translate({},{})\">\n", ox, oy);
    svg += fmt::format("<rect x=\"{}\" y=\"10\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", kPad,
                       kW - kPad - 8, kH - kPad - 10);
    svg += fmt::format("<text x=\"{}\" y=\"9\">{}{}: Spearman {:.3f}, Kendall {:.3f}</text>\n", kPad, proxies[p],
                       logx ? " (log)" : "", rho, tau);
    svg += fmt::format("<text x=\"2\" y=\"{}\" transform=\"rotate(-90 10 {})\">accuracy {:.3f}-{:.3f}</text>\n",
                       kH / 2 + 40, kH / 2, ymin, ymax);
    for (auto [a, b] : pts) {
      const double px = kPad + 4 + (fx(a) - x0) / xs * (kW - kPad - 16);
      const double py = kH - kPad - 4 - (b - ymin) / ys * (kH - kPad - 22);
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"#1f77b4\" fill-opacity=\"0.7\"/>\n", px, py);
    }
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}


std::string csv_number(const nas::AccuracyResult& r) { return r.ok ? fmt::format("{:.9g}", r.score) : ""; }

struct Candidate {
  std::string desc, key;
  ModelSpec spec;
  Network net;
  double target = std::numeric_limits<double>::quiet_NaN();
};

// Below this many architectures a bootstrap interval is too coarse to recommend a signal by (three
// points give [1, 1] whenever they happen to be in order).
constexpr size_t kMinForRecommendation = 10;

struct Signal {
  std::string name;
  std::unique_ptr<nas::AccuracyScorer> scorer;
  int train_steps = 0;  // a short-training signal
  double seconds = 0;
  std::vector<double> values;
};

int run_proxy_eval(const ProxyEvalOptions& o) {
  const ProgressMode progress_style = o.progress.mode();
  const bool against_reference = !o.reference.empty();
  const std::vector<int> budgets = o.train_steps.empty() ? std::vector<int>{against_reference ? 0 : 100} : o.train_steps;
  if (!against_reference && budgets.size() != 1)
    throw input_error("--train-steps: expected one budget (the target) without --reference, got {}", budgets.size());
  const std::filesystem::path dir(o.out);
  create_output_folder("--out", o.out);
  const std::string csv_path = (dir / "proxy_eval.csv").string(), summary_path = (dir / "summary.json").string(),
                    svg_path = (dir / "scatter.svg").string();
  check_outputs({{"--out", csv_path}, {"--out", summary_path}, {"--out", svg_path}});
  nas::SearchSpace space = nas::load_space(o.space, read_hw(o.hw));

  // The signals: every scorer but the trainers (the supernet only with its weights), and in
  // reference mode each short-training budget.
  std::vector<Signal> signals;
  for (const std::string& n : nas::scorer_names())
    if (n != "train" && n != "cmd" && (n != "supernet" || !o.flags.scorer.supernet.empty()))
      signals.push_back({n, nas::make_scorer(n, o.flags.scorer), 0, 0, {}});
  size_t trained_so_far = 0;
  std::optional<Progress> progress;
  auto trainer = [&](int steps) {
    nas::ScorerOptions t = o.flags.scorer;
    t.train_steps = steps;
    t.on_train_step = [&progress, &trained_so_far, steps](int done) {
      progress->update(trained_so_far, fmt::format("training {}/{} steps", done, steps));
    };
    return nas::make_scorer("train", t);
  };
  std::unique_ptr<nas::AccuracyScorer> target_trainer;
  if (against_reference) {
    for (int steps : budgets)
      if (steps > 0) signals.push_back({fmt::format("train{}", steps), trainer(steps), steps, 0, {}});
  } else {
    if (budgets[0] < 1) throw input_error("--train-steps: expected a positive budget, got {}", budgets[0]);
    target_trainer = trainer(budgets[0]);
  }

  // The reference's means, and how far its own seed noise lets any signal agree with them.
  const nas::ReferenceFile reference =
      against_reference ? nas::read_reference(o.reference) : nas::ReferenceFile{{}, std::numeric_limits<double>::quiet_NaN()};
  const double ceiling = reference.noise_ceiling;
  std::vector<Candidate> candidates;
  if (against_reference) {
    for (const nas::ReferenceAccuracy& r : reference.archs) {
      const nas::Arch arch = nas::parse_arch_key(r.key);
      nas::check_arch(space, arch);
      ModelSpec spec = nas::to_model_spec(space, arch);
      Network net = expand(spec, o.space);
      candidates.push_back({r.desc, r.key, std::move(spec), std::move(net), r.accuracy});
    }
    if (candidates.size() < 2)
      throw input_error("{}: expected at least 2 trained architectures, found {}", o.reference, candidates.size());
  } else {
    std::mt19937_64 rng(o.flags.seed);
    for (int i = 0; i < o.samples; ++i) {
      const nas::Arch arch = nas::random_arch(space, rng);
      ModelSpec spec = nas::to_model_spec(space, arch);
      Network net = expand(spec, o.space);
      candidates.push_back({nas::describe(space, arch), nas::arch_key(arch), std::move(spec), std::move(net)});
    }
  }

  progress.emplace("proxy-eval", candidates.size(), "architectures", progress_style);
  std::string csv = "index,arch,key";
  for (const Signal& s : signals) csv += "," + s.name;
  csv += against_reference ? ",reference_accuracy\n" : ",train_accuracy\n";
  double target_seconds = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    const uint64_t seed = o.flags.seed + static_cast<uint64_t>(i);
    csv += fmt::format("{},\"{}\",{}", i, c.desc, c.key);
    for (Signal& s : signals) {
      const auto t0 = Clock::now();
      const nas::AccuracyResult r = s.scorer->score(c.spec, c.net, seed);
      s.seconds += seconds_since(t0);
      csv += "," + csv_number(r);
      s.values.push_back(r.ok ? r.score : std::numeric_limits<double>::quiet_NaN());
    }
    if (target_trainer) {
      const auto t0 = Clock::now();
      const nas::AccuracyResult acc = target_trainer->score(c.spec, c.net, seed);
      target_seconds += seconds_since(t0);
      c.target = acc.ok ? acc.score : std::numeric_limits<double>::quiet_NaN();
      progress->note(fmt::format("nesim: proxy-eval [{}/{}] {}: accuracy {}", i + 1, candidates.size(), c.desc,
                                 acc.ok ? fmt::format("{:.4f}", acc.score) : "failed: " + acc.error));
    }
    csv += "," + (std::isfinite(c.target) ? fmt::format("{:.9g}", c.target) : std::string()) + "\n";
    progress->update(++trained_so_far);
  }
  progress->finish();

  std::vector<double> y;
  for (const Candidate& c : candidates) y.push_back(c.target);
  nlohmann::ordered_json summary;
  summary["space"] = o.space;
  summary["target"] = against_reference ? "reference" : fmt::format("train{}", budgets[0]);
  if (against_reference) {
    summary["reference"] = o.reference;
    summary["reference_noise_ceiling"] =
        nas::finite_or_null(ceiling);
  }
  summary["candidates"] = candidates.size();
  summary["seed"] = o.flags.seed;
  summary["proxy_task"] = {{"input_size", o.flags.scorer.input_size}, {"skip_strides", o.flags.scorer.skip_strides}};
  summary["eval_images"] = o.flags.scorer.eval_images;
  std::map<std::string, std::pair<double, double>> rank;
  std::vector<std::string> names;
  std::vector<std::vector<double>> xs;
  std::string best, recommended;
  double recommended_cost = std::numeric_limits<double>::infinity();
  for (const Signal& s : signals) {
    const nas::RankAgreement a = nas::rank_agreement(s.values, y, o.flags.seed);
    const double cost = s.seconds / static_cast<double>(candidates.size());
    rank[s.name] = {a.spearman, a.kendall};
    names.push_back(s.name);
    xs.push_back(s.values);
    nlohmann::ordered_json figures = nas::agreement_json(a);
    figures["seconds_per_candidate"] = cost;
    summary["signals"][s.name] = figures;
    if (std::isfinite(a.spearman) && (best.empty() || a.spearman > rank[best].first)) best = s.name;
    // The rule docs/accuracy.md states: the cheapest signal whose whole interval lies above 0.6,
    // over enough architectures for the interval to mean something.
    if (a.n >= kMinForRecommendation && std::isfinite(a.spearman_lo) && a.spearman_lo > 0.6 && cost < recommended_cost)
      recommended = s.name, recommended_cost = cost;
  }
  summary["best_signal"] = best;
  summary["recommended_signal"] = recommended.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(recommended);
  if (!against_reference) summary["train_seconds_per_candidate"] = target_seconds / static_cast<double>(candidates.size());
  OutputFiles out;
  out.add(csv_path, csv);
  out.add(summary_path, json_text(summary, 2) + "\n");
  out.add(svg_path, scatter_svg(names, xs, y, rank));
  out.commit();
  for (const Signal& s : signals) {
    const auto& j = summary["signals"][s.name];
    auto f = [](const nlohmann::ordered_json& v) { return v.is_null() ? std::string("  n/a") : fmt::format("{:6.3f}", v.get<double>()); };
    fmt::print("{:10} Spearman {} [{}, {}]  Kendall {} [{}, {}]  ({:.3f} s per network)\n", s.name, f(j["spearman"]),
               f(j["spearman_ci95"][0]), f(j["spearman_ci95"][1]), f(j["kendall"]), f(j["kendall_ci95"][0]),
               f(j["kendall_ci95"][1]), s.seconds / static_cast<double>(candidates.size()));
  }
  fmt::print("{} candidates against {}{}; best signal: {}; recommended (cheapest with Spearman's interval above 0.6): "
             "{}; wrote {}, {}, {}\n",
             candidates.size(), summary["target"].get<std::string>(),
             std::isfinite(ceiling) ? fmt::format(" (whose seed noise caps any signal near {:.2f})", ceiling) : "",
             best.empty() ? "none" : best,
             recommended.empty() ? "none qualifies" : recommended, csv_path, summary_path, svg_path);
  return 0;
}

}  // namespace

Command add_proxy_eval_command(CLI::App& parent) {
  auto o = std::make_shared<ProxyEvalOptions>();
  CLI::App* app = parent.add_subcommand(
      "proxy-eval", "Rank correlation (with bootstrap 95 % intervals) of every accuracy signal with trained accuracy");
  app->add_option("--space", o->space, "Search space file, e.g. nas/spaces/classifier.yaml")->required();
  app->add_option("--hw", o->hw, "Engine the space's channel grid is resolved against")
      ->default_val(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
  app->add_option("--reference", o->reference,
                  "Score against this trained reference (DIR/reference.json of nesim reference) instead of sampling");
  app->add_option("--samples", o->samples, "Without --reference: architectures to sample")->check(CLI::Range(2, 100000));
  app->add_option("--train-steps", o->train_steps,
                  "Short-training budgets (SGD steps): the target without --reference (one value, default 100); "
                  "signals with it (e.g. 60,120,300)")
      ->delimiter(',')
      ->check(CLI::Range(1, 10000000));
  app->add_option("--out", o->out, "Output folder: proxy_eval.csv, summary.json, scatter.svg")->required();
  add_scoring_flags(app, o->flags);
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_proxy_eval(*o); }};
}

}  // namespace nesim::cli
