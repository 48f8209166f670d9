#pragma once
// Where a block sits in a ModelSpec and what its copies are called; shared by the parser (for
// messages) and expand() so that both name blocks the same way (docs/model-format.md, "Names").
#include <string>
#include <vector>

#include "sim/modelfmt/model_spec.h"

namespace nesim {

struct BlockSite {
  std::string section;             // "stem[0]", "stages[1].blocks[2]", "head[3]"
  const BlockSpec* block = nullptr;
  std::vector<std::string> names;  // one per repeat copy
};

// Names of b's `repeat` copies. `counter` numbers every expanded copy in a section.
std::vector<std::string> copy_names(const BlockSpec& b, const std::string& prefix, int& counter);
std::string stage_name(const StageSpec& stage, size_t index);  // its name, or s<index+1>
std::vector<BlockSite> block_sites(const ModelSpec& spec);

// "<where>:<line>: <section> (block '<name>')", without ":<line>" when line is 0.
std::string block_context(const std::string& where, int line, const std::string& section,
                          const std::string& name);

}  // namespace nesim
