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
  std::string file = supernet_flag, where = "--supernet";
  if (file.empty() && !supernet_dir.empty()) {
    const std::string guess = default_supernet_path(space_path, supernet_dir);
    std::error_code ec;
    if (fs::is_regular_file(guess, ec)) file = guess, where = "the space's supernet";
    else if (requested == "supernet")
      throw input_error("--accuracy supernet: no --supernet given and no trained supernet for this space at '{}' "
                        "(`make supernets` or `nesim supernet --space {} --out {}` trains it)",
                        guess, space_path, guess);
    else
      return {kFallbackSignal, "",
              fmt::format("default: no trained supernet for this space at '{}' (`make supernets` trains it), so the "
                          "zero-cost '{}', which does not predict trained accuracy (docs/accuracy.md): no result "
                          "of this run is at iso-accuracy",
                          guess, kFallbackSignal),
              true};
  }
  if (file.empty() && requested == "supernet")
    throw input_error("--accuracy supernet needs the trained weights: give --supernet FILE (`nesim supernet --out FILE` "
                      "trains them)");
  if (file.empty())
    return {kFallbackSignal, "", fmt::format("default: no --supernet given, so the zero-cost '{}', which does not predict "
                                             "trained accuracy (docs/accuracy.md)", kFallbackSignal), true};
  const std::string how = requested == "auto" ? "default" : "--accuracy supernet";
  return {"supernet", file, fmt::format("{}: the single-shot oracle, {} '{}'", how, where, file), false};
}

}  // namespace nesim::nas
