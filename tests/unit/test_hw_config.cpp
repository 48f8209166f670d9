// unit: is the hardware config right? Shipped files parse, every key round-trips, every user
// mistake is an InputError naming the file, the key path and what was expected.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "sim/hw/hw_config.h"
#include "sim/util/error.h"

using namespace nesim;

namespace {

const std::string kSource = NESIM_SOURCE_DIR;
const std::string kScaleSimConfigs = std::string(NESIM_SHARED_DIR) + "/data/scalesim/configs";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The message of the InputError that `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string yaml_error(const std::string& text) {
  return error_of([&] { parse_hw_yaml(text, "hwconfigs/x.yaml"); });
}

std::string cfg_error(const std::string& text) {
  return error_of([&] { parse_scalesim_cfg(text, "configs/x.cfg"); });
}

const char* kGoodCfg =
    "[general]\n"
    "run_name = tiny\n"
    "\n"
    "[architecture_presets]\n"
    "ArrayHeight:    8\n"
    "ArrayWidth:     4\n"
    "IfmapSramSzkB:   16\n"
    "FilterSramSzkB:  32\n"
    "OfmapSramSzkB:   8\n"
    "Dataflow : ws\n"
    "Bandwidth : 10\n"
    "\n"
    "[run_presets]\n"
    "InterfaceBandwidth: USER\n";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_SUITE("unit: hardware config") {
  TEST_CASE("every shipped config parses, validates and is a plausible engine") {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(kSource + "/hwconfigs"))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
    CHECK(files.size() >= 5);
    for (const std::string& path : files) {
      CAPTURE(path);
      HwConfig hw = load_hw_config(path);
      CHECK(hw.name == std::filesystem::path(path).stem().string());
      CHECK(hw.source == path);
      CHECK(!hw.description.empty());
      CHECK_NOTHROW(validate(hw, path));
      CHECK(hw.macs_per_cycle() >= 64);
      CHECK(hw.dram_bytes_per_cycle() > 1);
    }
  }

  TEST_CASE("the PF family scales MACs, SRAM and bandwidth together") {
    int64_t last_macs = 0, last_sram = 0;
    double last_gbps = 0;
    int pf = 8;
    for (const char* name : {"ne-pf8", "ne-pf16", "ne-pf32", "ne-pf64"}) {
      CAPTURE(name);
      HwConfig hw = load_hw_config(kSource + "/hwconfigs/" + name + ".yaml");
      CHECK(hw.mac_array.kind == ArrayKind::ChannelParallel);
      CHECK(hw.mac_array.pf == pf);
      CHECK(hw.macs_per_cycle() == int64_t{pf} * pf);
      CHECK(hw.macs_per_cycle() > last_macs);
      CHECK(hw.sram_bytes() > last_sram);
      CHECK(hw.dram.bandwidth_gbps > last_gbps);
      last_macs = hw.macs_per_cycle(), last_sram = hw.sram_bytes(),
      last_gbps = hw.dram.bandwidth_gbps;
      pf *= 2;
    }
  }

  TEST_CASE("ne-pf16.yaml is the in-code default engine") {
    HwConfig file = load_hw_config(kSource + "/hwconfigs/ne-pf16.yaml");
    HwConfig defaults;
    defaults.name = file.name;
    defaults.source = file.source;
    defaults.description = file.description;
    CHECK(file == defaults);
  }

  TEST_CASE("the systolic example is a 32x32 output-stationary array with split SRAM") {
    HwConfig hw = load_hw_config(kSource + "/hwconfigs/systolic-32x32-os.yaml");
    CHECK(hw.mac_array.kind == ArrayKind::Systolic);
    CHECK(hw.mac_array.dataflow == Dataflow::OS);
    CHECK(hw.macs_per_cycle() == 1024);
    CHECK(hw.sram.layout == SramLayout::Split);
    CHECK(hw.sram.kib == hw.sram.ifmap_kib + hw.sram.weight_kib + hw.sram.ofmap_kib);
  }

  TEST_CASE("defaults and derived quantities") {
    HwConfig hw;
    CHECK_NOTHROW(validate(hw, "defaults"));
    CHECK(hw.macs_per_cycle() == 256);
    CHECK(hw.dram_bytes_per_cycle() == doctest::Approx(10.0));  // 8 GB/s at 800 MHz
    CHECK(hw.dram_latency_cycles() == 80);                      // 100 ns at 800 MHz
    CHECK(hw.sram_bytes() == 512 * 1024);
    CHECK(hw.area_proxy() == doctest::Approx(256 + 512));
    CHECK(hw.bytes_per_element() == 1);
    CHECK(std::string(to_string(hw.mac_array.kind)) == "channel_parallel");
    CHECK(std::string(to_string(Dataflow::WS)) == "ws");
    CHECK(std::string(to_string(SramLayout::Split)) == "split");

    hw.dram.latency_ns = 100.5;
    CHECK(hw.dram_latency_cycles() == 81);  // 80.4 rounds up
    hw.precision = Precision::Fp16;
    CHECK(hw.bytes_per_element() == 2);

    hw.mac_array.kind = ArrayKind::Systolic;
    hw.mac_array.rows = 12, hw.mac_array.cols = 14;
    CHECK(hw.macs_per_cycle() == 168);
    hw.sram.layout = SramLayout::Split;
    hw.sram.ifmap_kib = 36, hw.sram.weight_kib = 36, hw.sram.ofmap_kib = 36;
    CHECK(hw.sram_bytes() == 108 * 1024);
    hw.depthwise.mode = DepthwiseMode::Dedicated;
    CHECK(hw.area_proxy() == doctest::Approx(168 + 16 * 9 + 108));
  }

  TEST_CASE("an empty mapping gives the defaults, named after the file") {
    HwConfig hw = parse_hw_yaml("{}", "dir/my-engine.yaml");
    HwConfig expected;
    expected.name = "my-engine";
    expected.source = "dir/my-engine.yaml";
    CHECK(hw == expected);
  }

  TEST_CASE("to_yaml then parse gives back the identical struct") {
    HwConfig hw;
    hw.name = "round: trip #1";
    hw.source = "rt.yaml";
    hw.description = "quotes \" and 'single', a # hash,\nnewline and unicode µ";
    hw.clock_mhz = 733.3333333333334;
    hw.precision = Precision::Fp16;
    hw.mac_array = {ArrayKind::Systolic, 7, 48, 24, Dataflow::IS, 3};
    hw.depthwise = {DepthwiseMode::Dedicated, 24, 25};
    hw.vector_unit = {12, 0};
    hw.sram.layout = SramLayout::Split;
    hw.sram.ifmap_kib = 100, hw.sram.weight_kib = 200, hw.sram.ofmap_kib = 50, hw.sram.kib = 350;
    hw.sram.banks = 3, hw.sram.bytes_per_cycle = 96;
    hw.dma = {16, 0, 1};
    hw.dram = {0.1 + 0.2, 0};
    hw.energy = {0.123456789012345, 0, 1e-7, 3.5e5, 0.0};
    CHECK_NOTHROW(validate(hw, "rt"));
    HwConfig back = parse_hw_yaml(to_yaml(hw), "rt.yaml");
    CHECK(back == hw);
    CHECK(to_yaml(back) == to_yaml(hw));

    for (const char* name : {"ne-pf8", "ne-pf64", "systolic-32x32-os"}) {
      HwConfig shipped = load_hw_config(kSource + "/hwconfigs/" + name + ".yaml");
      CHECK(parse_hw_yaml(to_yaml(shipped), shipped.source) == shipped);
    }
  }

  TEST_CASE("to_yaml writes every declared key, nested by section") {
    const std::string text = to_yaml(HwConfig{});
    for (const HwKey& k : hw_keys()) {
      CAPTURE(k.path);
      size_t dot = k.path.find('.');
      std::string leaf = dot == std::string::npos ? k.path : k.path.substr(dot + 1);
      CHECK(text.find(leaf + ":") != std::string::npos);
    }
    CHECK(text.find("\nmac_array:\n  kind: channel_parallel\n  pf: 16\n") != std::string::npos);
  }

  TEST_CASE("the key table declares each key once with unit, default and description") {
    std::set<std::string> paths;
    const HwConfig defaults;
    for (const HwKey& k : hw_keys()) {
      CAPTURE(k.path);
      CHECK(paths.insert(k.path).second);
      CHECK(!k.description.empty());
      CHECK(!k.default_value.empty());
      CHECK(!k.accepted.empty());
    }
    CHECK(paths.size() == 34);
    CHECK(paths.count("mac_array.pf"));
    CHECK(paths.count("energy.static_mw"));
    CHECK(paths.count("description"));
    // Each default in the table is what a default HwConfig holds: a key set to its declared
    // default leaves the struct unchanged.
    for (const HwKey& k : hw_keys()) {
      if (k.path == "name" || k.path == "description") continue;
      HwConfig hw;
      set_hw_key(hw, k.path, k.default_value, "--set");
      CHECK_MESSAGE(hw == defaults, k.path);
    }
  }

  TEST_CASE("docs/hwconfig.md contains the generated key table verbatim") {
    const std::string doc = read_text(kSource + "/docs/hwconfig.md");
    REQUIRE(!doc.empty());
    CHECK_MESSAGE(doc.find(hw_keys_markdown()) != std::string::npos,
                  "regenerate the table in docs/hwconfig.md with `nesim hwconfig-doc`");
    const std::string md = hw_keys_markdown();
    CHECK(md.find("| `mac_array.pf` | lanes | 16 | integer 1..1024 |") != std::string::npos);
  }

  TEST_CASE("a misspelled key names the file, the path and the nearest key") {
    CHECK(yaml_error("mac_array:\n  pff: 8\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pff': unknown key (did you mean 'mac_array.pf'?)");
    CHECK(yaml_error("clock: 800\n") ==
          "hwconfigs/x.yaml: key 'clock': unknown key (did you mean 'clock_mhz'?)");
    CHECK(yaml_error("dram:\n  bandwith_gbps: 4\n") ==
          "hwconfigs/x.yaml: key 'dram.bandwith_gbps': unknown key (did you mean "
          "'dram.bandwidth_gbps'?)");
    CHECK(yaml_error("mac_arry:\n  pf: 8\n") ==
          "hwconfigs/x.yaml: key 'mac_arry': unknown key (did you mean 'mac_array'?)");
    // A known key under the wrong section points to where it lives.
    CHECK(yaml_error("sram:\n  pf: 8\n") ==
          "hwconfigs/x.yaml: key 'sram.pf': unknown key (did you mean 'mac_array.pf'?)");
    // Nothing close: the keys of that section are listed.
    std::string far = yaml_error("dma:\n  zzzzzzzzzz: 1\n");
    CHECK(far.find("hwconfigs/x.yaml: key 'dma.zzzzzzzzzz': unknown key (known keys in dma: "
                   "dma.channels, dma.setup_cycles, dma.burst_bytes, dma.max_outstanding)") == 0);
  }

  TEST_CASE("wrong types and out-of-range values say what was expected and what was given") {
    CHECK(yaml_error("mac_array:\n  pf: abc\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got 'abc'");
    CHECK(yaml_error("mac_array:\n  pf: 2048\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got '2048'");
    CHECK(yaml_error("mac_array:\n  pf: 16.5\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got '16.5'");
    CHECK(yaml_error("mac_array:\n  rows: 0\n")
              .find("key 'mac_array.rows': expected an integer "
                    "in 1..4096, got '0'") != std::string::npos);
    CHECK(yaml_error("clock_mhz: -5\n") ==
          "hwconfigs/x.yaml: key 'clock_mhz': expected a number in [1, 10000], got '-5'");
    CHECK(yaml_error("clock_mhz: 800MHz\n").find("got '800MHz'") != std::string::npos);
    CHECK(yaml_error("clock_mhz: .nan\n").find("key 'clock_mhz'") != std::string::npos);
    CHECK(yaml_error("sram:\n  kib: 0\n") ==
          "hwconfigs/x.yaml: key 'sram.kib': expected an integer in 1..4194304, got '0'");
    CHECK(yaml_error("dma:\n  channels: 17\n") ==
          "hwconfigs/x.yaml: key 'dma.channels': expected an integer in 1..16, got '17'");
    CHECK(yaml_error("dma:\n  setup_cycles: -1\n").find("key 'dma.setup_cycles'") !=
          std::string::npos);
    CHECK(yaml_error("dram:\n  bandwidth_gbps: 0\n") ==
          "hwconfigs/x.yaml: key 'dram.bandwidth_gbps': expected a number in [0.001, 1000000], got '0'");
    CHECK(yaml_error("energy:\n  mac_pj: -0.1\n") ==
          "hwconfigs/x.yaml: key 'energy.mac_pj': expected a number in [0, 1000000], got '-0.1'");
    CHECK(yaml_error("precision: int4\n") ==
          "hwconfigs/x.yaml: key 'precision': expected one of int8, fp16, got 'int4'");
    CHECK(yaml_error("mac_array:\n  dataflow: rs\n") ==
          "hwconfigs/x.yaml: key 'mac_array.dataflow': expected one of os, ws, is, got 'rs'");
  }

  TEST_CASE("the wrong YAML shape is named") {
    CHECK(yaml_error("mac_array:\n  pf:\n    value: 8\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got a mapping");
    CHECK(yaml_error("mac_array:\n  pf: [8, 16]\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got a list");
    CHECK(yaml_error("mac_array:\n  pf:\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': expected an integer in 1..1024, got nothing");
    CHECK(yaml_error("mac_array: 16\n")
              .find("hwconfigs/x.yaml: key 'mac_array': expected a "
                    "mapping of mac_array keys (mac_array.kind, "
                    "mac_array.pf,") == 0);
    CHECK(yaml_error("- 1\n- 2\n") ==
          "hwconfigs/x.yaml: expected a mapping of hardware keys at the top level, got a list");
    CHECK(yaml_error("mac_array:\n  pf: 8\nmac_array:\n  rows: 4\n").find("given twice") !=
          std::string::npos);
    CHECK(yaml_error("mac_array.pf: 8\n") ==
          "hwconfigs/x.yaml: key 'mac_array.pf': write nested mappings (mac_array: {pf: ...}), "
          "not dotted keys");
  }

  TEST_CASE("YAML syntax errors carry yaml-cpp's line and column") {
    std::string e = yaml_error("name: a\nmac_array:\n  pf: [8\n");
    CHECK(e.find("hwconfigs/x.yaml: line ") == 0);
    CHECK(e.find("column") != std::string::npos);
    CHECK(e.find("invalid YAML") != std::string::npos);
    std::string bad_indent = yaml_error("mac_array:\n  pf: 8\n rows: 4\n");
    CHECK(bad_indent.find("hwconfigs/x.yaml: line 3, column") == 0);
  }

  TEST_CASE("an empty file and a missing file are named") {
    CHECK(yaml_error("") ==
          "hwconfigs/x.yaml: empty file: expected a mapping of hardware keys (see "
          "docs/hwconfig.md)");
    CHECK(yaml_error("# only a comment\n").find("empty file") != std::string::npos);
    std::string missing = error_of([] { load_hw_config("/nonexistent/dir/hw.yaml"); });
    CHECK(missing == "/nonexistent/dir/hw.yaml: cannot read the hardware config: no such file");
    const auto dir = std::filesystem::temp_directory_path() / "nesim-test-dir.yaml";
    std::filesystem::create_directories(dir);
    CHECK(error_of([&] { load_hw_config(dir.string()); }) ==
          dir.string() + ": cannot read the hardware config: it is a directory");
    std::filesystem::remove(dir);
    std::string ext = error_of([] { load_hw_config("hw.json"); });
    CHECK(ext ==
          "hw.json: unknown hardware config format '.json' (expected .yaml, .yml or a "
          "SCALE-Sim .cfg)");
  }

  TEST_CASE("split SRAM: sram.kib is the sum of the three buffers") {
    HwConfig hw = parse_hw_yaml(
        "sram:\n  layout: split\n  ifmap_kib: 64\n  weight_kib: 128\n  ofmap_kib: 32\n", "s.yaml");
    CHECK(hw.sram.kib == 224);
    CHECK(hw.sram_bytes() == 224 * 1024);
    CHECK_NOTHROW(parse_hw_yaml(
        "sram:\n  kib: 224\n  layout: split\n  ifmap_kib: 64\n  weight_kib: 128\n  ofmap_kib: 32\n",
        "s.yaml"));
    CHECK(yaml_error("sram:\n  kib: 512\n  layout: split\n  ifmap_kib: 64\n  weight_kib: 128\n"
                     "  ofmap_kib: 32\n") ==
          "hwconfigs/x.yaml: key 'sram.kib': expected 224 (sram.ifmap_kib + sram.weight_kib + "
          "sram.ofmap_kib) when sram.layout is split, got '512'; omit sram.kib");
    CHECK(yaml_error("sram:\n  layout: split\n  ifmap_kib: 64\n  ofmap_kib: 32\n") ==
          "hwconfigs/x.yaml: key 'sram.weight_kib': expected a positive integer when sram.layout "
          "is split, got '0'");
    CHECK(yaml_error("sram:\n  ifmap_kib: 64\n") ==
          "hwconfigs/x.yaml: key 'sram.ifmap_kib': only used when sram.layout is split (got "
          "'64'); remove it or set sram.layout: split");
  }

  TEST_CASE("validate checks configs built in code") {
    HwConfig hw;
    hw.mac_array.pf = 0;
    CHECK(error_of([&] { validate(hw, "nas candidate 7"); }) ==
          "nas candidate 7: key 'mac_array.pf': expected an integer in 1..1024, got '0'");
    hw = HwConfig{};
    hw.mac_array.kind = ArrayKind::Systolic;
    hw.mac_array.cols = -3;
    CHECK(error_of([&] { validate(hw, "w"); }).find("key 'mac_array.cols'") != std::string::npos);
    hw = HwConfig{};
    hw.dma.channels = 32;
    CHECK(error_of([&] { validate(hw, "w"); }).find("key 'dma.channels'") != std::string::npos);
    hw = HwConfig{};
    hw.clock_mhz = 0;
    CHECK(error_of([&] { validate(hw, "w"); }).find("key 'clock_mhz'") != std::string::npos);
    hw = HwConfig{};
    hw.precision = static_cast<Precision>(7);
    CHECK(error_of([&] { validate(hw, "w"); }).find("key 'precision'") != std::string::npos);
  }

  TEST_CASE("set_hw_key applies a sweep value with the file's checking") {
    HwConfig hw;
    set_hw_key(hw, "mac_array.pf", "32", "--set mac_array.pf=32");
    CHECK(hw.mac_array.pf == 32);
    set_hw_key(hw, "dram.bandwidth_gbps", "12.8", "--set");
    CHECK(hw.dram.bandwidth_gbps == 12.8);
    set_hw_key(hw, "mac_array.kind", "systolic", "--set");
    CHECK(hw.mac_array.kind == ArrayKind::Systolic);
    set_hw_key(hw, "name", "swept", "--set");
    CHECK(hw.name == "swept");

    CHECK(error_of([&] { set_hw_key(hw, "mac_array.pff", "8", "--set mac_array.pff=8"); }) ==
          "--set mac_array.pff=8: key 'mac_array.pff': unknown key (did you mean "
          "'mac_array.pf'?)");
    CHECK(error_of([&] { set_hw_key(hw, "mac_array.pf", "x", "--set mac_array.pf=x"); }) ==
          "--set mac_array.pf=x: key 'mac_array.pf': expected an integer in 1..1024, got 'x'");
    CHECK(error_of([&] { set_hw_key(hw, "dma.channels", "0", "--set"); }) ==
          "--set: key 'dma.channels': expected an integer in 1..16, got '0'");
    CHECK(error_of([&] {
            set_hw_key(hw, "mac_array", "8", "--set");
          }).find("--set: key 'mac_array': is a section; set one of its keys (mac_array.kind,") ==
          0);
    HwConfig unchanged = hw;
    CHECK(!error_of([&] { set_hw_key(hw, "mac_array.pf", "0", "--set"); }).empty());
    CHECK(hw == unchanged);
  }

  TEST_CASE("set_hw_key keeps sram.kib the total across split layouts") {
    HwConfig hw = load_hw_config(kSource + "/hwconfigs/systolic-32x32-os.yaml");
    const int64_t total = hw.sram.kib;
    set_hw_key(hw, "sram.ifmap_kib", std::to_string(hw.sram.ifmap_kib + 100), "--set");
    CHECK(hw.sram.kib == total + 100);
    CHECK_NOTHROW(validate(hw, "swept"));
    CHECK(error_of([&] {
            set_hw_key(hw, "sram.kib", "1024", "--set sram.kib=1024");
          }).find("--set sram.kib=1024: key 'sram.kib': with sram.layout split") == 0);
    set_hw_key(hw, "sram.layout", "unified", "--set");
    CHECK(hw.sram.kib == total + 100);
    CHECK(hw.sram.ifmap_kib == 0);
    CHECK_NOTHROW(validate(hw, "swept"));

    HwConfig unified;
    set_hw_key(unified, "sram.layout", "split", "--set");
    CHECK(!error_of([&] { validate(unified, "w"); }).empty());  // no split capacities given
  }

  TEST_CASE("every shipped SCALE-Sim config imports as the systolic array it describes") {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kScaleSimConfigs)) {
      if (entry.path().extension() != ".cfg") continue;
      ++count;
      const std::string path = entry.path().string();
      const std::string stem = entry.path().stem().string();
      CAPTURE(path);
      HwConfig hw = load_hw_config(path);
      CHECK(hw.name == stem);  // run_name equals the file stem in every shipped file
      CHECK(hw.source == path);
      CHECK(hw.mac_array.kind == ArrayKind::Systolic);
      CHECK(hw.clock_mhz == 1000);
      CHECK(hw.precision == Precision::Int8);
      CHECK(hw.sram.layout == SramLayout::Split);
      CHECK(hw.sram.kib == hw.sram.ifmap_kib + hw.sram.weight_kib + hw.sram.ofmap_kib);
      CHECK(hw.mac_array.dataflow ==
            (stem.find("_os") != std::string::npos ? Dataflow::OS : Dataflow::WS));
      if (stem.rfind("scale32", 0) == 0) {
        CHECK(hw.mac_array.rows == 32);
        CHECK(hw.mac_array.cols == 32);
        CHECK(hw.sram.ifmap_kib == 64);
        CHECK(hw.sram.weight_kib == 64);
        CHECK(hw.sram.ofmap_kib == 64);
      } else if (stem.rfind("eyeriss", 0) == 0) {
        CHECK(hw.mac_array.rows == 12);
        CHECK(hw.mac_array.cols == 14);
        CHECK(hw.sram.kib == 108);
      } else {
        REQUIRE(stem.rfind("googletpu256", 0) == 0);
        CHECK(hw.macs_per_cycle() == 65536);
        CHECK(hw.sram.ifmap_kib == 6144);
        CHECK(hw.sram.weight_kib == 6144);
        CHECK(hw.sram.ofmap_kib == 2048);
      }
      if (stem == "scale32_ws_userbw10") {
        CHECK(hw.dram.bandwidth_gbps == 10);
        CHECK(hw.dram_bytes_per_cycle() == doctest::Approx(10));
        CHECK(hw.description.find("USER") != std::string::npos);
      } else {
        CHECK(hw.dram_bytes_per_cycle() >= 1e5);  // CALC: bandwidth never stalls
        CHECK(hw.description.find("CALC") != std::string::npos);
      }
      CHECK(hw.dram_latency_cycles() == 0);
      CHECK(hw.dma.setup_cycles == 0);
      CHECK(parse_hw_yaml(to_yaml(hw), hw.source) == hw);
    }
    CHECK(count == 7);
  }

  TEST_CASE("SCALE-Sim syntax details: case-insensitive keys, '=' or ':', comments") {
    HwConfig hw = parse_scalesim_cfg(kGoodCfg, "configs/x.cfg");
    CHECK(hw.name == "tiny");
    CHECK(hw.mac_array.rows == 8);
    CHECK(hw.mac_array.cols == 4);
    CHECK(hw.mac_array.dataflow == Dataflow::WS);
    CHECK(hw.sram.kib == 56);
    CHECK(hw.dram.bandwidth_gbps == 10);

    std::string variant = replace(kGoodCfg, "ArrayHeight:    8", "# a comment\narrayheight = 8");
    variant = replace(variant, "run_name = tiny\n", "");
    variant +=
        "\n[network_presets]\nTopologyCsvLoc = \"topologies/x.csv\"\n"
        "[sparsity]\nSparsitySupport : false\n";
    hw = parse_scalesim_cfg(variant, "configs/other.cfg");
    CHECK(hw.mac_array.rows == 8);
    CHECK(hw.name == "other");

    std::string windows = "\xEF\xBB\xBF";  // a BOM and CRLF line ends, as Notepad saves
    for (char c : std::string(kGoodCfg))
      windows += c == '\n' ? std::string("\r\n") : std::string(1, c);
    CHECK(parse_scalesim_cfg(windows, "configs/x.cfg") ==
          parse_scalesim_cfg(kGoodCfg, "configs/x.cfg"));
  }

  TEST_CASE("a bad SCALE-Sim config names the file, the line and the key") {
    CHECK(cfg_error(replace(kGoodCfg, "ArrayHeight:", "ArrayHieght:")) ==
          "configs/x.cfg:5: key 'ArrayHieght' in [architecture_presets]: unknown key (did you "
          "mean 'ArrayHeight'?)");
    CHECK(cfg_error(replace(kGoodCfg, "[run_presets]", "[run_preset]")) ==
          "configs/x.cfg:13: unknown section [run_preset] (did you mean [run_presets]?)");
    CHECK(cfg_error(replace(kGoodCfg, "ArrayWidth:     4", "ArrayWidth: four")) ==
          "configs/x.cfg:6: key 'ArrayWidth' in [architecture_presets]: expected an integer in "
          "1..4096, got 'four'");
    CHECK(cfg_error(replace(kGoodCfg, "Dataflow : ws", "Dataflow : rs")) ==
          "configs/x.cfg:10: key 'Dataflow' in [architecture_presets]: expected one of os, ws, "
          "is, got 'rs'");
    CHECK(cfg_error(replace(kGoodCfg, "USER", "AUTO")) ==
          "configs/x.cfg:14: key 'InterfaceBandwidth' in [run_presets]: expected USER or CALC, "
          "got 'AUTO'");
    CHECK(cfg_error(replace(kGoodCfg, "Bandwidth : 10", "Bandwidth : 0"))
              .find("configs/x.cfg:11: key 'Bandwidth'") == 0);
    CHECK(cfg_error(replace(kGoodCfg, "OfmapSramSzkB:   8\n", "")) ==
          "configs/x.cfg: key 'OfmapSramSzkB' in [architecture_presets]: missing (SCALE-Sim "
          "requires it)");
    CHECK(cfg_error(replace(kGoodCfg, "Bandwidth : 10\n", "")) ==
          "configs/x.cfg: key 'Bandwidth' in [architecture_presets]: missing (required with "
          "InterfaceBandwidth: USER)");
    CHECK(cfg_error(replace(kGoodCfg, "Bandwidth : 10", "Bandwidth : 10\nMemoryBanks: 2")) ==
          "configs/x.cfg:11: key 'Bandwidth' in [architecture_presets]: expected 2 values (one "
          "per MemoryBanks), got 1");
    CHECK(cfg_error(replace(kGoodCfg, "[general]\n", "")) ==
          "configs/x.cfg:1: key 'run_name' comes before any [section]");
    CHECK(cfg_error(replace(kGoodCfg, "ArrayWidth:     4", "ArrayWidth 4")) ==
          "configs/x.cfg:6: expected 'key = value' or 'key: value', got 'ArrayWidth 4'");
    CHECK(cfg_error(replace(kGoodCfg, "ArrayWidth:     4", "ArrayWidth: 4\nArrayWidth: 5")) ==
          "configs/x.cfg:7: key 'ArrayWidth' in [architecture_presets]: given twice (first on "
          "line 6)");
    CHECK(cfg_error(replace(kGoodCfg, "InterfaceBandwidth: USER",
                            "InterfaceBandwidth: USER\nArrayHeight: 8")) ==
          "configs/x.cfg:15: key 'ArrayHeight' in [run_presets]: unknown key here (it belongs in "
          "[architecture_presets])");
    CHECK(cfg_error(std::string(kGoodCfg) + "[sparsity]\nSparsitySupport: true\n") ==
          "configs/x.cfg:16: key 'SparsitySupport' in [sparsity]: expected false (nesim does not "
          "model SCALE-Sim's sparse arrays), got 'true'");
    CHECK(cfg_error(std::string(kGoodCfg) + "[general]\n")
              .find("configs/x.cfg:15: section "
                    "[general] appears twice") == 0);
    CHECK(cfg_error("").find("configs/x.cfg: key 'ArrayHeight' in [architecture_presets]: "
                             "missing") == 0);
  }
}
