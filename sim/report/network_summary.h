#pragma once
// What `nesim info` reports about a network before any engine is involved.
#include <string>

#include <nlohmann/json.hpp>

#include "sim/graph/network.h"
#include "sim/graph/stats.h"
#include "sim/hw/hw_config.h"

namespace nesim {

// Layers counted everywhere in reports: every layer but the Input placeholder.
int64_t compute_layer_count(const Network& net);

// {name, input {c,h,w}, outputs, layers, ops {op: count}, params, macs, vector_ops,
//  peak_activation_bytes, peak_is_exact, precision, schema_version}
nlohmann::ordered_json network_summary_json(const Network& net, const NetworkStats& stats,
                                            Precision precision);
std::string network_summary_text(const Network& net, const NetworkStats& stats, Precision precision);

}  // namespace nesim
