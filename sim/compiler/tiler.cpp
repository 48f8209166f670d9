#include "sim/compiler/tiler.h"

#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace nesim::planner {

namespace {

// Function-local, so that registrations from other files' initialisers find it constructed.
std::map<std::string, TilerFactory>& registry() {
  static std::map<std::string, TilerFactory> tilers;
  return tilers;
}

std::string known() {
  std::string names;
  for (const auto& [name, make] : registry()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

}  // namespace

bool register_tiler(const char* name, TilerFactory make) {
  if (!registry().emplace(name, make).second)
    throw std::logic_error(fmt::format("tiling strategy '{}' registered twice", name));
  return true;
}

std::vector<std::string> tiler_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Tiler> make_tiler(const std::string& name, const LayerWork& work) {
  auto it = registry().find(name);
  if (it == registry().end())
    throw std::logic_error(fmt::format("unknown tiling strategy '{}' (known: {})", name, known()));
  return it->second(work);
}

std::vector<std::unique_ptr<Tiler>> make_tilers(const LayerWork& work) {
  std::vector<std::unique_ptr<Tiler>> out;
  for (const auto& [name, make] : registry()) out.push_back(make(work));
  return out;
}

}  // namespace nesim::planner
