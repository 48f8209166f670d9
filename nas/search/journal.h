#pragma once
// One line of a search's journal.jsonl (docs/search.md, "Resume"): a finished evaluation or
// simulation, keyed by the candidate's arch_key ("base" for the base model). --resume replays
// these records instead of recomputing them, so a damaged line must stop the resume with an
// input error rather than reach the driver half-read.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace nesim::nas {

struct JournalEntry {
  std::string type;      // "eval" or "sim"
  std::string key;       // arch_key() of the candidate, or "base"
  nlohmann::json record; // the whole line: {"type", "key", "eval": {...}} or {"type", "key", "latency_ms", ...}
};

// Parses one complete line (without its '\n'). An empty line or a record of another type gives
// nullopt; anything else that is not a well-formed eval or sim record is an InputError naming
// `where` (the journal's path and line number).
// Example: parse_journal_line(R"({"type":"sim","key":"base","latency_ms":1.5,"total_cycles":9})", "j.jsonl:3")
std::optional<JournalEntry> parse_journal_line(const std::string& line, const std::string& where);

}  // namespace nesim::nas
