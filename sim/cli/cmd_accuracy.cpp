// `nesim accuracy` (one network under one scorer) and `nesim proxy-eval` (how well each zero-shot
// proxy ranks sampled architectures against short training): nas/accuracy, nas/torch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "nas/regressor/accuracy.h"
#include "nas/search/space.h"
#include "sim/cli/cli_util.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_loader.h"
#include "sim/report/output_file.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The block-level spec (empty for SCALE-Sim topologies) and its expansion.
std::pair<ModelSpec, Network> read_model_and_spec(const std::string& path) {
  Network net = read_model(path);
  ModelSpec spec;
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml") spec = load_model_spec(path);
  return {spec, net};
}

struct AccuracyCliOptions {
  ScoringFlags flags;
  std::string model, proxy, accuracy_cmd, json;
  int train_steps = 0;
  ProgressFlags progress;
};

int run_accuracy(AccuracyCliOptions o) {
  const ProgressMode progress_style = o.progress.mode();
  check_outputs({{"--json", o.json}});
  std::string scorer_name = nas::default_proxy();
  const int chosen = !o.proxy.empty() + (o.train_steps > 0) + !o.accuracy_cmd.empty();
  if (chosen > 1) throw input_error("--proxy, --train and --accuracy-cmd: expected at most one of them");
  if (!o.proxy.empty()) scorer_name = o.proxy;
  std::optional<Progress> progress;  // only short training takes long enough to need one
  if (o.train_steps > 0) {
    scorer_name = "train";
    o.flags.scorer.train_steps = o.train_steps;
    progress.emplace("train", static_cast<size_t>(o.train_steps), "steps", progress_style);
    o.flags.scorer.on_train_step = [&progress](int done) { progress->update(static_cast<size_t>(done)); };
  }
  if (!o.accuracy_cmd.empty()) {
    scorer_name = "cmd";
    o.flags.scorer.command = o.accuracy_cmd;
  }
  std::unique_ptr<nas::AccuracyScorer> scorer = nas::make_scorer(scorer_name, o.flags.scorer);
  auto [spec, net] = read_model_and_spec(o.model);
  const auto t0 = Clock::now();
  nas::AccuracyResult r = scorer->score(spec, net, o.flags.seed);
  const double seconds = seconds_since(t0);
  if (progress) progress->finish();
  nlohmann::ordered_json j;
  j["model"] = net.name;
  j["scorer"] = scorer_name;
  j["input_size"] = o.flags.scorer.input_size;
  j["skip_strides"] = o.flags.scorer.skip_strides;
  j["seed"] = o.flags.seed;
  j["ok"] = r.ok;
  if (r.ok) j["score"] = r.score;
  else j["error"] = r.error;
  if (!o.json.empty()) {
    OutputFiles out;
    out.add(o.json, json_text(j, 2) + "\n");
    out.commit();
  }
  if (o.json != "-") {
    if (r.ok) fmt::print("{}: {} = {:.6g} ({:.2f} s)\n", net.name, scorer_name, r.score, seconds);
    else fmt::print("{}: {} failed: {} ({:.2f} s)\n", net.name, scorer_name, r.error, seconds);
  }
  return r.ok ? 0 : 1;
}

struct ProxyEvalOptions {
  ScoringFlags flags;
  std::string space, hw, out;
  int samples = 50;
  int train_steps = 100;
  ProgressFlags progress;
};

// A scatter plot per proxy (x: the proxy, log-scaled when it spans decades; y: trained accuracy).
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

int run_proxy_eval(const ProxyEvalOptions& o) {
  const ProgressMode progress_style = o.progress.mode();
  const std::filesystem::path dir(o.out);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw input_error("--out {}: cannot create the folder: {}", o.out, ec.message());
  const std::string csv_path = (dir / "proxy_eval.csv").string(), summary_path = (dir / "summary.json").string(),
                    svg_path = (dir / "scatter.svg").string();
  check_outputs({{"--out", csv_path}, {"--out", summary_path}, {"--out", svg_path}});
  nas::SearchSpace space = nas::load_space(o.space, read_hw(o.hw));

  std::vector<std::string> proxies;
  for (const std::string& n : nas::scorer_names())
    if (n != "train" && n != "cmd" && (n != "supernet" || !o.flags.scorer.supernet.empty())) proxies.push_back(n);
  std::vector<std::unique_ptr<nas::AccuracyScorer>> scorers;
  for (const std::string& n : proxies) scorers.push_back(nas::make_scorer(n, o.flags.scorer));
  // Architectures done, with the current one's training steps, so that a minute of training shows.
  Progress progress("proxy-eval", static_cast<size_t>(o.samples), "architectures", progress_style);
  size_t trained_so_far = 0;
  nas::ScorerOptions train_options = o.flags.scorer;
  train_options.train_steps = o.train_steps;
  train_options.on_train_step = [&](int done) {
    progress.update(trained_so_far, fmt::format("training {}/{} steps", done, o.train_steps));
  };
  std::unique_ptr<nas::AccuracyScorer> trainer = nas::make_scorer("train", train_options);

  std::mt19937_64 rng(o.flags.seed);
  std::string csv = "index,arch,key";
  for (const std::string& p : proxies) csv += "," + p;
  csv += ",train_accuracy\n";
  std::vector<std::vector<double>> x(proxies.size());
  std::vector<double> y;
  std::vector<double> proxy_seconds(proxies.size(), 0);
  double train_seconds = 0;
  for (int i = 0; i < o.samples; ++i) {
    const nas::Arch arch = nas::random_arch(space, rng);
    const ModelSpec spec = nas::to_model_spec(space, arch);
    const Network net = expand(spec, o.space);
    const std::string desc = nas::describe(space, arch);
    csv += fmt::format("{},\"{}\",{}", i, desc, nas::arch_key(arch));
    const uint64_t seed = o.flags.seed + static_cast<uint64_t>(i);
    std::vector<double> row;
    for (size_t p = 0; p < proxies.size(); ++p) {
      const auto t0 = Clock::now();
      nas::AccuracyResult r = scorers[p]->score(spec, net, seed);
      proxy_seconds[p] += seconds_since(t0);
      csv += "," + csv_number(r);
      row.push_back(r.ok ? r.score : std::numeric_limits<double>::quiet_NaN());
    }
    const auto t0 = Clock::now();
    nas::AccuracyResult acc = trainer->score(spec, net, seed);
    const double t = seconds_since(t0);
    train_seconds += t;
    csv += "," + csv_number(acc) + "\n";
    progress.note(fmt::format("nesim: proxy-eval [{}/{}] {}: accuracy {} ({:.1f} s)", i + 1, o.samples, desc,
                              acc.ok ? fmt::format("{:.4f}", acc.score) : "failed: " + acc.error, t));
    progress.update(++trained_so_far);
    if (!acc.ok) continue;
    y.push_back(acc.score);
    for (size_t p = 0; p < proxies.size(); ++p) x[p].push_back(row[p]);
  }

  progress.finish();

  // Rank correlation over the candidates where both the proxy and training succeeded.
  nlohmann::ordered_json summary;
  summary["space"] = o.space;
  summary["samples"] = o.samples;
  summary["trained"] = y.size();
  summary["seed"] = o.flags.seed;
  summary["train_steps"] = o.train_steps;
  summary["input_size"] = o.flags.scorer.input_size;
  summary["skip_strides"] = o.flags.scorer.skip_strides;
  summary["eval_images"] = o.flags.scorer.eval_images;
  std::map<std::string, std::pair<double, double>> rank;
  std::string best;
  for (size_t p = 0; p < proxies.size(); ++p) {
    std::vector<double> a, b;
    for (size_t i = 0; i < y.size(); ++i)
      if (std::isfinite(x[p][i])) a.push_back(x[p][i]), b.push_back(y[i]);
    const double rho = a.size() >= 2 ? nas::spearman_rho(a, b) : std::nan("");
    const double tau = a.size() >= 2 ? nas::kendall_tau_b(a, b) : std::nan("");
    rank[proxies[p]] = {rho, tau};
    summary["proxies"][proxies[p]] = {{"n", a.size()}, {"spearman", rho}, {"kendall", tau}};
    if (std::isfinite(rho) && (best.empty() || rho > rank[best].first)) best = proxies[p];
  }
  summary["best_proxy"] = best;
  OutputFiles out;
  out.add(csv_path, csv);
  out.add(summary_path, json_text(summary, 2) + "\n");
  out.add(svg_path, scatter_svg(proxies, x, y, rank));
  out.commit();
  for (size_t p = 0; p < proxies.size(); ++p)
    fmt::print("{:10} Spearman {:7.4f}  Kendall {:7.4f}  ({:.3f} s per network)\n", proxies[p], rank[proxies[p]].first,
               rank[proxies[p]].second, proxy_seconds[p] / std::max(1, o.samples));
  fmt::print("trained {} of {} candidates, {:.1f} s each; best proxy: {}; wrote {}, {}, {}\n", y.size(), o.samples,
             train_seconds / std::max(1, o.samples), best.empty() ? "none" : best, csv_path, summary_path, svg_path);
  return 0;
}

}  // namespace

Command add_accuracy_command(CLI::App& parent) {
  auto o = std::make_shared<AccuracyCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "accuracy", "Score one network's accuracy signal: a zero-shot proxy, short Fashion-MNIST training, or your trainer");
  app->add_option("--model,-m", o->model, "Model file")->required();
  app->add_option("--proxy", o->proxy,
                  fmt::format("Scorer name (default: {}; available: {})", nas::default_proxy(),
                              fmt::join(nas::scorer_names(), ", ")));
  app->add_option("--train", o->train_steps, "Train this many SGD steps on Fashion-MNIST; score = test accuracy")
      ->check(kPositive);
  app->add_option("--accuracy-cmd", o->accuracy_cmd,
                  "Your trainer: 'CMD {arch} {seed}', {arch} = the candidate's YAML; score = last stdout line");
  app->add_option("--accuracy-timeout", o->flags.scorer.timeout_s, "Seconds before --accuracy-cmd is killed")
      ->check(kPositive);
  app->add_option("--work-dir", o->flags.scorer.work_dir, "Where --accuracy-cmd candidates are written (in a private subdirectory; default $TMPDIR)");
  add_scoring_flags(app, o->flags);
  app->add_option("--json", o->json, "Write the result as JSON ('-': stdout)");
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_accuracy(*o); }};
}

Command add_proxy_eval_command(CLI::App& parent) {
  auto o = std::make_shared<ProxyEvalOptions>();
  CLI::App* app = parent.add_subcommand(
      "proxy-eval", "Rank correlation of every zero-shot proxy with short-trained accuracy on sampled architectures");
  app->add_option("--space", o->space, "Search space file, e.g. nas/spaces/classifier.yaml")->required();
  app->add_option("--hw", o->hw, "Engine the space's channel grid is resolved against")
      ->default_val(std::string(NESIM_SOURCE_DIR) + "/hwconfigs/ne-pf16.yaml");
  app->add_option("--samples", o->samples, "Architectures to sample")->check(CLI::Range(2, 100000));
  app->add_option("--train-steps", o->train_steps, "Short-training budget per architecture (SGD steps)")
      ->check(kPositive);
  app->add_option("--out", o->out, "Output folder: proxy_eval.csv, summary.json, scatter.svg")->required();
  add_scoring_flags(app, o->flags);
  add_progress_flags(app, o->progress);
  return {app, [o] { return run_proxy_eval(*o); }};
}

}  // namespace nesim::cli
