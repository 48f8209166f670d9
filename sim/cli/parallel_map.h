#pragma once
// The search's ParallelMap (nas/search/driver.h) over nesim's fork pool (process_pool.h): SystemC
// allows one simulation kernel per process, so the search and the experiments spread their
// evaluations and simulations over worker processes, results in job order.
#include "nas/search/driver.h"

namespace nesim::cli {

nas::ParallelMap process_parallel_map(int workers);

}  // namespace nesim::cli
