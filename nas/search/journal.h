#pragma once
// One line of a search's journal.jsonl (docs/search.md, "Resume"): a finished evaluation or
// simulation, keyed by the candidate's arch_key ("base" for the base model). --resume replays
// these records instead of recomputing them, so a damaged line must stop the resume with an
// input error rather than reach the driver half-read. The driver and the fuzz target
// (fuzz/targets.h) read lines through these functions only.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace nesim::nas {

struct JournalEntry {
  std::string type;       // "eval", "sim" or "train"
  std::string key;        // arch_key() of the candidate, or "base"
  nlohmann::json record;  // the whole line
};

// One complete line (without its '\n') parsed: {"type":"eval","key":GENES,"eval":{...}} or
// {"type":"sim","key":GENES,"latency_ms":X,"total_cycles":N}. Anything else is an InputError
// "<where>: <problem>; the run cannot be resumed from it: ...", `where` being the journal's path
// and line number.
// Example: parse_journal_line(R"({"type":"sim","key":"base","latency_ms":1.5,"total_cycles":9})", "j.jsonl:3")
JournalEntry parse_journal_line(const std::string& line, const std::string& where);

}  // namespace nesim::nas
