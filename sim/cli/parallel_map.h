#pragma once
// A ParallelMap (sim/util/parallel_map.h) over nesim's fork pool (process_pool.h): SystemC allows
// one simulation kernel per process, so the search, the experiments and `nesim dataset` spread
// their evaluations and simulations over worker processes, results in job order.
#include <string>

#include "sim/util/parallel_map.h"

namespace nesim::cli {

// `what` names a job in errors: "{what} {index}", e.g. "search job 3".
ParallelMap process_parallel_map(int workers, std::string what = "search job");

}  // namespace nesim::cli
