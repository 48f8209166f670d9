#include "nas/advisor/advisor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nas/accuracy/scorer.h"
#include "sim/engine/engine.h"
#include "sim/graph/stats.h"
#include "sim/modelfmt/model_expand.h"
#include "sim/modelfmt/spec_sites.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::nas {
namespace {

// Fusion keeps the entropy proxy equal in exact arithmetic; log sums differ in the last bits.
constexpr double kScoreTolerance = 1e-9;

bool takes_key(const std::string& type, const std::string& key) {
  const BlockType* t = find_block_type(type);
  if (!t) return false;
  return std::any_of(t->keys.begin(), t->keys.end(), [&](const char* k) { return key == k; });
}

std::vector<BlockSpec> unroll(const std::vector<BlockSpec>& blocks) {
  std::vector<BlockSpec> out;
  for (const BlockSpec& b : blocks) {
    for (int k = 0; k < std::max(1, b.repeat); ++k) {
      BlockSpec c = b;
      c.repeat = 1;
      if (k > 0) {
        c.from.clear();
        if (takes_key(c.type, "stride")) c.stride = 1;
        if (!b.name.empty()) c.name = fmt::format("{}_{}", b.name, k);
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

// Blocks of a ModelSpec in block_sites() order, with their (single, once unrolled) names.
struct BlockRef {
  BlockSpec* block;
  std::string name;
  bool in_stage;
  size_t stage;
};

std::vector<BlockRef> block_refs(ModelSpec& spec) {
  std::vector<BlockRef> refs;
  std::vector<BlockSite> sites = block_sites(spec);
  size_t i = 0;
  for (BlockSpec& b : spec.stem) refs.push_back({&b, sites[i++].names.at(0), false, 0});
  for (size_t s = 0; s < spec.stages.size(); ++s)
    for (BlockSpec& b : spec.stages[s].blocks) refs.push_back({&b, sites[i++].names.at(0), true, s});
  for (BlockSpec& b : spec.head) refs.push_back({&b, sites[i++].names.at(0), false, 0});
  return refs;
}

bool in_block(const std::string& layer, const std::vector<std::string>& blocks) {
  for (const std::string& b : blocks)
    if (layer == b || (layer.size() > b.size() && layer.compare(0, b.size(), b) == 0 && layer[b.size()] == '.'))
      return true;
  return false;
}

// Cycles and MAC utilisation of some layers of a simulation.
struct LayerGroup {
  int64_t cycles = 0, macs = 0;
  double utilisation = 0;  // macs / (cycles * peak)
};

LayerGroup group_of(const SimResult& sim, const HwConfig& hw, const std::vector<std::string>& blocks,
                    const std::string& part = "") {
  LayerGroup g;
  for (const LayerRecord& r : sim.layers) {
    if (!in_block(r.name, blocks)) continue;
    if (!part.empty() && (r.name.size() < part.size() || r.name.compare(r.name.size() - part.size(), part.size(), part) != 0))
      continue;
    g.cycles += r.total_cycles;
    g.macs += r.macs;
  }
  if (g.cycles > 0) g.utilisation = static_cast<double>(g.macs) / (static_cast<double>(g.cycles) * hw.peak_macs_per_cycle());
  return g;
}

std::string pct(double x) { return fmt::format("{:.0f}%", 100 * x); }

double rel(double after, double before) { return before == 0 ? 0 : 100.0 * (after - before) / before; }

int64_t pf_multiple(const HwConfig& hw) {
  return hw.mac_array.kind == ArrayKind::ChannelParallel ? hw.mac_array.pf : hw.mac_array.cols;
}

// "depthwise runs at 6% MAC utilisation on ne-pf16 (1 of 16 input lanes)".
std::string depthwise_note(const LayerGroup& dw, const HwConfig& hw) {
  if (hw.depthwise.mode == DepthwiseMode::Dedicated)
    return fmt::format("depthwise runs on the dedicated depthwise unit of {} ({} cycles; {} of the MAC array's peak)",
                       hw.name, dw.cycles, pct(dw.utilisation));
  std::string s = fmt::format("depthwise runs at {} MAC utilisation on {}", pct(dw.utilisation), hw.name);
  if (hw.mac_array.kind == ArrayKind::ChannelParallel)
    s += fmt::format(" (1 of {} input lanes per channel)", hw.mac_array.pf);
  return s;
}

int count_adds(const Network& net) {
  return static_cast<int>(std::count_if(net.layers.begin(), net.layers.end(),
                                        [](const Layer& l) { return l.op == Op::Add; }));
}

// What one block looks like once expanded: channels in, expanded, out.
struct BlockShape {
  int64_t in = 0, expanded = 0, out = 0;
  int kernel = 0;
  int64_t in_h = 0, in_w = 0;
  bool operator==(const BlockShape&) const = default;
};

BlockShape block_shape(const Network& net, const std::string& block) {
  BlockShape s;
  bool first = true;
  for (const Layer& l : net.layers) {
    if (l.block != block) continue;
    if (first) {
      s.in = net.in_shape(l).c;
      s.in_h = net.in_shape(l).h;
      s.in_w = net.in_shape(l).w;
      first = false;
    }
    const std::string part = l.name.size() > block.size() ? l.name.substr(block.size() + 1) : "";
    if (part == "dw" || part == "fused") {
      s.expanded = l.out.c;
      s.kernel = l.kernel_h;
    }
    s.out = l.out.c;
  }
  if (s.expanded == 0) s.expanded = s.in;
  return s;
}

double channel_scale(const ModelSpec& spec, const BlockSpec& b) {
  if (b.fixed.value_or(b.type == "fc")) return 1.0;
  return std::max(b.width_min.value_or(0.0), spec.width_multiplier);
}

// Sets a block's channels to exact counts: with a width multiplier in force, pins the block
// (fixed: true) and writes its effective `out`, so that the multiplier no longer rescales it.
void pin_channels(const ModelSpec& spec, BlockSpec& b, int64_t effective_out) {
  if (channel_scale(spec, b) == 1.0) return;
  if (b.type == "ibn" || b.type == "fused_ibn") {
    // expand ratios follow the input; only an absolute expand_channels would be rescaled.
    if (b.expand_channels) b.expand_channels = make_divisible(static_cast<double>(*b.expand_channels) * channel_scale(spec, b), spec.channel_divisor);
  }
  b.fixed = true;
  b.out = effective_out;
}

class Advisor {
 public:
  Advisor(const ModelSpec& spec, const HwConfig& hw, const AdviseOptions& o)
      : hw_(hw), o_(o), scorer_(make_scorer(o.accuracy, o.scorer)) {
    cur_ = unroll_repeats(spec);
    cur_eval_ = evaluate(cur_);
    base_ = cur_eval_;
  }

  AdviceResult run() {
    const std::string pf = std::to_string(pf_multiple(hw_));
    say("fuse_ibn: IBN -> fused-IBN, block by block from the input");
    rule_fuse_ibn();
    say("dw_to_conv: depthwise-separable / depthwise blocks -> full convolutions");
    rule_dw_to_conv();
    if (o_.objective == AdviseObjective::Memory) {
      say("shrink_expand: smaller expansions (with a wider kernel where iso-accuracy needs it)");
      rule_shrink_expand();
      say("narrow: 3/4 and 1/2 of a block's channels");
      rule_narrow();
    }
    say("width: a width (depth) multiplier");
    rule_width();
    say("round_channels: channels to multiples of " + pf);
    rule_round_channels();
    say("fuse_ibn again: the blocks whose shape the rules above changed");
    rule_fuse_ibn();

    AdviceResult r;
    r.base = base_;
    r.final = cur_eval_;
    r.base_accuracy = base_.accuracy;
    r.steps = std::move(steps_);
    r.model = cur_;
    r.model.name = cur_.name + "_advised";
    r.model.source = fmt::format("{} transformed by nesim advise for {} ({} objective)", cur_.name, hw_.name,
                                 to_string(o_.objective));
    r.constraints_met = violation(cur_eval_).empty();
    return r;
  }

  AdviceEvaluation evaluate(const ModelSpec& spec) const {
    Network net = expand(spec, spec.name.empty() ? "model" : spec.name);
    AdviceEvaluation e;
    e.sim = simulate(net, hw_);
    NetworkStats st = network_stats(net, hw_.bytes_per_element());
    e.total_cycles = e.sim.total_cycles;
    e.latency_ms = e.sim.latency_ms;
    e.params = st.params;
    e.macs = st.macs;
    e.peak_activation_bytes = st.peak_activation_bytes;
    e.memory_bytes = st.params * hw_.bytes_per_element() + st.peak_activation_bytes;
    AccuracyResult a = scorer_->score(spec, net, o_.seed);
    if (!a.ok) throw input_error("accuracy scorer '{}' failed on {}: {}", o_.accuracy, spec.name, a.error);
    e.accuracy = a.score;
    return e;
  }

 private:
  struct Candidate {
    std::string change;
    ModelSpec spec;
    std::function<std::string(const AdviceEvaluation& before, const AdviceEvaluation& after)> explain;
  };

  void say(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }

  int64_t objective(const AdviceEvaluation& e) const {
    return o_.objective == AdviseObjective::Latency ? e.total_cycles : e.memory_bytes;
  }

  // Why `e` may not be kept; "" when it meets the constraints (or moves toward one it cannot yet).
  std::string violation(const AdviceEvaluation& e, const AdviceEvaluation* from = nullptr) const {
    if (o_.iso_accuracy && e.accuracy < base_.accuracy - kScoreTolerance * std::max(1.0, std::fabs(base_.accuracy)))
      return fmt::format("accuracy score {:.4f} < base {:.4f} ({})", e.accuracy, base_.accuracy, o_.accuracy);
    if (o_.max_memory_bytes && e.memory_bytes > *o_.max_memory_bytes &&
        !(from && from->memory_bytes > *o_.max_memory_bytes && e.memory_bytes < from->memory_bytes))
      return fmt::format("memory {} B over the budget of {} B", e.memory_bytes, *o_.max_memory_bytes);
    if (o_.max_latency_ms && e.latency_ms > *o_.max_latency_ms &&
        !(from && from->latency_ms > *o_.max_latency_ms && e.latency_ms < from->latency_ms))
      return fmt::format("latency {:.4f} ms over the budget of {} ms", e.latency_ms, *o_.max_latency_ms);
    return "";
  }

  std::string objective_delta(const AdviceEvaluation& before, const AdviceEvaluation& after) const {
    if (o_.objective == AdviseObjective::Latency)
      return fmt::format("latency {:+.1f}%", rel(after.total_cycles, before.total_cycles));
    return fmt::format("memory {:+.1f}%", rel(after.memory_bytes, before.memory_bytes));
  }

  // Simulates every alternative of one decision and keeps (at most) one: the lowest objective
  // among those that help and meet the constraints.
  void try_alternatives(const std::string& block, const std::string& rule, std::vector<Candidate> cands) {
    const int adds_before = count_adds(expand(cur_, "model"));
    ++decisions_;
    std::vector<AdviceStep> tried;
    std::vector<std::string> verdicts;  // "" for an alternative that helps
    int best = -1;
    for (Candidate& c : cands) {
      AdviceStep s;
      s.decision = decisions_;
      s.block = block;
      s.rule = rule;
      s.change = c.change;
      s.before = cur_eval_;
      s.candidate = c.spec;
      try {
        Network net = expand(c.spec, "candidate");
        if (count_adds(net) != adds_before) throw input_error("it would add or drop a residual connection");
        s.after = evaluate(c.spec);
      } catch (const InputError& e) {
        s.after = cur_eval_;
        s.applicable = false;
        s.reason = fmt::format("not applicable: {}", e.what());
        verdicts.push_back("n/a");
        tried.push_back(std::move(s));
        continue;
      }
      s.reason = c.explain ? c.explain(s.before, s.after) : "";
      const std::string bad = violation(s.after, &s.before);
      if (!bad.empty()) {
        verdicts.push_back("rejected: " + bad);
      } else if (objective(s.after) >= objective(s.before)) {
        verdicts.push_back("rejected: " + objective_delta(s.before, s.after));
      } else {
        verdicts.push_back("");
        const int idx = static_cast<int>(tried.size());
        if (best < 0 || objective(s.after) < objective(tried[best].after)) best = idx;
      }
      tried.push_back(std::move(s));
    }
    for (size_t i = 0; i < tried.size(); ++i) {
      AdviceStep& s = tried[i];
      if (verdicts[i] == "n/a") continue;
      std::string verdict = verdicts[i];
      if (static_cast<int>(i) == best) {
        s.kept = true;
        verdict = "kept: " + objective_delta(s.before, s.after);
      } else if (verdict.empty()) {
        verdict = "helps (" + objective_delta(s.before, s.after) + ") but another alternative helps more";
      }
      s.reason = s.reason.empty() ? verdict : s.reason + "; " + verdict;
    }
    if (best >= 0) {
      cur_ = tried[best].candidate;
      cur_eval_ = tried[best].after;
    }
    for (AdviceStep& s : tried) steps_.push_back(std::move(s));
  }

  // A block is tried again only when its shape changed since it was last tried.
  void rule_fuse_ibn() {
    const size_t n = block_refs(cur_).size();
    for (size_t i = 0; i < n; ++i) {
      ModelSpec cand = cur_;
      BlockRef ref = block_refs(cand)[i];
      if (ref.block->type != "ibn") continue;
      const BlockShape shape = block_shape(expand(cur_, "model"), ref.name);
      auto [it, first_try] = fuse_tried_.try_emplace(ref.name, shape);
      if (!first_try && it->second == shape) continue;
      it->second = shape;
      ref.block->type = "fused_ibn";
      const std::string name = ref.name;
      Candidate c{"ibn -> fused_ibn", std::move(cand), [this, name](const AdviceEvaluation& b, const AdviceEvaluation& a) {
                    const LayerGroup before = group_of(b.sim, hw_, {name});
                    const LayerGroup dw = group_of(b.sim, hw_, {name}, ".dw");
                    const LayerGroup expand_1x1 = group_of(b.sim, hw_, {name}, ".expand");
                    const LayerGroup fused = group_of(a.sim, hw_, {name}, ".fused");
                    const LayerGroup after = group_of(a.sim, hw_, {name});
                    const int kernel = block_shape(expand(cur_, "model"), name).kernel;
                    return fmt::format(
                        "{}.dw {}; a fused {}x{} conv at {} replaces {}dw ({} -> {} block cycles, {:.1f}x the MACs)",
                        name, depthwise_note(dw, hw_), kernel, kernel, pct(fused.utilisation),
                        expand_1x1.cycles > 0 ? fmt::format("expand ({}) + ", pct(expand_1x1.utilisation)) : "",
                        before.cycles, after.cycles, before.macs ? double(after.macs) / before.macs : 0.0);
                  }};
      std::vector<Candidate> cands;
      cands.push_back(std::move(c));
      try_alternatives(name, "fuse_ibn", std::move(cands));
    }
  }

  void rule_dw_to_conv() {
    const size_t n = block_refs(cur_).size();
    for (size_t i = 0; i < n; ++i) {
      ModelSpec cand = cur_;
      BlockRef ref = block_refs(cand)[i];
      BlockSpec& b = *ref.block;
      std::string change;
      if (b.type == "dwsep") {
        b.type = "conv";
        if (b.pw_act) b.act = b.pw_act;
        b.pw_act.reset();
        change = "dwsep -> conv";
      } else if (b.type == "dwconv") {
        const Network net = expand(cur_, "model");
        const BlockShape shape = block_shape(net, ref.name);
        b.type = "conv";
        b.out = shape.out;
        b.fixed = true;
        change = "dwconv -> conv";
      } else {
        continue;
      }
      const std::string name = ref.name;
      Candidate c{change, std::move(cand), [this, name](const AdviceEvaluation& bf, const AdviceEvaluation& af) {
                    const LayerGroup dw = group_of(bf.sim, hw_, {name}, "dw");
                    const LayerGroup before = group_of(bf.sim, hw_, {name});
                    const LayerGroup after = group_of(af.sim, hw_, {name});
                    return fmt::format("{}: {}; the full conv runs at {} ({} -> {} block cycles)", name,
                                       depthwise_note(dw.cycles ? dw : before, hw_), pct(after.utilisation),
                                       before.cycles, after.cycles);
                  }};
      std::vector<Candidate> cands;
      cands.push_back(std::move(c));
      try_alternatives(name, "dw_to_conv", std::move(cands));
    }
  }

  // Memory: the blocks that hold the most parameters or the largest activations first.
  void rule_shrink_expand() {
    const Network net = expand(cur_, "model");
    std::vector<std::pair<int64_t, size_t>> order;
    std::vector<BlockRef> refs = block_refs(cur_);
    for (size_t i = 0; i < refs.size(); ++i) {
      const BlockSpec& b = *refs[i].block;
      if (b.type != "ibn" && b.type != "fused_ibn") continue;
      int64_t weight = 0;
      for (const Layer& l : net.layers)
        if (l.block == refs[i].name)
          weight += layer_params(net, l) * hw_.bytes_per_element() + l.out.elements() * hw_.bytes_per_element();
      order.push_back({-weight, i});
    }
    std::sort(order.begin(), order.end());
    for (const auto& [neg_weight, i] : order) {
      const Network now = expand(cur_, "model");
      const std::string name = block_refs(cur_)[i].name;
      const BlockShape shape = block_shape(now, name);
      if (shape.expanded == shape.in || shape.in == 0) continue;
      const double ratio = static_cast<double>(shape.expanded) / static_cast<double>(shape.in);
      std::vector<Candidate> cands;
      for (double e : {4.0, 3.0, 2.0}) {
        if (e >= ratio - 1e-9) continue;
        for (int dk : {0, 2, 4}) {
          const int64_t k = shape.kernel + dk;
          if (k > 7) continue;
          ModelSpec cand = cur_;
          BlockSpec& b = *block_refs(cand)[i].block;
          b.expand = e;
          b.expand_channels.reset();
          if (dk) b.kernel = k;
          std::string change = fmt::format("expand {:.3g} -> {:.3g}", ratio, e);
          if (dk) change += fmt::format(", kernel {} -> {}", shape.kernel, k);
          cands.push_back({change, std::move(cand), [name](const AdviceEvaluation& bf, const AdviceEvaluation& af) {
                             return fmt::format("{}: params {} -> {}, peak activation {} -> {} B", name, bf.params,
                                                af.params, bf.peak_activation_bytes, af.peak_activation_bytes);
                           }});
        }
      }
      if (!cands.empty()) try_alternatives(name, "shrink_expand", std::move(cands));
    }
  }

  // Under a latency budget: the widest multiplier that meets it (the least accuracy given up).
  // Under the memory objective: the smallest memory the constraints allow.
  void rule_width() {
    const bool latency_budget = o_.max_latency_ms && cur_eval_.latency_ms > *o_.max_latency_ms;
    if (o_.objective == AdviseObjective::Latency && !latency_budget) return;
    std::vector<Candidate> cands;
    const double w = cur_.width_multiplier;
    for (double f : {0.9, 0.75, 0.5, 0.35}) {
      ModelSpec cand = cur_;
      cand.width_multiplier = std::round(w * f * 1000) / 1000;
      cands.push_back({fmt::format("width {:.4g} -> {:.4g}", w, cand.width_multiplier), std::move(cand),
                       [](const AdviceEvaluation& bf, const AdviceEvaluation& af) {
                         return fmt::format("MACs {} -> {}, params {} -> {}", bf.macs, af.macs, bf.params, af.params);
                       }});
    }
    // With a latency budget, the first candidate (widest) that helps and fits wins.
    if (o_.objective == AdviseObjective::Latency) {
      try_width_for_budget(std::move(cands));
    } else {
      try_alternatives("model", "width", std::move(cands));
    }
  }

  void try_width_for_budget(std::vector<Candidate> cands) {
    // Try widest first; stop at the first that meets the budget (keeping it), else keep the fastest.
    std::vector<Candidate> chosen;
    for (size_t i = 0; i < cands.size(); ++i) {
      chosen.push_back(cands[i]);
      AdviceEvaluation e;
      try {
        e = evaluate(cands[i].spec);
      } catch (const InputError&) {
        continue;
      }
      if (e.latency_ms <= *o_.max_latency_ms && violation(e, &cur_eval_).empty()) break;
    }
    try_alternatives("model", "width", std::move(chosen));
  }

  // Output channels, one group at a time: a residual chain (consecutive stage blocks with equal
  // out) changes together so that every residual add survives. `targets` gives the counts to try
  // for a group's current count (empty: leave it alone).
  void for_channel_groups(const std::string& rule, const std::function<std::vector<int64_t>(int64_t)>& targets,
                          const std::string& why) {
    size_t i = 0;
    while (i < block_refs(cur_).size()) {
      const Network net = expand(cur_, "model");
      std::vector<BlockRef> refs = block_refs(cur_);
      const BlockRef& r = refs[i];
      const BlockShape shape = block_shape(net, r.name);
      size_t j = i + 1;
      if (r.in_stage)
        while (j < refs.size() && refs[j].in_stage && refs[j].stage == r.stage &&
               refs[j].block->out && block_shape(net, refs[j].name).out == shape.out)
          ++j;
      const bool editable = r.block->out && !r.block->fixed.value_or(r.block->type == "fc") && shape.out > 0;
      const std::vector<int64_t> counts = editable ? targets(shape.out) : std::vector<int64_t>{};
      if (!counts.empty()) {
        std::vector<Candidate> cands;
        const std::string label = j - i > 1 ? fmt::format("{}..{}", r.name, refs[j - 1].name) : r.name;
        std::vector<std::string> names;
        for (size_t k = i; k < j; ++k) names.push_back(refs[k].name);
        for (int64_t c : counts) {
          ModelSpec cand = cur_;
          std::vector<BlockRef> crefs = block_refs(cand);
          for (size_t k = i; k < j; ++k) {
            pin_channels(cand, *crefs[k].block, shape.out);
            crefs[k].block->out = c;
          }
          cands.push_back({fmt::format("out {} -> {}", shape.out, c), std::move(cand),
                           [this, names, why](const AdviceEvaluation& bf, const AdviceEvaluation& af) {
                             const LayerGroup b = group_of(bf.sim, hw_, names), a = group_of(af.sim, hw_, names);
                             return fmt::format("{}MAC utilisation of these blocks {} -> {} ({} -> {} cycles)", why,
                                                pct(b.utilisation), pct(a.utilisation), b.cycles, a.cycles);
                           }});
        }
        try_alternatives(label, rule, std::move(cands));
      }
      i = j;
    }
  }

  // Memory: narrower blocks (3/4 and 1/2 of their channels, on PF multiples).
  void rule_narrow() {
    const int64_t pf = pf_multiple(hw_);
    for_channel_groups("narrow", [pf](int64_t out) {
      std::vector<int64_t> counts;
      for (double f : {0.75, 0.5}) {
        const int64_t c = std::max<int64_t>(pf, static_cast<int64_t>(std::llround(out * f / pf)) * pf);
        if (c < out && (counts.empty() || counts.back() != c)) counts.push_back(c);
      }
      return counts;
    }, "");
  }

  void rule_round_channels() {
    const int64_t pf = pf_multiple(hw_);
    for_channel_groups("round_channels", [pf](int64_t out) {
      std::vector<int64_t> counts;
      if (out % pf == 0) return counts;
      if (out / pf * pf >= pf) counts.push_back(out / pf * pf);
      counts.push_back((out / pf + 1) * pf);
      return counts;
    }, fmt::format("multiples of {}: ", pf));
    // Expanded channels of each inverted bottleneck.
    for (size_t k = 0; k < block_refs(cur_).size(); ++k) {
      const Network net = expand(cur_, "model");
      BlockRef r = block_refs(cur_)[k];
      if (r.block->type != "ibn" && r.block->type != "fused_ibn") continue;
      const BlockShape shape = block_shape(net, r.name);
      if (shape.expanded == shape.in || shape.expanded % pf == 0) continue;
      std::vector<Candidate> cands;
      for (int64_t c : {shape.expanded / pf * pf, (shape.expanded / pf + 1) * pf}) {
        if (c < pf || c == shape.in) continue;
        ModelSpec cand = cur_;
        BlockSpec& b = *block_refs(cand)[k].block;
        pin_channels(cand, b, shape.out);
        b.expand.reset();
        b.expand_channels = c;
        const std::string name = r.name;
        cands.push_back({fmt::format("expanded {} -> {}", shape.expanded, c), std::move(cand),
                         [this, name](const AdviceEvaluation& bf, const AdviceEvaluation& af) {
                           const LayerGroup b = group_of(bf.sim, hw_, {name}), a = group_of(af.sim, hw_, {name});
                           return fmt::format("MAC utilisation of {} {} -> {} ({} -> {} cycles)", name,
                                              pct(b.utilisation), pct(a.utilisation), b.cycles, a.cycles);
                         }});
      }
      if (!cands.empty()) try_alternatives(r.name, "round_channels", std::move(cands));
    }
  }

  const HwConfig& hw_;
  const AdviseOptions& o_;
  std::unique_ptr<AccuracyScorer> scorer_;
  ModelSpec cur_;
  AdviceEvaluation cur_eval_, base_;
  std::vector<AdviceStep> steps_;
  int decisions_ = 0;
  std::map<std::string, BlockShape> fuse_tried_;  // block -> its shape when fusion was last tried
};

void check_options(const AdviseOptions& o) {
  if (o.max_memory_bytes && *o.max_memory_bytes <= 0)
    throw input_error("--max-memory-bytes: expected a positive number of bytes, got {}", *o.max_memory_bytes);
  if (o.max_latency_ms && !(*o.max_latency_ms > 0))
    throw input_error("--max-latency-ms: expected a positive latency in ms, got {}", *o.max_latency_ms);
}

nlohmann::json eval_json(const AdviceEvaluation& e) {
  return {{"total_cycles", e.total_cycles}, {"latency_ms", e.latency_ms}, {"params", e.params},
          {"macs", e.macs}, {"peak_activation_bytes", e.peak_activation_bytes},
          {"memory_bytes", e.memory_bytes}, {"accuracy_score", e.accuracy}};
}

}  // namespace

ModelSpec unroll_repeats(const ModelSpec& spec) {
  ModelSpec out = spec;
  out.stem = unroll(spec.stem);
  for (StageSpec& s : out.stages) s.blocks = unroll(s.blocks);
  out.head = unroll(spec.head);
  return out;
}

AdviceEvaluation evaluate_model(const ModelSpec& spec, const HwConfig& hw, const AdviseOptions& options) {
  check_options(options);
  return Advisor(spec, hw, options).evaluate(spec);
}

AdviceResult advise(const ModelSpec& spec, const HwConfig& hw, const AdviseOptions& options) {
  check_options(options);
  return Advisor(spec, hw, options).run();
}

AdviseObjective parse_objective(const std::string& text) {
  if (text == "latency") return AdviseObjective::Latency;
  if (text == "memory") return AdviseObjective::Memory;
  throw input_error("--objective: expected 'latency' or 'memory', got '{}'", text);
}

const char* to_string(AdviseObjective objective) {
  return objective == AdviseObjective::Latency ? "latency" : "memory";
}

std::string advice_table(const AdviceResult& r, const HwConfig& hw) {
  std::ostringstream os;
  os << fmt::format("{:>3}  {:<12} {:<15} {:<26} {:<5} {:>18} {:>19} {:>21} {:>18} {:>8}\n", "#", "block", "rule",
                    "change", "kept", "latency ms (%)", "memory B (%)", "MACs (%)", "params (%)", "score");
  int i = 0;
  for (const AdviceStep& s : r.steps) {
    const AdviceEvaluation &b = s.before, &a = s.after;
    os << fmt::format("{:>3}  {:<12} {:<15} {:<26} {:<5} {:>+9.4f} ({:>+5.1f}%) {:>+10} ({:>+5.1f}%) {:>+12} ({:>+5.1f}%) {:>+9} ({:>+5.1f}%) {:>+8.3f}\n",
                      ++i, s.block, s.rule, s.change, s.kept ? "yes" : s.applicable ? "no" : "n/a", a.latency_ms - b.latency_ms,
                      rel(a.total_cycles, b.total_cycles), a.memory_bytes - b.memory_bytes,
                      rel(a.memory_bytes, b.memory_bytes), a.macs - b.macs, rel(a.macs, b.macs), a.params - b.params,
                      rel(a.params, b.params), a.accuracy - b.accuracy);
    os << "     " << s.reason << "\n";
  }
  auto line = [&](const char* what, const AdviceEvaluation& e) {
    return fmt::format("{:<7} {:>12} cycles  {:>9.4f} ms  memory {:>10} B (params {}, peak activation {} B)  "
                       "MACs {}  accuracy score {:.4f}\n",
                       what, e.total_cycles, e.latency_ms, e.memory_bytes, e.params, e.peak_activation_bytes, e.macs,
                       e.accuracy);
  };
  const int kept = static_cast<int>(std::count_if(r.steps.begin(), r.steps.end(), [](const AdviceStep& s) { return s.kept; }));
  os << fmt::format("\n{} of {} changes kept on {} (simulated):\n", kept, r.steps.size(), hw.name);
  os << line("before", r.base) << line("after", r.final);
  os << fmt::format("latency {:+.1f}%, memory {:+.1f}%, MACs {:+.1f}%, params {:+.1f}%{}\n",
                    rel(r.final.total_cycles, r.base.total_cycles), rel(r.final.memory_bytes, r.base.memory_bytes),
                    rel(r.final.macs, r.base.macs), rel(r.final.params, r.base.params),
                    r.constraints_met ? "" : "; constraints NOT met");
  return os.str();
}

std::string advice_json(const AdviceResult& r, const HwConfig& hw, const AdviseOptions& o) {
  nlohmann::json steps = nlohmann::json::array();
  for (const AdviceStep& s : r.steps) {
    const AdviceEvaluation &b = s.before, &a = s.after;
    steps.push_back({{"decision", s.decision}, {"block", s.block}, {"rule", s.rule}, {"change", s.change}, {"applicable", s.applicable}, {"kept", s.kept},
                     {"reason", s.reason}, {"before", eval_json(b)}, {"after", eval_json(a)},
                     {"delta",
                      {{"total_cycles", a.total_cycles - b.total_cycles},
                       {"latency_ms", a.latency_ms - b.latency_ms},
                       {"latency_pct", rel(a.total_cycles, b.total_cycles)},
                       {"memory_bytes", a.memory_bytes - b.memory_bytes},
                       {"memory_pct", rel(a.memory_bytes, b.memory_bytes)},
                       {"macs", a.macs - b.macs}, {"macs_pct", rel(a.macs, b.macs)},
                       {"params", a.params - b.params}, {"params_pct", rel(a.params, b.params)},
                       {"accuracy_score", a.accuracy - b.accuracy}}}});
  }
  nlohmann::json constraints = nlohmann::json::object();
  constraints["iso_accuracy"] = o.iso_accuracy;
  if (o.max_memory_bytes) constraints["max_memory_bytes"] = *o.max_memory_bytes;
  if (o.max_latency_ms) constraints["max_latency_ms"] = *o.max_latency_ms;
  nlohmann::json j = {{"model", r.base.sim.model}, {"hw", hw.name}, {"objective", to_string(o.objective)},
                      {"accuracy", o.accuracy}, {"constraints", constraints},
                      {"constraints_met", r.constraints_met}, {"base", eval_json(r.base)},
                      {"final", eval_json(r.final)},
                      {"latency_reduction_pct", -rel(r.final.total_cycles, r.base.total_cycles)},
                      {"memory_reduction_pct", -rel(r.final.memory_bytes, r.base.memory_bytes)},
                      {"steps", steps}};
  return json_text(j, 2) + "\n";
}

}  // namespace nesim::nas
