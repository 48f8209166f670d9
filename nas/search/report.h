#pragma once
// report.html of a search: self-contained (inline SVG and CSS, no scripts or network), so it opens
// from a results folder anywhere. Pareto plot, convergence plot (best so far against evaluations,
// simulator checks marked), baseline-vs-best per-block simulated latency, the
// architecture diff, and the simulator checks of the oracle.
#include <string>

#include "nas/search/driver.h"

namespace nesim::nas {

std::string render_report(const SearchResult& r);

}  // namespace nesim::nas
