// advisor: does `nesim advise` only ever report what the simulator shows? Every step's before and
// after are re-simulated here from the step's own model, kept changes must help and meet the
// constraints, and the written model must simulate to the reported final cycles.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "nas/advisor/advisor.h"
#include "sim/engine/engine.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/model_spec.h"
#include "sim/util/error.h"

namespace fs = std::filesystem;
using namespace nesim;
using namespace nesim::nas;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kHwPath = kRoot + "/hwconfigs/ne-pf16.yaml";
const std::string kMnv2 = kRoot + "/models/mobilenet_v2_050.yaml";

const HwConfig& hw() {
  static const HwConfig h = load_hw_config(kHwPath);
  return h;
}
const ModelSpec& mnv2() {
  static const ModelSpec m = load_model_spec(kMnv2);
  return m;
}

// What the advisor must have measured, computed here without it.
struct Measured {
  int64_t cycles, params, macs, memory_bytes;
  double accuracy;
};
Measured measure(const ModelSpec& spec) {
  const Network net = expand(spec, "test");
  const SimResult sim = simulate(net, hw());
  const NetworkStats st = network_stats(net, hw().bytes_per_element());
  // The accuracy signal scores the proxy task's network (classifier_network), not the deployed one.
  return {sim.total_cycles, st.params, st.macs, st.params * hw().bytes_per_element() + st.peak_activation_bytes,
          entropy_score(classifier_network(spec, net, classifier_shape(ScorerOptions{})))};
}

void check_against_simulator(const ModelSpec& base, const AdviceResult& r) {
  ModelSpec current = unroll_repeats(base);
  Measured cur = measure(current);
  CHECK(r.base.total_cycles == cur.cycles);
  CHECK(r.base.memory_bytes == cur.memory_bytes);
  // Alternatives of one decision are all measured on the same model; the kept one (at most one)
  // becomes the model of the next decision.
  int decision = -1, kept_in_decision = 0;
  std::optional<std::pair<ModelSpec, Measured>> pending;
  for (const AdviceStep& s : r.steps) {
    CAPTURE(s.block);
    CAPTURE(s.change);
    if (s.decision != decision) {
      CHECK(s.decision > decision);
      decision = s.decision;
      kept_in_decision = 0;
      if (pending) std::tie(current, cur) = *pending;
      pending.reset();
    }
    CHECK(s.before.total_cycles == cur.cycles);
    CHECK(s.before.memory_bytes == cur.memory_bytes);
    if (!s.applicable) {
      CHECK_FALSE(s.kept);
      continue;
    }
    const Measured after = measure(s.candidate);
    CHECK(s.after.total_cycles == after.cycles);
    CHECK(s.after.params == after.params);
    CHECK(s.after.macs == after.macs);
    CHECK(s.after.memory_bytes == after.memory_bytes);
    CHECK(s.after.accuracy == doctest::Approx(after.accuracy).epsilon(1e-12));
    if (s.kept) {
      CHECK(++kept_in_decision == 1);
      pending = std::make_pair(s.candidate, after);
    }
  }
  if (pending) std::tie(current, cur) = *pending;
  CHECK(r.final.total_cycles == cur.cycles);
  CHECK(r.final.memory_bytes == cur.memory_bytes);
}

int count_kept(const AdviceResult& r, const std::string& rule) {
  int n = 0;
  for (const AdviceStep& s : r.steps) n += s.kept && (rule.empty() || s.rule == rule);
  return n;
}

}  // namespace

TEST_CASE("unrolling repeats keeps the network: same layer names, same simulated cycles") {
  for (const char* model : {"mobilenet_v2_050", "ssdlite_mobilenet_v2", "mobilenet_v3_small"}) {
    CAPTURE(model);
    const ModelSpec spec = load_model_spec(kRoot + "/models/" + model + ".yaml");
    const ModelSpec flat = unroll_repeats(spec);
    const Network a = expand(spec, "a"), b = expand(flat, "b");
    REQUIRE(a.layers.size() == b.layers.size());
    for (size_t i = 0; i < a.layers.size(); ++i) CHECK(a.layers[i].name == b.layers[i].name);
    CHECK(simulate(a, hw()).total_cycles == simulate(b, hw()).total_cycles);
    for (const StageSpec& st : flat.stages)
      for (const BlockSpec& bl : st.blocks) CHECK(bl.repeat == 1);
  }
}

TEST_CASE("the advisor never reports a gain the simulator does not show (latency)") {
  AdviseOptions o;
  const AdviceResult r = advise(mnv2(), hw(), o);
  check_against_simulator(mnv2(), r);
  for (const AdviceStep& s : r.steps)
    if (s.kept) CHECK(s.after.total_cycles < s.before.total_cycles);
  CHECK(r.final.total_cycles < r.base.total_cycles);

  // MobileNetV2 on ne-pf16: fused-IBN helps in the early, high-resolution stages and is rejected
  // in the late, wide ones (the simulator decides; this records what it says).
  bool early_fused = false, late_rejected = false;
  for (const AdviceStep& s : r.steps) {
    if (s.rule != "fuse_ibn") continue;
    if (s.kept && (s.block.rfind("s1", 0) == 0 || s.block.rfind("s2", 0) == 0)) early_fused = true;
    if (!s.kept && (s.block.rfind("s6", 0) == 0 || s.block.rfind("s7", 0) == 0)) late_rejected = true;
  }
  CHECK(early_fused);
  CHECK(late_rejected);
  // Reasons come from the simulator records.
  for (const AdviceStep& s : r.steps)
    if (s.rule == "fuse_ibn") CHECK(s.reason.find("depthwise runs at") != std::string::npos);
}

TEST_CASE("other engines and models: every step still matches an independent simulation") {
  // check_against_simulator() measures on ne-pf16; run the advisor there on other models, and on
  // other engines compare its totals with a direct simulation of what it wrote.
  const ModelSpec v3 = load_model_spec(kRoot + "/models/mobilenet_v3_small.yaml");
  check_against_simulator(v3, advise(v3, hw(), {}));
  for (const char* engine : {"systolic-32x32-os", "ne-pf64", "ne-pf8"}) {
    CAPTURE(engine);
    const HwConfig other = load_hw_config(kRoot + "/hwconfigs/" + engine + ".yaml");
    AdviseOptions o;
    o.objective = AdviseObjective::Memory;
    const AdviceResult r = advise(v3, other, o);
    CHECK(simulate(expand(r.model, "advised"), other).total_cycles == r.final.total_cycles);
    CHECK(simulate(expand(unroll_repeats(v3), "base"), other).total_cycles == r.base.total_cycles);
    for (const AdviceStep& s : r.steps)
      if (s.kept) CHECK(s.after.memory_bytes < s.before.memory_bytes);
  }
}

TEST_CASE("memory objective with iso-accuracy: gains are real and the score never drops") {
  AdviseOptions o;
  o.objective = AdviseObjective::Memory;
  o.iso_accuracy = true;
  const AdviceResult r = advise(mnv2(), hw(), o);
  check_against_simulator(mnv2(), r);
  CHECK(count_kept(r, "") > 0);
  for (const AdviceStep& s : r.steps) {
    if (!s.kept) continue;
    CAPTURE(s.change);
    CHECK(s.after.memory_bytes < s.before.memory_bytes);
    CHECK(s.after.accuracy >= r.base_accuracy - 1e-9 * r.base_accuracy);
  }
  CHECK(r.final.memory_bytes < r.base.memory_bytes);
  CHECK(r.final.accuracy >= r.base.accuracy - 1e-9 * r.base.accuracy);

  // Without iso-accuracy the same objective is free to trade the score away (and does).
  o.iso_accuracy = false;
  const AdviceResult free = advise(mnv2(), hw(), o);
  CHECK(free.final.memory_bytes <= r.final.memory_bytes);
}

TEST_CASE("kept changes never break a budget the model meets") {
  const AdviceEvaluation base = evaluate_model(mnv2(), hw(), {});
  SUBCASE("memory budget under the latency objective") {
    AdviseOptions o;
    o.max_memory_bytes = base.memory_bytes;
    const AdviceResult r = advise(mnv2(), hw(), o);
    check_against_simulator(mnv2(), r);
    int rejected_for_memory = 0;
    for (const AdviceStep& s : r.steps) {
      if (s.kept) CHECK(s.after.memory_bytes <= *o.max_memory_bytes);
      rejected_for_memory += !s.kept && s.reason.find("over the budget") != std::string::npos;
    }
    CHECK(rejected_for_memory > 0);  // fusing s1b0 adds parameters: the budget must bite
    CHECK(r.constraints_met);
  }
  SUBCASE("latency budget under the memory objective") {
    AdviseOptions o;
    o.objective = AdviseObjective::Memory;
    o.max_latency_ms = base.latency_ms;
    const AdviceResult r = advise(mnv2(), hw(), o);
    for (const AdviceStep& s : r.steps)
      if (s.kept) CHECK(s.after.latency_ms <= *o.max_latency_ms);
    CHECK(r.constraints_met);
  }
}

TEST_CASE("a latency budget: the widest multiplier that meets it") {
  const AdviceEvaluation base = evaluate_model(mnv2(), hw(), {});
  AdviseOptions o;
  // A budget the width rule alone misses and the channel rounding after it meets (0.8 did so
  // until DMA windows made the narrow networks' small transfers relatively dearer: issue 12).
  o.max_latency_ms = 0.81 * base.latency_ms;
  const AdviceResult r = advise(mnv2(), hw(), o);
  check_against_simulator(mnv2(), r);
  std::vector<const AdviceStep*> width;
  for (const AdviceStep& s : r.steps)
    if (s.rule == "width") width.push_back(&s);
  REQUIRE_FALSE(width.empty());
  // Tried from the widest down, stopping at the first that fits; when none fits, the fastest
  // that helps is kept (here 0.25 and 0.175 would change the residual structure: not applicable).
  const AdviceStep* kept = nullptr;
  for (const AdviceStep* s : width)
    if (s->kept) kept = s;
  REQUIRE(kept != nullptr);
  for (const AdviceStep* s : width) {
    if (!s->applicable) continue;
    if (kept->after.latency_ms <= *o.max_latency_ms) {
      if (s == kept) break;
      CHECK(s->after.latency_ms > *o.max_latency_ms);
    } else {
      CHECK(s->after.latency_ms >= kept->after.latency_ms);
    }
  }
  CHECK(r.constraints_met);  // the channel rounding after the width rule gets it under
  CHECK(r.final.latency_ms <= *o.max_latency_ms);
}

TEST_CASE("the transformed model round-trips through YAML and simulates to the reported cycles") {
  const AdviceResult r = advise(mnv2(), hw(), {});
  const ModelSpec back = parse_model_yaml(to_yaml(r.model), "advised.yaml");
  const Network net = expand(back, "advised.yaml");
  CHECK(simulate(net, hw()).total_cycles == r.final.total_cycles);
  CHECK(to_yaml(back) == to_yaml(r.model));
}

TEST_CASE("deterministic: the same inputs give the same report and model") {
  AdviseOptions o;
  o.objective = AdviseObjective::Memory;
  const AdviceResult a = advise(mnv2(), hw(), o), b = advise(mnv2(), hw(), o);
  CHECK(advice_json(a, hw(), o) == advice_json(b, hw(), o));
  CHECK(advice_table(a, hw()) == advice_table(b, hw()));
  CHECK(to_yaml(a.model) == to_yaml(b.model));
}

TEST_CASE("depthwise-separable blocks are offered as full convolutions") {
  const ModelSpec spec = parse_model_yaml(R"(name: dws
input: [3, 64, 64]
stem:
  - {type: conv, out: 16, kernel: 3, stride: 2}
stages:
  - blocks:
      - {type: dwsep, out: 32, repeat: 2}
head:
  - {type: global_pool}
  - {type: fc, out: 10}
)",
                                          "dws.yaml");
  const AdviceResult r = advise(spec, hw(), {});
  check_against_simulator(spec, r);
  int tried = 0;
  for (const AdviceStep& s : r.steps) {
    if (s.rule != "dw_to_conv") continue;
    ++tried;
    CHECK(s.change == "dwsep -> conv");
    CHECK(s.reason.find("depthwise runs at") != std::string::npos);
  }
  CHECK(tried == 2);  // the repeat was split: one decision per block
}

TEST_CASE("bad options are InputErrors") {
  CHECK_THROWS_AS(parse_objective("speed"), InputError);
  AdviseOptions o;
  o.max_memory_bytes = -5;
  CHECK_THROWS_AS(advise(mnv2(), hw(), o), InputError);
  o = {};
  o.max_latency_ms = -1.0;
  CHECK_THROWS_AS(advise(mnv2(), hw(), o), InputError);
  o = {};
  o.accuracy = "no_such_scorer";
  CHECK_THROWS_AS(advise(mnv2(), hw(), o), InputError);
}

namespace {

struct Cli {
  int status;
  std::string err;
};

Cli run_cli(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / ".out", err = dir / ".err";
  const std::string cmd = fmt::format("'{}' advise {} >'{}' 2>'{}'", NESIM_BINARY, args, out.string(), err.string());
  const int raw = std::system(cmd.c_str());
  std::ifstream e(err);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, std::string(std::istreambuf_iterator<char>(e), {})};
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_CASE("nesim advise: files, byte-identical reruns, exit status 2 on bad input") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("nesim_advise_{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string base = fmt::format("--model '{}' --hw '{}' -q", kMnv2, kHwPath);

  const std::string y1 = (dir / "a.yaml").string(), j1 = (dir / "a.json").string();
  const std::string y2 = (dir / "b.yaml").string(), j2 = (dir / "b.json").string();
  REQUIRE(run_cli(base + " --out " + y1 + " --json " + j1, dir).status == 0);
  REQUIRE(run_cli(base + " --out " + y2 + " --json " + j2, dir).status == 0);
  CHECK(slurp(y1) == slurp(y2));
  CHECK(slurp(j1) == slurp(j2));
  const nlohmann::json j = nlohmann::json::parse(slurp(j1));
  const ModelSpec written = load_model_spec(y1);
  CHECK(simulate(expand(written, y1), hw()).total_cycles == j["final"]["total_cycles"].get<int64_t>());
  CHECK(j["steps"].size() > 0);

  struct Bad {
    std::string args, names;
  };
  const std::vector<Bad> bad = {
      {fmt::format("--model '{}/missing.yaml' --hw '{}'", dir.string(), kHwPath), "missing.yaml"},
      {base + " --objective speed", "--objective"},
      {base + " --max-memory-bytes -3", "--max-memory-bytes"},
      {base + " --max-latency-ms -1", "--max-latency-ms"},
      {base + " --accuracy nope", "nope"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.args);
    const fs::path out = dir / "bad.yaml";
    const Cli r = run_cli(b.args + " --out " + out.string(), dir);
    CHECK(r.status == 2);
    CHECK(r.err.find(b.names) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
  fs::remove_all(dir);
}
