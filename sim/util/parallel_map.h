#pragma once
// How the library asks for parallel work without knowing about processes: runs `count` jobs
// (index -> result bytes), possibly in worker processes, and returns the results in job order,
// calling progress(done) after each. The CLI passes its fork pool (sim/cli/parallel_map.h), since
// SystemC allows one simulation kernel per process; a null ParallelMap means "run here".
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace nesim {

using ParallelMap = std::function<std::vector<std::string>(size_t count, const std::function<std::string(size_t)>& job,
                                                           const std::function<void(size_t)>& progress)>;

}  // namespace nesim
