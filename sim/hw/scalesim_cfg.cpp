// Reads SCALE-Sim v2 .cfg files (INI) into a systolic HwConfig, so that nesim runs on the same
// inputs as the simulator architects already use. The mapping is documented in docs/hwconfig.md.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "sim/util/text.h"
#include "sim/hw/hw_config.h"
#include "sim/util/error.h"

namespace nesim {
namespace {

using text::join;
using text::nearest;
using text::parse_int;

// One SCALE-Sim cycle is one nesim cycle at 1 GHz, so words/cycle (1 byte each) equals GB/s.
constexpr double kScaleSimClockMhz = 1000;
// InterfaceBandwidth CALC: SCALE-Sim sizes the interface so that reads never stall.
constexpr double kCalcBandwidthGbps = 1e6;
// SCALE-Sim does not model SRAM port bandwidth; the largest accepted value never limits.
constexpr int kUnlimitedSramBytesPerCycle = 1 << 20;

struct Import {
  HwConfig hw;
  std::vector<int64_t> bandwidth_words;
  bool user_bandwidth = false;
  std::optional<int64_t> memory_banks;
};

struct CfgKey {
  const char* section;
  const char* name;
  bool required;
  std::string expected;
  std::function<bool(Import&, const std::string&)> apply;  // false: value not accepted
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// configparser's getboolean() spellings.
std::optional<bool> parse_bool(const std::string& text) {
  const std::string t = lower(text);
  if (t == "1" || t == "yes" || t == "true" || t == "on") return true;
  if (t == "0" || t == "no" || t == "false" || t == "off") return false;
  return std::nullopt;
}

CfgKey int_key(const char* section, const char* name, bool required, int64_t lo, int64_t hi,
               std::function<void(Import&, int64_t)> store) {
  return {section, name, required, fmt::format("an integer in {}..{}", lo, hi),
          [=](Import& im, const std::string& text) {
            std::optional<int64_t> v = parse_int(text);
            if (!v || *v < lo || *v > hi) return false;
            store(im, *v);
            return true;
          }};
}

// Keys SCALE-Sim reads that nesim does not model (addresses, trace output, bank layout).
CfgKey ignored(const char* section, const char* name) {
  return {section, name, false, "any value", [](Import&, const std::string&) { return true; }};
}

const std::vector<CfgKey>& cfg_keys() {
  static const std::vector<CfgKey> keys = [] {
    constexpr int64_t kMaxKib = int64_t{1} << 22;
    std::vector<CfgKey> k;
    k.push_back({"general", "run_name", false, "a name", [](Import& im, const std::string& t) {
                   im.hw.name = t;
                   return !t.empty();
                 }});
    const char* arch = "architecture_presets";
    k.push_back(int_key(arch, "ArrayHeight", true, 1, 4096,
                        [](Import& im, int64_t v) { im.hw.mac_array.rows = static_cast<int>(v); }));
    k.push_back(int_key(arch, "ArrayWidth", true, 1, 4096,
                        [](Import& im, int64_t v) { im.hw.mac_array.cols = static_cast<int>(v); }));
    k.push_back(int_key(arch, "IfmapSramSzkB", true, 1, kMaxKib,
                        [](Import& im, int64_t v) { im.hw.sram.ifmap_kib = v; }));
    k.push_back(int_key(arch, "FilterSramSzkB", true, 1, kMaxKib,
                        [](Import& im, int64_t v) { im.hw.sram.weight_kib = v; }));
    k.push_back(int_key(arch, "OfmapSramSzkB", true, 1, kMaxKib,
                        [](Import& im, int64_t v) { im.hw.sram.ofmap_kib = v; }));
    k.push_back({arch, "Dataflow", true, "one of os, ws, is", [](Import& im, const std::string& t) {
                   if (t == "os")
                     im.hw.mac_array.dataflow = Dataflow::OS;
                   else if (t == "ws")
                     im.hw.mac_array.dataflow = Dataflow::WS;
                   else if (t == "is")
                     im.hw.mac_array.dataflow = Dataflow::IS;
                   else
                     return false;
                   return true;
                 }});
    k.push_back({arch, "Bandwidth", false, "positive integers (words/cycle) separated by commas",
                 [](Import& im, const std::string& t) {
                   im.bandwidth_words.clear();
                   std::stringstream parts(t);
                   for (std::string part; std::getline(parts, part, ',');) {
                     std::optional<int64_t> v = parse_int(trim(part));
                     if (!v || *v < 1) return false;
                     im.bandwidth_words.push_back(*v);
                   }
                   return !im.bandwidth_words.empty();
                 }});
    k.push_back(int_key(arch, "MemoryBanks", false, 1, 1024,
                        [](Import& im, int64_t v) { im.memory_banks = v; }));
    for (const char* name : {"IfmapOffset", "FilterOffset", "OfmapOffset"})
      k.push_back(int_key(arch, name, false, 0, int64_t{1} << 62, [](Import&, int64_t) {}));
    for (const char* name :
         {"ReadRequestBuffer", "WriteRequestBuffer", "OnChipMemoryBanks", "OnChipMemoryBankPorts"})
      k.push_back(ignored(arch, name));
    for (const char* section : {arch, "layout"}) {
      for (const char* name : {"IfmapCustomLayout", "FilterCustomLayout", "IfmapSRAMBankBandwidth",
                               "IfmapSRAMBankNum", "IfmapSRAMBankPort", "FilterSRAMBankBandwidth",
                               "FilterSRAMBankNum", "FilterSRAMBankPort"})
        k.push_back(ignored(section, name));
    }
    k.push_back({"run_presets", "InterfaceBandwidth", true, "USER or CALC",
                 [](Import& im, const std::string& t) {
                   im.user_bandwidth = t == "USER";
                   return t == "USER" || t == "CALC";
                 }});
    k.push_back(ignored("run_presets", "UseRamulatorTrace"));
    k.push_back(ignored("network_presets", "TopologyCsvLoc"));
    k.push_back({"sparsity", "SparsitySupport", false,
                 "false (nesim does not model SCALE-Sim's sparse arrays)",
                 [](Import&, const std::string& t) { return parse_bool(t) == false; }});
    for (const char* name :
         {"SparseRep", "OptimizedMapping", "BlockSize", "RandomNumberGeneratorSeed"})
      k.push_back(ignored("sparsity", name));
    return k;
  }();
  return keys;
}

std::vector<std::string> sections() {
  std::vector<std::string> out;
  for (const CfgKey& k : cfg_keys())
    if (std::find(out.begin(), out.end(), k.section) == out.end()) out.push_back(k.section);
  return out;
}

const CfgKey* find_cfg_key(const std::string& section, const std::string& name) {
  for (const CfgKey& k : cfg_keys())
    if (section == k.section && lower(name) == lower(k.name)) return &k;
  return nullptr;
}

InputError unknown_cfg_key(const std::string& at, const std::string& section,
                           const std::string& name) {
  std::vector<std::string> here;
  for (const CfgKey& k : cfg_keys()) {
    if (section == k.section) here.push_back(k.name);
    if (section != k.section && lower(name) == lower(k.name))
      return input_error("{}: key '{}' in [{}]: unknown key here (it belongs in [{}])", at, name,
                         section, k.section);
  }
  std::string suggestion = nearest(lower(name), [&] {
    std::vector<std::string> lowered;
    for (const std::string& h : here) lowered.push_back(lower(h));
    return lowered;
  }());
  for (const std::string& h : here)
    if (lower(h) == suggestion && !suggestion.empty())
      return input_error("{}: key '{}' in [{}]: unknown key (did you mean '{}'?)", at, name,
                         section, h);
  return input_error("{}: key '{}' in [{}]: unknown key (known keys: {})", at, name, section,
                     join(here));
}

}  // namespace

HwConfig parse_scalesim_cfg(const std::string& text, const std::string& where) {
  text::require_utf8(text, where);
  Import im;
  std::map<std::string, int> key_lines;  // "section/lowercase key" -> line
  std::map<std::string, int> section_lines;
  std::string section;
  std::stringstream lines(text);
  int line_no = 0;
  for (std::string raw; std::getline(lines, raw);) {
    if (++line_no == 1 && raw.rfind("\xEF\xBB\xBF", 0) == 0) raw.erase(0, 3);  // UTF-8 BOM
    const std::string line = trim(raw);
    const std::string at = fmt::format("{}:{}", where, line_no);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']')
        throw input_error("{}: expected a section header '[name]', got '{}'", at, line);
      section = trim(line.substr(1, line.size() - 2));
      std::vector<std::string> known = sections();
      if (std::find(known.begin(), known.end(), section) == known.end()) {
        std::string suggestion = nearest(section, known);
        if (!suggestion.empty())
          throw input_error("{}: unknown section [{}] (did you mean [{}]?)", at, section,
                            suggestion);
        throw input_error("{}: unknown section [{}] (known sections: {})", at, section,
                          join(known));
      }
      if (!section_lines.emplace(section, line_no).second)
        throw input_error("{}: section [{}] appears twice (first on line {})", at, section,
                          section_lines[section]);
      continue;
    }
    const size_t sep = line.find_first_of(":=");
    if (sep == std::string::npos)
      throw input_error("{}: expected 'key = value' or 'key: value', got '{}'", at, line);
    const std::string name = trim(line.substr(0, sep));
    const std::string value = trim(line.substr(sep + 1));
    if (section.empty()) throw input_error("{}: key '{}' comes before any [section]", at, name);
    const CfgKey* key = find_cfg_key(section, name);
    if (!key) throw unknown_cfg_key(at, section, name);
    auto [seen, fresh] = key_lines.emplace(section + "/" + lower(key->name), line_no);
    if (!fresh)
      throw input_error("{}: key '{}' in [{}]: given twice (first on line {})", at, name, section,
                        seen->second);
    if (!key->apply(im, value))
      throw input_error("{}: key '{}' in [{}]: expected {}, got '{}'", at, name, section,
                        key->expected, value);
  }

  auto line_of = [&](const char* sec, const char* name) {
    auto it = key_lines.find(std::string(sec) + "/" + lower(name));
    return it == key_lines.end() ? 0 : it->second;
  };
  for (const CfgKey& k : cfg_keys()) {
    if (k.required && !line_of(k.section, k.name))
      throw input_error("{}: key '{}' in [{}]: missing (SCALE-Sim requires it)", where, k.name,
                        k.section);
  }
  HwConfig& hw = im.hw;
  if (im.user_bandwidth) {
    const int bw_line = line_of("architecture_presets", "Bandwidth");
    if (!bw_line)
      throw input_error(
          "{}: key 'Bandwidth' in [architecture_presets]: missing (required with "
          "InterfaceBandwidth: USER)",
          where);
    if (im.memory_banks && *im.memory_banks != static_cast<int64_t>(im.bandwidth_words.size()))
      throw input_error(
          "{}:{}: key 'Bandwidth' in [architecture_presets]: expected {} values "
          "(one per MemoryBanks), got {}",
          where, bw_line, *im.memory_banks, im.bandwidth_words.size());
    // SCALE-Sim gives each operand buffer the first bank's bandwidth (bws[0]).
    hw.dram.bandwidth_gbps = static_cast<double>(im.bandwidth_words.front());
  } else {
    hw.dram.bandwidth_gbps = kCalcBandwidthGbps;
  }
  if (!line_of("general", "run_name")) hw.name = text::file_stem(where);
  hw.source = where;
  hw.description = fmt::format("Imported from SCALE-Sim config {} (InterfaceBandwidth {})",
                               std::filesystem::path(where).filename().string(),
                               im.user_bandwidth ? "USER" : "CALC");
  hw.clock_mhz = kScaleSimClockMhz;
  hw.precision = Precision::Int8;
  hw.mac_array.kind = ArrayKind::Systolic;
  hw.depthwise.mode = DepthwiseMode::MacArray;
  hw.sram.layout = SramLayout::Split;
  hw.sram.kib = hw.sram.ifmap_kib + hw.sram.weight_kib + hw.sram.ofmap_kib;
  hw.sram.bytes_per_cycle = kUnlimitedSramBytesPerCycle;
  // SCALE-Sim moves single words with no per-transfer cost, one stream per operand buffer.
  hw.dma.channels = 3;
  hw.dma.setup_cycles = 0;
  hw.dma.burst_bytes = 1;
  hw.dram.latency_ns = 0;
  validate(hw, where);
  return hw;
}

}  // namespace nesim
