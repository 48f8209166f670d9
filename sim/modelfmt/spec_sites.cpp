#include "sim/modelfmt/spec_sites.h"

#include <algorithm>

#include <fmt/format.h>

namespace nesim {

std::vector<std::string> copy_names(const BlockSpec& b, const std::string& prefix, int& counter) {
  std::vector<std::string> names;
  for (int k = 0; k < std::max(1, b.repeat); ++k, ++counter) {
    if (b.name.empty())
      names.push_back(fmt::format("{}{}", prefix, counter));
    else
      names.push_back(k == 0 ? b.name : fmt::format("{}_{}", b.name, k));
  }
  return names;
}

std::string stage_name(const StageSpec& stage, size_t index) {
  return stage.name.empty() ? fmt::format("s{}", index + 1) : stage.name;
}

std::vector<BlockSite> block_sites(const ModelSpec& spec) {
  std::vector<BlockSite> sites;
  int counter = 0;
  for (size_t i = 0; i < spec.stem.size(); ++i)
    sites.push_back({fmt::format("stem[{}]", i), &spec.stem[i], copy_names(spec.stem[i], "stem", counter)});
  for (size_t s = 0; s < spec.stages.size(); ++s) {
    counter = 0;
    const std::string prefix = stage_name(spec.stages[s], s) + "b";
    for (size_t j = 0; j < spec.stages[s].blocks.size(); ++j) {
      const BlockSpec& b = spec.stages[s].blocks[j];
      sites.push_back({fmt::format("stages[{}].blocks[{}]", s, j), &b, copy_names(b, prefix, counter)});
    }
  }
  counter = 0;
  for (size_t i = 0; i < spec.head.size(); ++i)
    sites.push_back({fmt::format("head[{}]", i), &spec.head[i], copy_names(spec.head[i], "head", counter)});
  return sites;
}

std::string block_context(const std::string& where, int line, const std::string& section,
                          const std::string& name) {
  if (line > 0) return fmt::format("{}:{}: {} (block '{}')", where, line, section, name);
  return fmt::format("{}: {} (block '{}')", where, section, name);
}

}  // namespace nesim
