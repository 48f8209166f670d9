#include "nas/search/journal.h"

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/json_text.h"

namespace nesim::nas {

using nlohmann::json;

namespace {

// What is wrong with one parsed line, "" when nothing is.
std::string record_problem(const json& j) {
  if (!j.is_object()) return "expected a JSON object";
  const auto field = [&](const json& o, const std::string& key, const char* kind, bool ok) -> std::string {
    if (!o.contains(key)) return fmt::format("key '{}' is missing", key);
    return ok ? "" : fmt::format("key '{}': expected {}, got {}", key, kind, json_text(o[key]).substr(0, 40));
  };
  const auto has = [](const json& o, const std::string& key) { return o.contains(key) ? o[key] : json(); };
  std::string bad = field(j, "type", "\"eval\", \"sim\" or \"train\"",
                          has(j, "type") == "eval" || has(j, "type") == "sim" || has(j, "type") == "train");
  if (bad.empty()) bad = field(j, "key", "the candidate's genes as a string", has(j, "key").is_string() && !has(j, "key").empty());
  if (!bad.empty()) return bad;
  if (j["type"] == "train") {
    bad = field(j, "accuracies", "a list of accuracies (null for a failed run)", has(j, "accuracies").is_array());
    if (bad.empty())
      for (const json& a : j["accuracies"])
        if (!a.is_null() && !(a.is_number() && a >= 0 && a <= 1))
          return field(j, "accuracies", "numbers in [0, 1] or null", false);
    return bad;
  }
  if (j["type"] == "sim") {
    bad = field(j, "latency_ms", "a positive number", has(j, "latency_ms").is_number() && has(j, "latency_ms") > 0);
    if (bad.empty()) bad = field(j, "total_cycles", "an integer", has(j, "total_cycles").is_number_integer());
    return bad;
  }
  bad = field(j, "eval", "an object", has(j, "eval").is_object());
  if (!bad.empty()) return bad;
  const json& e = j["eval"];
  for (const char* key : {"ok", "accuracy_ok"})
    if (bad.empty()) bad = field(e, key, "true or false", has(e, key).is_boolean());
  for (const char* key : {"predicted_ms", "accuracy"})
    if (bad.empty()) bad = field(e, key, "a number", has(e, key).is_number());
  for (const char* key : {"params", "macs", "peak_activation_bytes", "memory_bytes"})
    if (bad.empty()) bad = field(e, key, "an integer", has(e, key).is_number_integer());
  if (bad.empty() && e.contains("error") && !e["error"].is_string()) bad = field(e, "error", "a string", false);
  return bad.empty() ? "" : "eval: " + bad;
}

}  // namespace

JournalEntry parse_journal_line(const std::string& line, const std::string& where) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  const std::string problem = j.is_discarded() ? "not a line of JSON" : record_problem(j);
  if (!problem.empty())
    throw input_error("{}: {}; the run cannot be resumed from it: remove that line (or the whole run directory) and "
                      "run again",
                      where, problem);
  JournalEntry e{j["type"].get<std::string>(), j["key"].get<std::string>(), {}};
  e.record = std::move(j);
  return e;
}

}  // namespace nesim::nas
