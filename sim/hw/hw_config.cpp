// The hardware key table and everything driven by it: YAML parsing, --set overrides, validation,
// the Markdown reference and to_yaml. A new key costs one entry in key_table().
#include "sim/hw/hw_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <type_traits>
#include <utility>

#include "sim/util/text.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

namespace nesim {
namespace {

using text::file_stem;
using text::join;
using text::nearest;
using text::parse_int;
using text::parse_number;

// Constant-initialized, so to_string() works even during other files' static initialization.
template <typename E>
using EnumNames = std::span<const std::pair<const char*, E>>;

constexpr std::pair<const char*, Precision> kPrecisions[] = {{"int8", Precision::Int8},
                                                             {"fp16", Precision::Fp16}};
constexpr std::pair<const char*, ArrayKind> kArrayKinds[] = {
    {"channel_parallel", ArrayKind::ChannelParallel}, {"systolic", ArrayKind::Systolic}};
constexpr std::pair<const char*, Dataflow> kDataflows[] = {
    {"os", Dataflow::OS}, {"ws", Dataflow::WS}, {"is", Dataflow::IS}};
constexpr std::pair<const char*, DepthwiseMode> kDepthwiseModes[] = {
    {"mac_array", DepthwiseMode::MacArray}, {"dedicated", DepthwiseMode::Dedicated}};
constexpr std::pair<const char*, SramLayout> kSramLayouts[] = {{"unified", SramLayout::Unified},
                                                               {"split", SramLayout::Split}};

template <typename E>
const char* enum_name(EnumNames<E> names, E value) {
  for (const auto& [name, v] : names)
    if (v == value) return name;
  return "?";
}

template <typename E>
std::string enum_list(EnumNames<E> names) {
  std::string out;
  for (const auto& [name, v] : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

// One key: its documentation, how to read text into the field (false: not an accepted value),
// how to write the field as YAML text, and whether a value built in code is in range.
struct KeyDef {
  HwKey doc;
  std::string expected;  // for messages: "expected <this>, got '...'"
  bool quoted = false;   // free text, emitted as a quoted YAML string
  std::function<bool(HwConfig&, const std::string&)> set;
  std::function<std::string(const HwConfig&)> get;
  std::function<bool(const HwConfig&)> valid;
};

// `field` is a generic lambda `[](auto& h) -> auto& { return h.x.y; }`, usable on a const
// HwConfig (get, valid) and a mutable one (set).
template <typename Field>
KeyDef int_key(const char* path, const char* unit, Field field, int64_t lo, int64_t hi,
               const char* description) {
  using T = std::remove_reference_t<decltype(field(std::declval<HwConfig&>()))>;
  hi = std::min<int64_t>(hi, std::numeric_limits<T>::max());
  const bool open_top = hi == std::numeric_limits<T>::max();
  KeyDef k;
  k.doc = {path, unit, "", description,
           open_top ? fmt::format("integer >= {}", lo) : fmt::format("integer {}..{}", lo, hi)};
  if (open_top && lo == 1) {
    k.expected = "a positive integer";
  } else if (open_top && lo == 0) {
    k.expected = "a non-negative integer";
  } else {
    k.expected = fmt::format("an integer in {}..{}", lo, hi);
  }
  k.set = [=](HwConfig& hw, const std::string& text) {
    std::optional<int64_t> v = parse_int(text);
    if (!v || *v < lo || *v > hi) return false;
    field(hw) = static_cast<T>(*v);
    return true;
  };
  k.get = [=](const HwConfig& hw) { return fmt::format("{}", field(hw)); };
  k.valid = [=](const HwConfig& hw) { return field(hw) >= lo && field(hw) <= hi; };
  return k;
}

// A real-valued key accepted in [lo, hi]. The bounds are physical (a 1 MB/s DRAM, a 1 MHz clock),
// so that every cycle count derived from them fits in int64.
template <typename Field>
KeyDef number_key(const char* path, const char* unit, Field field, double lo, double hi,
                  const char* description) {
  KeyDef k;
  k.expected = fmt::format("a number in [{}, {}]", lo, hi);
  k.doc = {path, unit, "", description, fmt::format("number {}..{}", lo, hi)};
  auto in_range = [=](double v) { return std::isfinite(v) && v >= lo && v <= hi; };
  k.set = [=](HwConfig& hw, const std::string& text) {
    std::optional<double> v = parse_number(text);
    if (!v || !in_range(*v)) return false;
    field(hw) = *v;
    return true;
  };
  k.get = [=](const HwConfig& hw) { return fmt::format("{}", field(hw)); };
  k.valid = [=](const HwConfig& hw) { return in_range(field(hw)); };
  return k;
}

template <typename Field, typename E, size_t N>
KeyDef enum_key(const char* path, Field field, const std::pair<const char*, E> (&table)[N],
                const char* description) {
  const EnumNames<E> names(table);
  KeyDef k;
  k.doc = {path, "", "", description, enum_list(names)};
  k.expected = "one of " + enum_list(names);
  k.set = [field, names](HwConfig& hw, const std::string& text) {
    for (const auto& [name, v] : names) {
      if (text == name) {
        field(hw) = v;
        return true;
      }
    }
    return false;
  };
  k.get = [field, names](const HwConfig& hw) { return std::string(enum_name(names, field(hw))); };
  k.valid = [field, names](const HwConfig& hw) {
    return std::string(enum_name(names, field(hw))) != "?";
  };
  return k;
}

template <typename Field>
KeyDef text_key(const char* path, Field field, const char* default_text, const char* description) {
  KeyDef k;
  k.doc = {path, "", default_text, description, "text"};
  k.expected = "text";
  k.quoted = true;
  k.set = [=](HwConfig& hw, const std::string& text) {
    field(hw) = text;
    return true;
  };
  k.get = [=](const HwConfig& hw) { return field(hw); };
  k.valid = [](const HwConfig&) { return true; };
  return k;
}

// Every hardware key, grouped by section in the order the YAML files and docs list them.
const std::vector<KeyDef>& key_table() {
  static const std::vector<KeyDef> table = [] {
    std::vector<KeyDef> t;
    t.push_back(text_key(
        "name", [](auto& h) -> auto& { return h.name; }, "file stem",
        "Engine name used in reports"));
    t.push_back(text_key(
        "description", [](auto& h) -> auto& { return h.description; }, "(empty)",
        "Free text: what this engine models and why"));
    t.push_back(number_key(
        "clock_mhz", "MHz", [](auto& h) -> auto& { return h.clock_mhz; }, 1, 10000,
        "Clock of the whole engine; one cycle = 1/clock"));
    t.push_back(enum_key(
        "precision", [](auto& h) -> auto& { return h.precision; }, kPrecisions,
        "Element type of activations and weights: 1 byte (int8) or 2 (fp16)"));

    t.push_back(enum_key(
        "mac_array.kind", [](auto& h) -> auto& { return h.mac_array.kind; }, kArrayKinds,
        "channel_parallel: pf x pf lanes (inputs x outputs); systolic: rows x "
        "cols array as in SCALE-Sim"));
    t.push_back(int_key(
        "mac_array.pf", "lanes", [](auto& h) -> auto& { return h.mac_array.pf; }, 1, 1024,
        "Parallelism factor of a channel_parallel array: pf*pf MACs per cycle"));
    t.push_back(int_key(
        "mac_array.rows", "PEs", [](auto& h) -> auto& { return h.mac_array.rows; }, 1, 4096,
        "Rows of a systolic array (ignored for channel_parallel)"));
    t.push_back(int_key(
        "mac_array.cols", "PEs", [](auto& h) -> auto& { return h.mac_array.cols; }, 1, 4096,
        "Columns of a systolic array (ignored for channel_parallel)"));
    t.push_back(enum_key(
        "mac_array.dataflow", [](auto& h) -> auto& { return h.mac_array.dataflow; }, kDataflows,
        "Systolic dataflow: output, weight or input stationary (ignored for "
        "channel_parallel)"));
    t.push_back(int_key(
        "mac_array.pipeline_fill_cycles", "cycles",
        [](auto& h) -> auto& { return h.mac_array.pipeline_fill_cycles; }, 0, 4096,
        "Adder-tree fill and drain added once per channel_parallel or "
        "dedicated-depthwise compute step"));

    t.push_back(enum_key(
        "depthwise.mode", [](auto& h) -> auto& { return h.depthwise.mode; }, kDepthwiseModes,
        "Where depthwise convolutions run: on the MAC array (one input lane in "
        "use) or on a dedicated unit"));
    t.push_back(int_key(
        "depthwise.lanes", "channels/cycle", [](auto& h) -> auto& { return h.depthwise.lanes; }, 1,
        4096, "Dedicated unit: channels processed per cycle"));
    t.push_back(int_key(
        "depthwise.macs_per_lane", "taps/cycle",
        [](auto& h) -> auto& { return h.depthwise.macs_per_lane; }, 1, 1024,
        "Dedicated unit: kernel taps each lane multiplies per cycle"));

    t.push_back(int_key(
        "vector_unit.lanes", "elements/cycle", [](auto& h) -> auto& { return h.vector_unit.lanes; },
        1, 4096, "Elementwise unit (activations, pooling, add) width"));
    t.push_back(int_key(
        "vector_unit.special_fn_cycles", "cycles",
        [](auto& h) -> auto& { return h.vector_unit.special_fn_cycles; }, 0, 1024,
        "Extra cycles per vector of lanes elements for sigmoid/swish (LUT)"));

    t.push_back(int_key(
        "sram.kib", "KiB", [](auto& h) -> auto& { return h.sram.kib; }, 1, int64_t{1} << 22,
        "On-chip buffer capacity. With layout split it is the sum of the three "
        "split capacities and may be omitted"));
    t.push_back(enum_key(
        "sram.layout", [](auto& h) -> auto& { return h.sram.layout; }, kSramLayouts,
        "unified: one buffer shared by all tensors; split: separate ifmap, "
        "weight and ofmap buffers (as in SCALE-Sim)"));
    t.push_back(int_key(
        "sram.ifmap_kib", "KiB", [](auto& h) -> auto& { return h.sram.ifmap_kib; }, 0,
        int64_t{1} << 22, "Split layout: input feature map buffer (must be 0 when unified)"));
    t.push_back(int_key(
        "sram.weight_kib", "KiB", [](auto& h) -> auto& { return h.sram.weight_kib; }, 0,
        int64_t{1} << 22, "Split layout: weight buffer (must be 0 when unified)"));
    t.push_back(int_key(
        "sram.ofmap_kib", "KiB", [](auto& h) -> auto& { return h.sram.ofmap_kib; }, 0,
        int64_t{1} << 22, "Split layout: output feature map buffer (must be 0 when unified)"));
    t.push_back(int_key(
        "sram.banks", "banks", [](auto& h) -> auto& { return h.sram.banks; }, 1, 1024,
        "Single-ported SRAM banks; a step's operand streams (input, weight, psum read, psum "
        "write, output) each need one, and with fewer banks than streams they take turns"));
    t.push_back(int_key(
        "sram.bytes_per_cycle", "B/cycle", [](auto& h) -> auto& { return h.sram.bytes_per_cycle; },
        1, 1 << 20, "Aggregate read+write bandwidth between SRAM and the datapath"));

    t.push_back(int_key(
        "dma.channels", "channels", [](auto& h) -> auto& { return h.dma.channels; }, 1, 16,
        "Concurrent DMA transfers (the engine supports at most 16)"));
    t.push_back(int_key(
        "dma.setup_cycles", "cycles", [](auto& h) -> auto& { return h.dma.setup_cycles; }, 0,
        1000000, "Fixed cost of each transfer before its first byte"));
    t.push_back(int_key(
        "dma.burst_bytes", "bytes", [](auto& h) -> auto& { return h.dma.burst_bytes; }, 1, 65536,
        "Transfers are rounded up to whole bursts"));
    t.push_back(int_key(
        "dma.max_outstanding", "bursts", [](auto& h) -> auto& { return h.dma.max_outstanding; }, 1,
        65536,
        "Bursts in flight per channel: a channel streams at most this many bursts per DRAM latency "
        "(Little's law), so a transfer pays the latency once per window of this many bursts, and "
        "a transfer of more than one window is split over the channels"));

    t.push_back(number_key(
        "dram.bandwidth_gbps", "GB/s", [](auto& h) -> auto& { return h.dram.bandwidth_gbps; },
        0.001, 1e6, "Off-chip bandwidth (1e9 bytes/s) shared by all DMA channels; at least 1 MB/s"));
    t.push_back(number_key(
        "dram.latency_ns", "ns", [](auto& h) -> auto& { return h.dram.latency_ns; },
        0, 1e6, "First-byte latency of each window of dma.max_outstanding bursts a channel has in flight"));

    t.push_back(number_key(
        "energy.mac_pj", "pJ", [](auto& h) -> auto& { return h.energy.mac_pj; }, 0, 1e6, "Energy of one multiply-accumulate"));
    t.push_back(number_key(
        "energy.sram_pj_per_byte", "pJ/B",
        [](auto& h) -> auto& { return h.energy.sram_pj_per_byte; }, 0, 1e6,
        "Energy per byte read or written in a 32 KiB SRAM buffer; larger buffers cost more "
        "(energy.sram_size_exponent)"));
    t.push_back(number_key(
        "energy.sram_size_exponent", "exponent", [](auto& h) -> auto& { return h.energy.sram_size_exponent; },
        0, 2, "SRAM energy per byte scales as (buffer KiB / 32)^this; 0.5 fits Horowitz's 45 nm "
        "8 KB / 32 KB / 1 MB figures, 0 makes it independent of capacity"));
    t.push_back(number_key(
        "energy.dram_pj_per_byte", "pJ/B",
        [](auto& h) -> auto& { return h.energy.dram_pj_per_byte; }, 0, 1e6,
        "Energy per byte moved to or from DRAM, device and interface"));
    t.push_back(number_key(
        "energy.vector_op_pj", "pJ", [](auto& h) -> auto& { return h.energy.vector_op_pj; },
        0, 1e6, "Energy of one vector-unit element operation"));
    t.push_back(number_key(
        "energy.static_mw", "mW", [](auto& h) -> auto& { return h.energy.static_mw; },
        0, 1e6, "Leakage and clock-tree power while the engine runs"));

    const HwConfig defaults;
    for (KeyDef& k : t)
      if (k.doc.default_value.empty()) k.doc.default_value = k.get(defaults);
    return t;
  }();
  return table;
}

const KeyDef* find_key(const std::string& path) {
  for (const KeyDef& k : key_table())
    if (k.doc.path == path) return &k;
  return nullptr;
}

std::string section_of(const std::string& path) {
  size_t dot = path.find('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string leaf_of(const std::string& path) {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool is_section(const std::string& path) {
  if (path.empty()) return false;
  for (const KeyDef& k : key_table())
    if (section_of(k.doc.path) == path) return true;
  return false;
}

// The names one level below `section` ("" = top level): leaf keys and section names.
std::vector<std::string> names_in(const std::string& section) {
  std::vector<std::string> out;
  for (const KeyDef& k : key_table()) {
    const std::string& path = k.doc.path;
    std::string name;
    if (section.empty()) {
      name = section_of(path).empty() ? path : section_of(path);
    } else if (section_of(path) == section) {
      name = path;
    }
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

InputError unknown_key(const std::string& where, const std::string& path) {
  // A known key under the wrong section ("sram.pf") points to where it lives; otherwise the
  // nearest declared path or section by edit distance.
  std::vector<std::string> same_leaf, candidates;
  for (const KeyDef& k : key_table()) {
    if (leaf_of(k.doc.path) == leaf_of(path)) same_leaf.push_back(k.doc.path);
    candidates.push_back(k.doc.path);
    if (!section_of(k.doc.path).empty()) candidates.push_back(section_of(k.doc.path));
  }
  std::string suggestion = same_leaf.size() == 1 ? same_leaf[0] : nearest(path, candidates);
  if (!suggestion.empty())
    return input_error("{}: key '{}': unknown key (did you mean '{}'?)", where, path, suggestion);
  std::string section = section_of(path);
  if (!is_section(section)) section.clear();
  return input_error("{}: key '{}': unknown key (known keys{}: {})", where, path,
                     section.empty() ? "" : " in " + section, join(names_in(section)));
}

void set_checked(const KeyDef& k, HwConfig& hw, const std::string& text, const std::string& where) {
  if (!k.set(hw, text))
    throw input_error("{}: key '{}': expected {}, got '{}'", where, k.doc.path, k.expected, text);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

void apply_yaml_map(HwConfig& hw, const YAML::Node& map, const std::string& section,
                    const std::string& where, std::set<std::string>& seen) {
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    const YAML::Node& value = entry.second;
    if (!key.IsScalar()) {
      throw input_error("{}: {}: keys must be plain names, got {}", where,
                        section.empty() ? "top level" : "key '" + section + "'", describe(key));
    }
    const std::string path = section.empty() ? key.Scalar() : section + "." + key.Scalar();
    if (key.Scalar().find('.') != std::string::npos) {
      if (!find_key(path)) throw unknown_key(where, path);
      throw input_error("{}: key '{}': write nested mappings ({}: {{{}: ...}}), not dotted keys",
                        where, path, section_of(path), leaf_of(path));
    }
    if (!seen.insert(path).second) throw input_error("{}: key '{}': given twice", where, path);
    if (is_section(path)) {
      if (!value.IsMap()) {
        throw input_error("{}: key '{}': expected a mapping of {} keys ({}), got {}", where, path,
                          path, join(names_in(path)), describe(value));
      }
      apply_yaml_map(hw, value, path, where, seen);
    } else if (const KeyDef* k = find_key(path)) {
      if (!value.IsScalar())
        throw input_error("{}: key '{}': expected {}, got {}", where, path, k->expected,
                          describe(value));
      set_checked(*k, hw, value.Scalar(), where);
    } else {
      throw unknown_key(where, path);
    }
  }
}

int64_t split_sum_kib(const HwConfig& hw) {
  return hw.sram.ifmap_kib + hw.sram.weight_kib + hw.sram.ofmap_kib;
}

std::string quote_yaml(const std::string& text) {
  YAML::Emitter out;
  out << YAML::DoubleQuoted << text;
  return out.c_str();
}

}  // namespace

const char* to_string(Precision p) { return enum_name<Precision>(kPrecisions, p); }
const char* to_string(ArrayKind k) { return enum_name<ArrayKind>(kArrayKinds, k); }
const char* to_string(Dataflow d) { return enum_name<Dataflow>(kDataflows, d); }
const char* to_string(DepthwiseMode m) { return enum_name<DepthwiseMode>(kDepthwiseModes, m); }
const char* to_string(SramLayout l) { return enum_name<SramLayout>(kSramLayouts, l); }

int64_t HwConfig::macs_per_cycle() const {
  if (mac_array.kind == ArrayKind::Systolic) return int64_t{mac_array.rows} * mac_array.cols;
  return int64_t{mac_array.pf} * mac_array.pf;
}

int64_t HwConfig::peak_macs_per_cycle() const {
  int64_t macs = macs_per_cycle();
  if (depthwise.mode == DepthwiseMode::Dedicated) macs += int64_t{depthwise.lanes} * depthwise.macs_per_lane;
  return macs;
}

double HwConfig::dram_bytes_per_cycle() const { return dram.bandwidth_gbps * 1e3 / clock_mhz; }

int64_t HwConfig::dram_latency_cycles() const {
  const double cycles = dram.latency_ns * clock_mhz / 1e3;
  // 100 ns at 800 MHz is 80 cycles, not 81 because the product rounded up in binary.
  const double nearest_whole = std::round(cycles);
  if (std::abs(cycles - nearest_whole) <= 1e-9 * std::max(1.0, cycles))
    return static_cast<int64_t>(nearest_whole);
  return static_cast<int64_t>(std::ceil(cycles));
}

int64_t HwConfig::sram_bytes() const {
  return (sram.layout == SramLayout::Split ? split_sum_kib(*this) : sram.kib) * 1024;
}

double HwConfig::area_proxy() const {
  return static_cast<double>(peak_macs_per_cycle()) + static_cast<double>(sram_bytes()) / 1024.0;
}

const std::vector<HwKey>& hw_keys() {
  static const std::vector<HwKey> keys = [] {
    std::vector<HwKey> out;
    for (const KeyDef& k : key_table()) out.push_back(k.doc);
    return out;
  }();
  return keys;
}

HwConfig parse_hw_yaml(const std::string& text, const std::string& where) {
  text::require_utf8(text, where);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw input_error("{}: line {}, column {}: invalid YAML: {}", where, e.mark.line + 1,
                      e.mark.column + 1, e.msg);
  }
  if (!root || root.IsNull())
    throw input_error("{}: empty file: expected a mapping of hardware keys (see docs/hwconfig.md)",
                      where);
  if (!root.IsMap())
    throw input_error("{}: expected a mapping of hardware keys at the top level, got {}", where,
                      describe(root));
  HwConfig hw;
  std::set<std::string> seen;
  apply_yaml_map(hw, root, "", where, seen);
  if (!seen.count("name")) hw.name = file_stem(where);
  hw.source = where;
  if (hw.sram.layout == SramLayout::Split && !seen.count("sram.kib"))
    hw.sram.kib = split_sum_kib(hw);
  validate(hw, where);
  return hw;
}

void set_hw_key(HwConfig& hw, const std::string& path, const std::string& value,
                const std::string& where) {
  const KeyDef* k = find_key(path);
  if (!k && is_section(path))
    throw input_error("{}: key '{}': is a section; set one of its keys ({})", where, path,
                      join(names_in(path)));
  if (!k) throw unknown_key(where, path);
  if (path == "sram.kib" && hw.sram.layout == SramLayout::Split) {
    throw input_error(
        "{}: key 'sram.kib': with sram.layout split the capacity is sram.ifmap_kib + "
        "sram.weight_kib + sram.ofmap_kib; set those instead",
        where);
  }
  const SramLayout before = hw.sram.layout;
  set_checked(*k, hw, value, where);
  // Keep sram.kib the total capacity across layout changes, as a file would have it.
  if (hw.sram.layout == SramLayout::Split) {
    hw.sram.kib = split_sum_kib(hw);
  } else if (before == SramLayout::Split) {
    hw.sram.ifmap_kib = hw.sram.weight_kib = hw.sram.ofmap_kib = 0;
  }
}

void validate(const HwConfig& hw, const std::string& where) {
  for (const KeyDef& k : key_table()) {
    if (!k.valid(hw))
      throw input_error("{}: key '{}': expected {}, got '{}'", where, k.doc.path, k.expected,
                        k.get(hw));
  }
  const std::pair<const char*, int64_t> split[] = {{"sram.ifmap_kib", hw.sram.ifmap_kib},
                                                   {"sram.weight_kib", hw.sram.weight_kib},
                                                   {"sram.ofmap_kib", hw.sram.ofmap_kib}};
  if (hw.sram.layout == SramLayout::Split) {
    for (const auto& [path, kib] : split) {
      if (kib <= 0)
        throw input_error(
            "{}: key '{}': expected a positive integer when sram.layout is split, "
            "got '{}'",
            where, path, kib);
    }
    if (hw.sram.kib != split_sum_kib(hw)) {
      throw input_error(
          "{}: key 'sram.kib': expected {} (sram.ifmap_kib + sram.weight_kib + sram.ofmap_kib) "
          "when sram.layout is split, got '{}'; omit sram.kib",
          where, split_sum_kib(hw), hw.sram.kib);
    }
  } else {
    for (const auto& [path, kib] : split) {
      if (kib != 0)
        throw input_error(
            "{}: key '{}': only used when sram.layout is split (got '{}'); remove "
            "it or set sram.layout: split",
            where, path, kib);
    }
  }
}

std::string hw_keys_markdown() {
  auto cell = [](std::string text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out.empty() ? std::string("-") : out;
  };
  std::string out =
      "| Key | Unit | Default | Accepted | Description |\n"
      "|-----|------|---------|----------|-------------|\n";
  for (const HwKey& k : hw_keys()) {
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", k.path, cell(k.unit),
                       cell(k.default_value), cell(k.accepted), cell(k.description));
  }
  return out;
}

std::string to_yaml(const HwConfig& hw) {
  std::string out = "# nesim hardware config; every key is described in docs/hwconfig.md\n";
  std::string section;
  for (const KeyDef& k : key_table()) {
    const std::string s = section_of(k.doc.path);
    if (s != section && !s.empty()) out += s + ":\n";
    section = s;
    std::string value = k.get(hw);
    out += fmt::format("{}{}: {}\n", s.empty() ? "" : "  ", leaf_of(k.doc.path),
                       k.quoted ? quote_yaml(value) : value);
  }
  return out;
}

HwConfig load_hw_config(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext != ".yaml" && ext != ".yml" && ext != ".cfg") {
    throw input_error(
        "{}: unknown hardware config format '{}' (expected .yaml, .yml or a SCALE-Sim "
        ".cfg)",
        path, ext);
  }
  const std::string text = read_input_file(path, "the hardware config");
  return ext == ".cfg" ? parse_scalesim_cfg(text, path) : parse_hw_yaml(text, path);
}

}  // namespace nesim
