// `nesim`: the command-line front end. Each subcommand lives in its own cmd_*.cpp; main only
// parses, dispatches and turns exceptions into the exit statuses DEVELOPERS.md promises:
// 0 success, 2 the user's input was wrong (one line on stderr), 3 a bug in nesim.
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "nas/accuracy/scorer.h"
#include "sim/cli/cli_util.h"
#include "sim/exec/rank.h"
#include "sim/util/error.h"

namespace {

// libtorch's OpenMP workers spin while waiting; on a busy 2-core machine a spinning worker slowed
// short training 5-10x. libgomp reads the policy only when it loads, so it is set before the
// process that links libtorch starts.
void set_omp_passive() { setenv("OMP_WAIT_POLICY", "passive", 0); }

#ifndef NESIM_TORCH_EXE
// `nesim` links no libtorch (loading it cost ~1 s and 170 MB per call); the libtorch scorers run
// in the companion executable `nesim-torch`, found beside this binary (build tree) or in
// ../libexec/nesim/ (installed tree). Empty when this build has none.
std::string companion_torch_exe() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  self[n] = 0;
  std::string dir(self);
  dir.erase(dir.rfind('/') + 1);
  for (const std::string& candidate : {dir + "nesim-torch", dir + "../libexec/nesim/nesim-torch"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  return {};
}
#endif

// CLI11 reads "-1" into an unsigned option as 2^64 - 1 (a seed of 18446744073709551615); every
// unsigned option of every command refuses a sign instead.
void reject_negative_unsigned(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_name().rfind("UINT", 0) != 0) continue;
    option->check(CLI::Validator(
        [](std::string& value) {
          const size_t first = value.find_first_not_of(" \t");
          return first != std::string::npos && value[first] == '-'
                     ? "expected a non-negative integer, got '" + value + "'"
                     : std::string();
        },
        "", "non-negative"));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) reject_negative_unsigned(*sub);
}

}  // namespace

int main(int argc, char** argv) {
  // Under mpirun only rank 0 prints; MPI itself starts later, at the first parallel step.
  nesim::exec::start_process();
#ifdef NESIM_TORCH_EXE
  // Started by hand rather than by `nesim`: restart once with the wait policy set.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    set_omp_passive();
    execv("/proc/self/exe", argv);  // returns only on failure: carry on spinning
  }
  // libtorch allocates every activation and gradient afresh, most of them above glibc's mmap
  // threshold: each became a new mapping whose pages faulted in zeroed and went back to the
  // kernel on free (a third of a supernet scoring's time was in the kernel). Kept in the heap,
  // and the heap kept, scoring MobileNetV2 from the supernet went from 3.2-3.8 to 2.3-2.6 s and
  // short training got about 10 % faster (docs/benchmarks.md); the numbers computed are the same.
  // A mapping threshold alone is capped at 32 MiB, below a large candidate's activations.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#else
  const std::string torch_exe = companion_torch_exe();
  nesim::nas::delegate_torch_scorers(!torch_exe.empty());
#endif
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // stdout may carry JSON
  CLI::App app{"nesim: simulate neural networks on configurable edge neural engines", "nesim"};
  app.set_version_flag("--version", "nesim " NESIM_VERSION);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return fmt::format("nesim: error: {} (see --help)\n", e.what());
  });
  std::vector<nesim::cli::Command> commands = {
      nesim::cli::add_info_command(app), nesim::cli::add_simulate_command(app),
      nesim::cli::add_sweep_command(app), nesim::cli::add_hwconfig_doc_command(app),
      nesim::cli::add_dataset_command(app), nesim::cli::add_fit_command(app),
      nesim::cli::add_predict_command(app), nesim::cli::add_check_command(app),
      nesim::cli::add_accuracy_command(app), nesim::cli::add_proxy_eval_command(app),
      nesim::cli::add_reference_command(app), nesim::cli::add_supernet_command(app),
      nesim::cli::add_advise_command(app), nesim::cli::add_search_command(app),
      nesim::cli::add_experiment_command(app), nesim::cli::add_import_command(app),
      nesim::cli::add_export_command(app)};
  app.footer("Run `nesim <command> --help` for a command's options.");
  reject_negative_unsigned(app);

  // CLI11 would only say "a subcommand is required"; name the typo and the commands instead.
  std::string known;
  bool is_command = false;
  for (const nesim::cli::Command& c : commands) {
    known += (known.empty() ? "" : ", ") + c.app->get_name();
    is_command = is_command || (argc > 1 && c.app->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !is_command) {
    std::cerr << fmt::format("nesim: error: unknown command '{}' (commands: {})\n", argv[1], known);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const nesim::cli::Command& c : commands)
      if (c.app->parsed()) return c.run();
    return 2;
#ifndef NESIM_TORCH_EXE
  } catch (const nesim::nas::TorchScorerNeeded&) {
    // Nothing has been written yet: the whole command runs again in the libtorch executable.
    std::cout.flush();
    set_omp_passive();
    argv[0] = const_cast<char*>(torch_exe.c_str());
    execv(torch_exe.c_str(), argv);
    std::cerr << fmt::format("nesim: error: cannot run {}: {}\n", torch_exe, std::strerror(errno));
    return 2;
#endif
  } catch (const nesim::exec::Stopped& e) {
    return e.status;  // rank 0 reports why
  } catch (const nesim::InputError& e) {
    std::cerr << "nesim: error: " << e.what() << "\n";
    return nesim::exec::end_failed_run(2, e.what());
  } catch (const std::exception& e) {
    std::cerr << "nesim: internal error: " << e.what() << "\n";
    return nesim::exec::end_failed_run(3, std::string("internal error: ") + e.what());
  }
}
