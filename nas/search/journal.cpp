#include "nas/search/journal.h"

#include "sim/util/error.h"

namespace nesim::nas {

namespace {

// What search_evaluation_from_json() (evaluate.cpp) reads, checked here so that the journal reader
// needs neither the engine nor the regressor; tests/nas/test_journal.cpp round-trips to_json() through it.
const char* eval_field_error(const nlohmann::json& e) {
  if (!e.is_object()) return "'eval' is not an object";
  for (const char* b : {"ok", "accuracy_ok"})
    if (!e.contains(b) || !e[b].is_boolean()) return "'eval' lacks a boolean ok / accuracy_ok";
  for (const char* n : {"predicted_ms", "accuracy"})
    if (!e.contains(n) || !e[n].is_number()) return "'eval' lacks a number predicted_ms / accuracy";
  for (const char* i : {"params", "macs", "peak_activation_bytes", "memory_bytes"})
    if (!e.contains(i) || !e[i].is_number_integer()) return "'eval' lacks an integer params / macs / *_bytes";
  if (e.contains("error") && !e["error"].is_string()) return "'eval.error' is not a string";
  return nullptr;
}

}  // namespace

std::optional<JournalEntry> parse_journal_line(const std::string& line, const std::string& where) {
  if (line.empty()) return std::nullopt;
  const auto bad = [&](const std::string& why) {
    return input_error("{}: corrupt search journal line ({}); delete the --out directory and start again", where, why);
  };
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw bad("not valid JSON");
  if (!j.is_object()) throw bad("not a JSON object");
  if (!j.contains("type") || !j["type"].is_string()) throw bad("no string 'type'");
  if (!j.contains("key") || !j["key"].is_string()) throw bad("no string 'key'");
  JournalEntry e{j["type"].get<std::string>(), j["key"].get<std::string>(), {}};
  if (e.type == "eval") {
    if (!j.contains("eval")) throw bad("no 'eval'");
    if (const char* why = eval_field_error(j["eval"])) throw bad(why);
  } else if (e.type == "sim") {
    if (!j.contains("latency_ms") || !j["latency_ms"].is_number()) throw bad("no number 'latency_ms'");
  } else {
    return std::nullopt;
  }
  e.record = std::move(j);
  return e;
}

}  // namespace nesim::nas
