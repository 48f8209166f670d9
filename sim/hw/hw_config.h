#pragma once
// An engine's description as plain data. Parsed once from YAML (or a SCALE-Sim .cfg), then read
// by the compiler and the SystemC engine; neither ever sees YAML. Tests and the NAS loop build
// these in code. Every key is declared once in hw_config.cpp with unit, default and description,
// and docs/hwconfig.md is generated from those declarations (`nesim hwconfig-doc`).
#include <cstdint>
#include <string>
#include <vector>

namespace nesim {

enum class Precision { Int8, Fp16 };
enum class ArrayKind { ChannelParallel, Systolic };
enum class Dataflow { OS, WS, IS };          // systolic only: output / weight / input stationary
enum class DepthwiseMode { MacArray, Dedicated };
enum class SramLayout { Unified, Split };

struct HwConfig {
  std::string name;                 // from `name:` or the file stem
  std::string source;               // file it came from ("" when built in code)
  std::string description;          // free text from `description:`
  double clock_mhz = 800;
  Precision precision = Precision::Int8;

  struct MacArray {
    ArrayKind kind = ArrayKind::ChannelParallel;
    int pf = 16;                    // channel_parallel: pf input lanes x pf output lanes
    int rows = 32, cols = 32;       // systolic geometry
    Dataflow dataflow = Dataflow::OS;
    int pipeline_fill_cycles = 8;   // channel_parallel: adder-tree fill/drain per tile
    bool operator==(const MacArray&) const = default;
  } mac_array;

  struct Depthwise {
    DepthwiseMode mode = DepthwiseMode::MacArray;  // on the MAC array: one input lane per channel
    int lanes = 16;                 // dedicated unit: channels processed per cycle
    int macs_per_lane = 9;          // dedicated unit: kernel taps per lane per cycle
    bool operator==(const Depthwise&) const = default;
  } depthwise;

  struct VectorUnit {
    int lanes = 16;                 // elements per cycle
    int special_fn_cycles = 4;      // extra cycles per element-vector for sigmoid/swish (LUT)
    bool operator==(const VectorUnit&) const = default;
  } vector_unit;

  struct Sram {
    int64_t kib = 512;              // unified capacity
    SramLayout layout = SramLayout::Unified;
    int64_t ifmap_kib = 0, weight_kib = 0, ofmap_kib = 0;  // split layout capacities
    int banks = 8;
    int bytes_per_cycle = 64;       // aggregate read+write bandwidth to the datapath
    bool operator==(const Sram&) const = default;
  } sram;

  struct Dma {
    int channels = 2;
    int setup_cycles = 32;          // per transfer, before the first byte
    int burst_bytes = 64;           // transfers are rounded up to whole bursts
    int max_outstanding = 4;        // bursts in flight per channel (one latency window)
    bool operator==(const Dma&) const = default;
  } dma;

  struct Dram {
    double bandwidth_gbps = 8.0;    // GB/s (1e9 bytes/s), shared by all DMA channels
    double latency_ns = 100;        // first-byte latency
    bool operator==(const Dram&) const = default;
  } dram;

  struct Energy {
    double mac_pj = 0.2;
    double sram_pj_per_byte = 1.0;    // at a 32 KiB buffer (kSramReferenceKib)
    double sram_size_exponent = 0.5;  // pJ/B grows as (capacity / 32 KiB)^this
    double dram_pj_per_byte = 20.0;
    double vector_op_pj = 0.1;
    double static_mw = 20.0;
    bool operator==(const Energy&) const = default;
  } energy;

  // Derived quantities (no state: computed from the fields above).
  int bytes_per_element() const { return precision == Precision::Int8 ? 1 : 2; }
  int64_t macs_per_cycle() const;           // the MAC array's peak: pf*pf, or rows*cols
  // The engine's peak, what utilisation is measured against: the MAC array plus the dedicated
  // depthwise unit (lanes * macs_per_lane) when depthwise.mode is dedicated.
  int64_t peak_macs_per_cycle() const;
  double dram_bytes_per_cycle() const;      // bandwidth_gbps * 1e3 / clock_mhz
  int64_t dram_latency_cycles() const;      // ceil(latency_ns * clock_mhz / 1e3)
  int64_t sram_bytes() const;               // total capacity in bytes
  double area_proxy() const;                // MAC count + SRAM KiB-equivalent (documented in docs)

  bool operator==(const HwConfig&) const = default;
};

// One declared key: path such as "mac_array.pf", its unit, default (as text) and meaning.
struct HwKey {
  std::string path, unit, default_value, description;
  std::string accepted;             // what a value may be, e.g. "integer 1..1024", "int8, fp16"
};
const std::vector<HwKey>& hw_keys();

// Parses a YAML hardware file. Unknown keys, wrong types and out-of-range values throw
// InputError naming the file, the key path, what was expected and (for unknown keys) the nearest
// known key. Files ending in .cfg are read as SCALE-Sim configs (systolic).
HwConfig load_hw_config(const std::string& path);
HwConfig parse_hw_yaml(const std::string& text, const std::string& where);
HwConfig parse_scalesim_cfg(const std::string& text, const std::string& where);

// Applies a sweep override such as ("mac_array.pf", "32") with the same checking as the file.
void set_hw_key(HwConfig& hw, const std::string& path, const std::string& value,
                const std::string& where);
// Validates cross-field constraints (e.g. split SRAM capacities add up, pf > 0).
void validate(const HwConfig& hw, const std::string& where);

// Markdown reference of every key (docs/hwconfig.md is this plus prose).
std::string hw_keys_markdown();
std::string to_yaml(const HwConfig& hw);  // round-trips through parse_hw_yaml

const char* to_string(Precision p);
const char* to_string(ArrayKind k);
const char* to_string(Dataflow d);
const char* to_string(DepthwiseMode m);
const char* to_string(SramLayout l);

}  // namespace nesim
