#include "nas/search/signal_choice.h"

#include <filesystem>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace nesim::nas {

namespace fs = std::filesystem;

std::string default_supernet_path(const std::string& space_path, const std::string& supernet_dir) {
  return (fs::path(supernet_dir) / (fs::path(space_path).stem().string() + ".bin")).string();
}

SignalChoice choose_accuracy_signal(const std::string& requested, const std::string& supernet_flag,
                                    const std::string& space_path, const std::string& supernet_dir) {
  if (requested != "auto" && requested != "supernet")
    return {requested, supernet_flag, fmt::format("--accuracy {}", requested), false};
  const std::string how = requested == "auto" ? "default" : "--accuracy supernet";
  if (!supernet_flag.empty())
    return {"supernet", supernet_flag, fmt::format("{}: the single-shot oracle, --supernet '{}'", how, supernet_flag),
            false};
  // No --supernet: the space's own, where one is built.
  const std::string guess = supernet_dir.empty() ? "" : default_supernet_path(space_path, supernet_dir);
  std::error_code ec;
  if (!guess.empty() && fs::is_regular_file(guess, ec))
    return {"supernet", guess, fmt::format("{}: the single-shot oracle, the space's supernet '{}'", how, guess), false};
  if (requested == "supernet") {
    if (guess.empty())
      throw input_error("--accuracy supernet needs the trained weights: give --supernet FILE (`nesim supernet --out "
                        "FILE` trains them)");
    throw input_error("--accuracy supernet: no --supernet given and no trained supernet for this space at '{}' "
                      "(`make supernets` or `nesim supernet --space {} --out {}` trains it)",
                      guess, space_path, guess);
  }
  const std::string missing = guess.empty() ? "no --supernet given"
                                            : fmt::format("no trained supernet for this space at '{}' (`make "
                                                          "supernets` trains it)", guess);
  return {kFallbackSignal, "",
          fmt::format("default: {}, so the zero-cost '{}', which does not predict trained accuracy (docs/accuracy.md): "
                      "no result of this run is at iso-accuracy",
                      missing, kFallbackSignal),
          true};
}

}  // namespace nesim::nas
