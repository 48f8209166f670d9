#pragma once
// The files of the output contract for one simulation: the per-layer CSV, the JSON object, the
// Perfetto timeline, and the human table `nesim simulate` prints. Every writer is a pure function
// of the SimResult, so the same result always gives the same bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/report/records.h"

namespace nesim {

// Bumped whenever a column or field changes meaning or disappears (adding one does not bump it).
// JSON outputs carry it as "schema_version"; a CSV is identified by its exact header line, the
// first line of the file, so that data tools read it as it is (docs/outputs.md).
constexpr int kSchemaVersion = 1;

// True for "# nesim-<kind> schema_version=1", the line that CSVs of nesim before the header moved
// to line 1 started with; readers skip it, the columns under it are the same.
bool is_legacy_schema_line(std::string_view line, std::string_view kind);

// Numbers in machine-readable files: the shortest text that reads back as the same double
// ("0.1", "1e-07", "1234.5"), the same on every run and platform.
std::string format_number(double v);
// One CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view s);
// 1234567 -> "1,234,567" for human output.
std::string group_digits(int64_t v);

// The header line of layers_csv(), without its newline.
std::string layers_csv_header();
// The header, then one row per layer (model, hw, then the LayerRecord fields in declaration order).
std::string layers_csv(const SimResult& r);
// The `simulate --json` object: totals, then `layers` in execution order. `hw_set` lists the
// hardware keys overridden on the command line (written as "set" when not empty).
nlohmann::ordered_json result_json(
    const SimResult& r, const std::vector<std::pair<std::string, std::string>>& hw_set = {});
// Chrome / Perfetto trace-event JSON: one process for the engine, one thread track per unit
// (dma0..dmaN, mac_array, depthwise, vector), "X" events with ts/dur in microseconds, written
// as exact multiples of 2^-10 us so that no slice overlaps the next on its track, even in doubles.
std::string trace_json(const SimResult& r);
// Per-layer table and totals, as `nesim simulate` prints them.
std::string result_table(const SimResult& r);

}  // namespace nesim
