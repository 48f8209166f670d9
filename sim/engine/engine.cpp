#include "sim/engine/engine.h"

#include <systemc>

#include <algorithm>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include "sim/compiler/compiler.h"
#include "sim/engine/controller.h"
#include "sim/timing/sram_traffic.h"
#include "sim/util/error.h"

// libsystemc's own main() wants an sc_main; nesim drives the kernel itself, from any main.
int sc_main(int, char*[]) { return 0; }

namespace nesim {

namespace {

// SystemC's QuickThreads announce each coroutine switch to AddressSanitizer, but switch back to
// the caller of sc_start() as to a stack of unknown bounds (bottom 0, size 0). ASan then misreads
// the unwinding of any later exception as a stack-buffer-overflow and aborts
// (google/sanitizers#189). Re-announcing the caller's real stack after each sc_start() keeps
// every later report meaningful: nothing is suppressed, ASan only knows the stack again.
void restore_caller_stack_for_asan() {
#if defined(__SANITIZE_ADDRESS__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* stack_bottom = nullptr;
  size_t stack_bytes = 0;
  pthread_attr_getstack(&attr, &stack_bottom, &stack_bytes);
  pthread_attr_destroy(&attr);
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, stack_bottom, stack_bytes);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

}  // namespace

static_assert(Engine::kMaxDmaChannels == engine::kMaxDmaChannels);

struct Engine::Impl {
  engine::Activity activity;
  engine::Controller controller{"engine", activity};
};

Engine::Engine() {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_set_time_resolution(1, sc_core::SC_NS);
  if (std::getenv("NESIM_STRICT_SYSTEMC")) {
    // Tests treat every SystemC warning as a failure (VCML's habit).
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  }
  impl_ = new Impl();
  // Initialise the kernel so every thread is parked on its start event before the first run.
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  restore_caller_stack_for_asan();
}

Engine& Engine::instance() {
  static Engine engine;
  return engine;
}

namespace {

// Splits a kernel's span over its layers in proportion to their compute cycles (the records of a
// fused kernel are apportioned, not measured one by one). Where the vector unit overlapped the
// MAC array (tile_stages()), the units' cycles add up to more than the span: the MAC-array and
// depthwise cycles, serial within a kernel, then keep their full weight, and the vector cycles
// share what is left of the span, so that a layer's share never falls below its array cycles
// (utilisation stays at most 100 %).
void fill_layer_records(const Program& p, const std::vector<engine::KernelSpan>& spans,
                        const engine::Activity& act, SimResult& r) {
  const HwConfig& hw = p.hw;
  double cycle_s = 1e-6 / hw.clock_mhz;
  double static_pj_per_cycle = hw.energy.static_mw * 1e-3 * cycle_s * 1e12;
  auto peak = static_cast<double>(hw.peak_macs_per_cycle());
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const Kernel& kern = p.kernels[k];
    const engine::KernelSpan& span = spans[k];
    int64_t span_cycles = span.end_cycle - span.start_cycle;
    int64_t array = 0, vector = 0;
    for (int li : kern.layers) {
      array += act.array_cycles[static_cast<size_t>(li)];
      vector += act.compute_cycles[static_cast<size_t>(li)] - act.array_cycles[static_cast<size_t>(li)];
    }
    // A layer's weight: array + vector * vector_num / vector_den (the vector cycles' share).
    const bool overlapped = array + vector > span_cycles && vector > 0;
    const int64_t vector_num = overlapped ? std::max<int64_t>(0, span_cycles - array) : 1;
    const int64_t vector_den = overlapped ? vector : 1;
    auto weight = [&](size_t li) {
      const int64_t a = act.array_cycles[li], v = act.compute_cycles[li] - a;
      return a + static_cast<int64_t>(static_cast<__int128>(v) * vector_num / vector_den);
    };
    int64_t kernel_compute = 0;
    for (int li : kern.layers) kernel_compute += weight(static_cast<size_t>(li));
    int64_t cum = 0;
    auto n = static_cast<int64_t>(kern.layers.size());
    for (int64_t j = 0; j < n; ++j) {
      auto li = static_cast<size_t>(kern.layers[static_cast<size_t>(j)]);
      const int64_t c = act.compute_cycles[li], w = weight(li);
      auto offset = [&](int64_t cum_compute, int64_t idx) {
        return kernel_compute > 0
                   ? static_cast<int64_t>(static_cast<__int128>(span_cycles) * cum_compute / kernel_compute)
                   : span_cycles * idx / n;
      };
      LayerRecord rec;
      rec.name = p.layer_info[li].name;
      rec.op = p.layer_info[li].op;
      rec.unit = p.layer_info[li].unit;
      rec.kernel = kern.name;
      rec.start_cycle = span.start_cycle + offset(cum, j);
      cum += w;
      rec.end_cycle = span.start_cycle + offset(cum, j + 1);
      rec.total_cycles = rec.end_cycle - rec.start_cycle;
      rec.compute_cycles = c;
      // Vector work hidden behind the MAC array can make a layer's unit cycles exceed its share.
      rec.stall_cycles = std::max<int64_t>(0, rec.total_cycles - c);
      rec.dram_read_bytes = kern.layer_read_bytes[static_cast<size_t>(j)];
      rec.dram_write_bytes = kern.layer_write_bytes[static_cast<size_t>(j)];
      rec.sram_peak_bytes = kern.sram_peak_bytes;
      rec.macs = p.layer_info[li].macs;
      rec.params = p.layer_info[li].params;
      rec.mac_utilization = rec.total_cycles > 0 ? static_cast<double>(rec.macs) / (rec.total_cycles * peak) : 0;
      const SramTraffic& sram = act.sram[li];
      rec.sram_input_bytes = sram.input, rec.sram_weight_bytes = sram.weight;
      rec.sram_psum_bytes = sram.psum, rec.sram_output_bytes = sram.output;
      int64_t dram_bytes = rec.dram_read_bytes + rec.dram_write_bytes;
      // DMA loads write the input-side buffer and stores read the output buffer (the records do
      // not split loads into inputs and weights, so weight loads are charged as input-side bytes).
      SramTraffic dma_side{rec.dram_read_bytes, 0, 0, rec.dram_write_bytes};
      rec.energy_pj = act.executed_macs[li] * hw.energy.mac_pj + act.vector_ops[li] * hw.energy.vector_op_pj +
                      sram_energy_pj(hw, sram) + sram_energy_pj(hw, dma_side) +
                      dram_bytes * hw.energy.dram_pj_per_byte + rec.total_cycles * static_pj_per_cycle;
      r.layers.push_back(std::move(rec));
    }
  }
}

}  // namespace

SimResult Engine::run(const Program& program, const RunOptions& opt) {
  const HwConfig& hw = program.hw;
  if (hw.dma.channels < 1 || hw.dma.channels > kMaxDmaChannels)
    throw input_error("{}: key 'dma.channels': the engine supports 1 to {} channels, got {}", hw.name,
                      kMaxDmaChannels, hw.dma.channels);
  engine::Activity& act = impl_->activity;
  act.tracing = opt.trace;
  act.reset(program.layer_info.size(), engine::now_cycles());
  impl_->controller.launch(program);
  sc_core::sc_start();
  restore_caller_stack_for_asan();

  SimResult r;
  r.model = program.model;
  r.hw = hw.name;
  r.clock_mhz = hw.clock_mhz;
  const auto& spans = impl_->controller.spans();
  r.total_cycles = spans.empty() ? 0 : spans.back().end_cycle;
  r.latency_ms = r.total_cycles / (hw.clock_mhz * 1e3);
  r.batch = program.batch;
  fill_layer_records(program, spans, act, r);
  double energy_pj = 0;
  for (const LayerRecord& l : r.layers) {
    r.macs += l.macs;
    r.params += l.params;
    r.dram_read_bytes += l.dram_read_bytes;
    r.dram_write_bytes += l.dram_write_bytes;
    energy_pj += l.energy_pj;
  }
  r.energy_uj = energy_pj * 1e-6;
  r.mac_utilization =
      r.total_cycles > 0 ? static_cast<double>(r.macs) / (r.total_cycles * static_cast<double>(hw.peak_macs_per_cycle())) : 0;
  if (opt.trace) r.trace = std::move(act.events);
  return r;
}

SimResult simulate(const Network& net, const HwConfig& hw, const RunOptions& opt) {
  Program p = compile(net, hw);
  return Engine::instance().run(p, opt);
}

}  // namespace nesim
