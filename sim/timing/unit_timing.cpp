// Closed-form cycle counts of the engine's units. docs/scalesim.md derives the systolic formula
// from SCALE-Sim v2's code; the channel-parallel formulas are nesim's own and are written out on
// each function in unit_timing.h.
#include "sim/timing/unit_timing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/timing/sram_traffic.h"
#include "sim/util/checked.h"
#include "sim/util/error.h"

namespace nesim {
namespace {

// A non-positive divisor here is a bug upstream (validate() rejects such configs), so it is
// reported by the HwConfig key it came from instead of being divided by.
int64_t ceil_div(int64_t num, int64_t den, const char* key) {
  if (den <= 0) {
    throw std::invalid_argument(
        fmt::format("unit timing: {} must be positive, got {}", key, den));
  }
  if (num <= 0) return 0;
  return (num + den - 1) / den;
}

bool has_conv_work(const ComputeStep& s) {
  return s.out_pixels > 0 && s.in_channels > 0 && s.out_channels > 0 && s.groups > 0 &&
         s.taps > 0;
}

// One input channel and one output channel per group: a depthwise convolution.
bool is_depthwise(const ComputeStep& s) {
  return s.groups > 1 && s.in_channels == 1 && s.out_channels == 1;
}

}  // namespace

SystolicFolds scalesim_folds(int rows, int cols, Dataflow df, int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0) return {};
  // Operand shape per dataflow: spatial rows Sr, spatial columns Sc, temporal length T.
  int64_t sr = m, sc = n, t = k;
  if (df == Dataflow::WS) {
    sr = k, sc = n, t = m;
  } else if (df == Dataflow::IS) {
    sr = k, sc = m, t = n;
  }
  SystolicFolds f;
  f.folds = ceil_div(sr, rows, "mac_array.rows") * ceil_div(sc, cols, "mac_array.cols");
  // Demand-matrix lines per fold: OS streams T operands with skew on both edges; WS and IS
  // first shift the stationary operand in (rows more lines) and drain through the rows.
  f.fold_lines = df == Dataflow::OS ? t + rows + cols - 2 : 2 * int64_t{rows} + cols + t - 2;
  return f;
}

int64_t scalesim_compute_cycles(int rows, int cols, Dataflow df, int64_t m, int64_t n,
                                int64_t k) {
  SystolicFolds f = scalesim_folds(rows, cols, df, m, n, k);
  // SCALE-Sim reports the zero-based cycle of the last demand line.
  return f.folds == 0 ? 0 : f.folds * f.fold_lines - 1;
}

int64_t mac_array_cycles(const HwConfig& hw, const ComputeStep& step) {
  if (!has_conv_work(step)) return 0;
  const auto& ma = hw.mac_array;
  if (ma.kind == ArrayKind::Systolic) {
    if (step.fold_total > 0) {  // a slice of a layer's folds (see ComputeStep)
      SystolicFolds f = scalesim_folds(ma.rows, ma.cols, ma.dataflow, step.out_pixels,
                                       step.out_channels, step.in_channels * step.taps);
      return (step.fold_end - step.fold_begin) * f.fold_lines - (step.closes_layer ? 1 : 0);
    }
    return step.groups * scalesim_compute_cycles(ma.rows, ma.cols, ma.dataflow, step.out_pixels,
                                                 step.out_channels,
                                                 step.in_channels * step.taps);
  }
  const int64_t fill = ma.pipeline_fill_cycles;
  if (is_depthwise(step)) {
    // One input lane in use; pf channels ride on the output lanes.
    return step.out_pixels * ceil_div(step.groups, ma.pf, "mac_array.pf") * step.taps + fill;
  }
  return step.groups * step.out_pixels * ceil_div(step.in_channels, ma.pf, "mac_array.pf") *
             ceil_div(step.out_channels, ma.pf, "mac_array.pf") * step.taps +
         fill;
}

int64_t depthwise_unit_cycles(const HwConfig& hw, const ComputeStep& step) {
  if (!has_conv_work(step)) return 0;
  // For a true depthwise step (one channel in and out per group) this is
  // out_pixels * ceil(groups / lanes) * ceil(taps / macs_per_lane); a channel multiplier or a
  // wider reduction widens the two factors rather than being dropped.
  const int64_t channels = step.groups * step.out_channels;
  const int64_t reduction = step.in_channels * step.taps;
  return step.out_pixels * ceil_div(channels, hw.depthwise.lanes, "depthwise.lanes") *
             ceil_div(reduction, hw.depthwise.macs_per_lane, "depthwise.macs_per_lane") +
         hw.mac_array.pipeline_fill_cycles;
}

int64_t vector_cycles(const HwConfig& hw, const ComputeStep& step) {
  if (step.elements <= 0) return 0;
  const int lanes = hw.vector_unit.lanes;
  int64_t cycles =
      ceil_div(step.elements * std::max<int64_t>(step.ops_per_element, 0), lanes,
               "vector_unit.lanes");
  if (step.special_fn) {
    cycles += ceil_div(step.elements, lanes, "vector_unit.lanes") *
              std::max(hw.vector_unit.special_fn_cycles, 0);
  }
  return cycles;
}

int64_t sram_cycles(const HwConfig& hw, const ComputeStep& step) {
  const SramTraffic traffic = sram_traffic(hw, step);
  const int64_t streams = traffic.streams();
  if (streams == 0) return 0;
  ceil_div(1, hw.sram.banks, "sram.banks");  // names the key if it is not positive
  // Each stream needs a bank each cycle it moves data; with fewer banks than streams they take
  // turns, and the port runs at banks / streams of its width.
  const int64_t usable = std::min<int64_t>(streams, hw.sram.banks);
  return ceil_div(traffic.total() * streams,
                  int64_t{hw.sram.bytes_per_cycle} * usable, "sram.bytes_per_cycle");
}

int64_t step_cycles(const HwConfig& hw, const ComputeStep& step) {
  int64_t unit_cycles = 0;
  switch (step.unit) {
    case Unit::MacArray: unit_cycles = mac_array_cycles(hw, step); break;
    case Unit::Depthwise: unit_cycles = depthwise_unit_cycles(hw, step); break;
    case Unit::Vector: unit_cycles = vector_cycles(hw, step); break;
  }
  return std::max(unit_cycles, sram_cycles(hw, step));
}

int64_t dram_busy_cycles(const HwConfig& hw, int64_t bytes) {
  if (bytes <= 0) return 0;
  const int64_t burst = hw.dma.burst_bytes;
  const int64_t rounded_bytes = ceil_div(bytes, burst, "dma.burst_bytes") * burst;
  const double bytes_per_cycle = hw.dram_bytes_per_cycle();
  if (!(bytes_per_cycle > 0) || !std::isfinite(bytes_per_cycle)) {
    throw std::invalid_argument(fmt::format(
        "unit timing: dram.bandwidth_gbps / clock_mhz must give a positive bytes per cycle, "
        "got {}",
        bytes_per_cycle));
  }
  // The ratio of two decimal settings is rarely exact in binary; a quotient within rounding
  // error of a whole number is that number, not one cycle more.
  const double cycles = static_cast<double>(rounded_bytes) / bytes_per_cycle;
  if (cycles > 0 && cycles < 4e18) return whole_or_ceil(cycles);
  const double nearest = std::round(cycles);
  const double whole = std::abs(cycles - nearest) <= 1e-9 * std::max(1.0, cycles) ? nearest : std::ceil(cycles);
  // Converting a double past int64's range is undefined, not saturating: check first.
  if (const std::optional<int64_t> n = checked::to_int64(whole)) return *n;
  throw input_error("a DRAM transfer of {} bytes at {} GB/s and {} MHz takes {} cycles, more than a 64-bit count",
                    bytes, hw.dram.bandwidth_gbps, hw.clock_mhz, whole);
}

int64_t dma_transfer_cycles(const HwConfig& hw, int64_t bytes) {
  if (bytes <= 0) return 0;
  return hw.dma.setup_cycles + dma_stream_cycles(hw, bytes);
}

int64_t dma_stream_cycles(const HwConfig& hw, int64_t bytes) {
  if (bytes <= 0) return 0;
  const int64_t burst = hw.dma.burst_bytes;
  const int64_t window_bytes = burst * int64_t{std::max(hw.dma.max_outstanding, 1)};
  const int64_t windows = ceil_div(bytes, window_bytes, "dma.burst_bytes * dma.max_outstanding");
  const int64_t latency = hw.dram_latency_cycles();
  const int64_t busy = dram_busy_cycles(hw, bytes);
  if (windows == 1) return latency + busy;
  const int64_t last = dram_busy_cycles(hw, bytes - (windows - 1) * window_bytes);
  return latency + std::max(busy, (windows - 1) * latency + last);
}

int dma_pieces(const HwConfig& hw, int64_t bytes) {
  if (bytes <= 0) return 0;
  const int64_t window_bytes = int64_t{hw.dma.burst_bytes} * std::max(hw.dma.max_outstanding, 1);
  const int64_t windows = ceil_div(bytes, window_bytes, "dma.burst_bytes * dma.max_outstanding");
  return static_cast<int>(std::min<int64_t>(std::max(hw.dma.channels, 1), windows));
}

int64_t dma_split_transfer_cycles(const HwConfig& hw, int64_t bytes) {
  const int pieces = dma_pieces(hw, bytes);
  if (pieces <= 1) return dma_transfer_cycles(hw, bytes);
  return hw.dma.setup_cycles + std::max(dma_stream_cycles(hw, dma_piece_bytes(hw, bytes, pieces, 0)),
                                        hw.dram_latency_cycles() + dram_busy_cycles(hw, bytes));
}

int64_t dma_piece_bytes(const HwConfig& hw, int64_t bytes, int pieces, int i) {
  if (pieces <= 1) return bytes;
  const int64_t burst = hw.dma.burst_bytes;
  const int64_t bursts = ceil_div(bytes, burst, "dma.burst_bytes");
  const int64_t base = bursts / pieces, extra = bursts % pieces;
  if (i + 1 < pieces) return (base + (i < extra ? 1 : 0)) * burst;
  // The last piece: what the others leave (it is never one of the longer ones, as extra < pieces).
  return bytes - ((pieces - 1) * base + extra) * burst;
}

int64_t dma_piece_busy_cycles(const HwConfig& hw, int64_t bytes, int pieces, int i) {
  if (pieces <= 1) return dram_busy_cycles(hw, bytes);
  const int64_t burst = hw.dma.burst_bytes;
  const int64_t bursts = ceil_div(bytes, burst, "dma.burst_bytes");
  const int64_t base = bursts / pieces, extra = bursts % pieces;
  const int64_t before = (i * base + std::min<int64_t>(i, extra)) * burst;
  const int64_t through = i + 1 < pieces ? before + dma_piece_bytes(hw, bytes, pieces, i) : bytes;
  return dram_busy_cycles(hw, through) - dram_busy_cycles(hw, before);
}

int64_t tile_port_cycles(const HwConfig& hw, const Tile& tile) {
  if (tile.steps.empty()) return 0;
  int64_t sram_bytes = tile.load_ifmap_bytes + tile.load_weight_bytes + tile.store_bytes;
  for (const ComputeStep& s : tile.steps) sram_bytes += sram_traffic(hw, s).total();
  return ceil_div(sram_bytes, hw.sram.bytes_per_cycle, "sram.bytes_per_cycle");
}

int64_t tile_compute_cycles(const HwConfig& hw, const Tile& tile) {
  int64_t steps = 0;
  for (const ComputeStep& s : tile.steps) steps += step_cycles(hw, s);
  return std::max(steps, tile_port_cycles(hw, tile));
}

size_t tile_tail_begin(const Tile& tile) {
  for (size_t i = tile.steps.size(); i-- > 0;)
    if (tile.steps[i].unit != Unit::Vector) return i + 1;
  return tile.steps.size();  // no array step: all of it is head
}

TileStages tile_stages(const HwConfig& hw, const Tile& tile) {
  TileStages st;
  const size_t tail_begin = tile_tail_begin(tile);
  for (size_t i = 0; i < tile.steps.size(); ++i) {
    const ComputeStep& s = tile.steps[i];
    const int64_t cycles = step_cycles(hw, s);
    if (i >= tail_begin) {
      st.tail += cycles;
    } else if (st.head_vector || s.unit == Unit::Vector) {
      st.head_vector = true;
      st.rest += cycles;
    } else {
      st.pre += cycles;
    }
  }
  st.port = tile_port_cycles(hw, tile);
  return st;
}

}  // namespace nesim
