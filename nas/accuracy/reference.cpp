#include "nas/accuracy/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include <fmt/format.h>

#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

namespace nesim::nas {
namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct SeedStats {
  size_t ok = 0;
  double mean = kNaN, sd = kNaN, min = kNaN, max = kNaN, seconds = 0;
};

SeedStats seed_stats(const ReferenceTable& t, const std::string& key) {
  SeedStats s;
  std::vector<double> acc;
  for (uint64_t seed : t.seeds)
    if (const ReferenceRun* r = t.run(key, seed)) {
      s.seconds += r->seconds;
      if (r->ok) acc.push_back(r->accuracy);
    }
  s.ok = acc.size();
  if (acc.empty()) return s;
  double sum = 0;
  for (double a : acc) sum += a;
  s.mean = sum / static_cast<double>(acc.size());
  double ss = 0;
  for (double a : acc) ss += (a - s.mean) * (a - s.mean);
  s.sd = acc.size() > 1 ? std::sqrt(ss / static_cast<double>(acc.size() - 1)) : kNaN;
  s.min = *std::min_element(acc.begin(), acc.end());
  s.max = *std::max_element(acc.begin(), acc.end());
  return s;
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : ""; }

}  // namespace

std::vector<ReferenceArch> spread_archs(const SearchSpace& space, const std::string& where, const ClassifierShape& shape,
                                        int count, int pool, uint64_t seed) {
  if (count < 2) throw input_error("--archs: expected at least 2 architectures, got {}", count);
  if (pool < count) throw input_error("--pool: expected at least --archs ({}) candidates, got {}", count, pool);
  std::mt19937_64 rng(seed);
  std::set<std::string> seen;
  std::vector<ReferenceArch> all;
  for (int i = 0; i < pool; ++i) {
    const Arch a = random_arch(space, rng);
    const std::string key = arch_key(a);
    if (!seen.insert(key).second) continue;
    const ModelSpec spec = to_model_spec(space, a);
    const Network trained = classifier_network(spec, expand(spec, where), shape);
    ReferenceArch r{key, describe(space, a), 0, 0};
    for (const Layer& l : trained.layers) r.params += layer_params(trained, l), r.macs += layer_macs(trained, l);
    all.push_back(std::move(r));
  }
  if (static_cast<int>(all.size()) < count)
    throw input_error("{}: {} random candidates gave only {} distinct architectures, fewer than --archs {}", where, pool,
                      all.size(), count);
  std::sort(all.begin(), all.end(), [](const ReferenceArch& a, const ReferenceArch& b) {
    return a.params != b.params ? a.params < b.params : a.key < b.key;
  });
  std::vector<ReferenceArch> out;
  for (int i = 0; i < count; ++i) {
    const size_t at = static_cast<size_t>(std::llround(static_cast<double>(i) * static_cast<double>(all.size() - 1) /
                                                        static_cast<double>(count - 1)));
    out.push_back(all[at]);
  }
  return out;
}

std::string to_journal_line(const ReferenceRun& r) {
  nlohmann::ordered_json j;
  j["key"] = r.key;
  j["seed"] = r.seed;
  j["ok"] = r.ok;
  if (r.ok) j["accuracy"] = r.accuracy;
  else j["error"] = r.error;
  j["seconds"] = r.seconds;
  if (!r.trainer.empty()) j["trainer"] = r.trainer;
  return j.dump();
}

ReferenceRun parse_reference_run(const std::string& line, const std::string& where) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    return input_error("{}: {}; the reference cannot be resumed from it: delete the line or the folder", where, what);
  };
  if (!j.is_object()) throw bad("expected one JSON object per line");
  ReferenceRun r;
  if (!j.contains("key") || !j["key"].is_string()) throw bad("expected a string 'key'");
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) throw bad("expected an unsigned integer 'seed'");
  if (!j.contains("ok") || !j["ok"].is_boolean()) throw bad("expected a boolean 'ok'");
  if (!j.contains("seconds") || !j["seconds"].is_number()) throw bad("expected a number 'seconds'");
  r.key = j["key"].get<std::string>();
  r.seed = j["seed"].get<uint64_t>();
  r.ok = j["ok"].get<bool>();
  r.seconds = j["seconds"].get<double>();
  if (j.contains("trainer")) {
    if (!j["trainer"].is_string()) throw bad("expected a string 'trainer'");
    r.trainer = j["trainer"].get<std::string>();
  }
  if (r.ok) {
    if (!j.contains("accuracy") || !j["accuracy"].is_number()) throw bad("expected a number 'accuracy'");
    r.accuracy = j["accuracy"].get<double>();
    if (!(r.accuracy >= 0 && r.accuracy <= 1)) throw bad(fmt::format("accuracy {} is outside [0, 1]", r.accuracy));
  } else {
    if (!j.contains("error") || !j["error"].is_string()) throw bad("expected a string 'error' for a failed run");
    r.error = j["error"].get<std::string>();
  }
  return r;
}

const ReferenceRun* ReferenceTable::run(const std::string& key, uint64_t seed) const {
  auto it = runs.find({key, seed});
  return it == runs.end() ? nullptr : &it->second;
}

double ReferenceTable::mean_accuracy(const std::string& key) const { return seed_stats(*this, key).mean; }

RankAgreement ReferenceTable::test_retest(uint64_t bootstrap_seed) const {
  std::vector<double> a, b;
  if (seeds.size() >= 2)
    for (const ReferenceArch& arch : archs) {
      const ReferenceRun* x = run(arch.key, seeds[0]);
      const ReferenceRun* y = run(arch.key, seeds[1]);
      if (x && y && x->ok && y->ok) a.push_back(x->accuracy), b.push_back(y->accuracy);
    }
  return rank_agreement(a, b, bootstrap_seed);
}

RankAgreement ReferenceTable::test_retest_of_means(uint64_t bootstrap_seed) const {
  const size_t half = seeds.size() / 2;
  std::vector<double> a, b;
  if (half >= 2)
    for (const ReferenceArch& arch : archs) {
      double sum[2] = {0, 0};
      bool all = true;
      for (size_t i = 0; i < 2 * half && all; ++i) {
        const ReferenceRun* r = run(arch.key, seeds[i]);
        all = r && r->ok;
        if (all) sum[i / half] += r->accuracy;
      }
      if (all) a.push_back(sum[0] / static_cast<double>(half)), b.push_back(sum[1] / static_cast<double>(half));
    }
  return rank_agreement(a, b, bootstrap_seed);
}

SeedNoise ReferenceTable::seed_noise() const {
  std::vector<std::vector<double>> groups;
  for (const ReferenceArch& arch : archs) {
    std::vector<double> acc;
    for (uint64_t seed : seeds)
      if (const ReferenceRun* r = run(arch.key, seed); r && r->ok) acc.push_back(r->accuracy);
    if (acc.size() >= 2) groups.push_back(std::move(acc));
  }
  SeedNoise n;
  n.archs = groups.size();
  n.seeds_per_arch = n.arch_sd = n.seed_sd = n.icc1 = n.icc_mean = n.noise_ceiling = n.seeds_for_0_8 = kNaN;
  if (groups.size() < 2) return n;
  double total = 0, grand = 0, sum_sq_sizes = 0;
  for (const auto& g : groups) {
    for (double a : g) grand += a;
    total += static_cast<double>(g.size());
    sum_sq_sizes += static_cast<double>(g.size() * g.size());
  }
  grand /= total;
  double between = 0, within = 0;  // sums of squares
  for (const auto& g : groups) {
    double mean = 0;
    for (double a : g) mean += a;
    mean /= static_cast<double>(g.size());
    between += static_cast<double>(g.size()) * (mean - grand) * (mean - grand);
    for (double a : g) within += (a - mean) * (a - mean);
  }
  const double a = static_cast<double>(groups.size());
  const double msb = between / (a - 1), msw = within / (total - a);
  const double k0 = (total - sum_sq_sizes / total) / (a - 1);
  const double arch_var = (msb - msw) / k0;  // may come out negative: no spread beyond noise
  n.seeds_per_arch = k0;
  n.seed_sd = std::sqrt(msw);
  n.arch_sd = std::sqrt(std::max(0.0, arch_var));
  if (msb > 0) {
    n.icc1 = arch_var / (arch_var + msw);
    n.icc_mean = (msb - msw) / msb;
    n.noise_ceiling = std::sqrt(std::max(0.0, n.icc_mean));
  }
  if (n.icc1 > 0) n.seeds_for_0_8 = 0.8 * (1 - n.icc1) / (n.icc1 * (1 - 0.8));
  return n;
}

nlohmann::ordered_json seed_noise_json(const SeedNoise& n) {
  nlohmann::ordered_json j;
  j["archs"] = n.archs;
  j["seeds_per_arch"] = finite_or_null(n.seeds_per_arch);
  j["arch_sd"] = finite_or_null(n.arch_sd);
  j["seed_sd"] = finite_or_null(n.seed_sd);
  j["icc1"] = finite_or_null(n.icc1);
  j["icc_mean"] = finite_or_null(n.icc_mean);
  j["noise_ceiling"] = finite_or_null(n.noise_ceiling);
  j["seeds_for_0_8"] = finite_or_null(n.seeds_for_0_8);
  return j;
}

std::string ReferenceTable::csv() const {
  std::string out = "index,arch,key,params,macs,seeds_ok,accuracy_mean,accuracy_sd,accuracy_min,accuracy_max,"
                    "train_seconds\n";
  for (size_t i = 0; i < archs.size(); ++i) {
    const ReferenceArch& a = archs[i];
    const SeedStats s = seed_stats(*this, a.key);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{:.1f}\n", i, csv_quote(a.desc), a.key, a.params, a.macs, s.ok,
                       number(s.mean), number(s.sd), number(s.min), number(s.max), s.seconds);
  }
  return out;
}

nlohmann::ordered_json ReferenceTable::archs_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < archs.size(); ++i) {
    const ReferenceArch& a = archs[i];
    const SeedStats s = seed_stats(*this, a.key);
    nlohmann::ordered_json j;
    j["index"] = i;
    j["key"] = a.key;
    j["arch"] = a.desc;
    j["params"] = a.params;
    j["macs"] = a.macs;
    nlohmann::ordered_json acc = nlohmann::ordered_json::object();
    for (uint64_t seed : seeds)
      if (const ReferenceRun* r = run(a.key, seed)) {
        if (r->ok) acc[std::to_string(seed)] = r->accuracy;
        else acc[std::to_string(seed)] = nullptr;
      }
    j["accuracy"] = acc;
    j["mean"] = finite_or_null(s.mean);
    j["sd"] = finite_or_null(s.sd);
    j["seconds"] = s.seconds;
    out.push_back(std::move(j));
  }
  return out;
}

ReferenceFile read_reference(const std::string& path) {
  const json j = json::parse(read_input_file(path, "reference"), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("archs") || !j["archs"].is_array())
    throw input_error("{}: expected a reference.json written by `nesim reference` (an object with an 'archs' array)",
                      path);
  ReferenceFile out;
  out.noise_ceiling = kNaN;
  if (j.contains("seed_noise") && j["seed_noise"].is_object() && j["seed_noise"].contains("noise_ceiling")) {
    const json& c = j["seed_noise"]["noise_ceiling"];
    if (!c.is_null() && !c.is_number())
      throw input_error("{}: seed_noise.noise_ceiling: expected a number or null", path);
    if (c.is_number()) out.noise_ceiling = c.get<double>();
  }
  for (size_t i = 0; i < j["archs"].size(); ++i) {
    const json& a = j["archs"][i];
    const std::string at = fmt::format("{}: archs[{}]", path, i);
    if (!a.is_object() || !a.contains("key") || !a["key"].is_string() || !a.contains("arch") || !a["arch"].is_string() ||
        !a.contains("params") || !a["params"].is_number_integer() || !a.contains("macs") ||
        !a["macs"].is_number_integer() || !a.contains("mean"))
      throw input_error("{}: expected key, arch, params, macs and mean", at);
    if (a["mean"].is_null()) continue;  // every run of it failed
    if (!a["mean"].is_number()) throw input_error("{}: 'mean': expected a number or null", at);
    out.archs.push_back({a["key"].get<std::string>(), a["arch"].get<std::string>(), a["params"].get<int64_t>(),
                   a["macs"].get<int64_t>(), a["mean"].get<double>()});
  }
  return out;
}

}  // namespace nesim::nas
