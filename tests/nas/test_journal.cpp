// nas: does --resume read back exactly what the search journals, and stop with one input error
// naming the journal's line on anything else (a damaged line must not reach the driver half-read)?
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "nas/search/evaluate.h"
#include "nas/search/journal.h"
#include "sim/util/error.h"

using namespace nesim;
using namespace nesim::nas;

TEST_CASE("journal lines written from to_json() read back to the same evaluation") {
  SearchEvaluation e;
  e.ok = true;
  e.predicted_ms = 1.25;
  e.params = 3504872;
  e.macs = 300774272;
  e.peak_activation_bytes = 1204224;
  e.memory_bytes = 4709096;
  e.accuracy_ok = false;
  e.accuracy = 0.5;
  e.error = "scorer failed";
  const nlohmann::json line = {{"type", "eval"}, {"key", "0.1.2"}, {"eval", to_json(e)}};
  const JournalEntry got = parse_journal_line(line.dump(), "j.jsonl:1");
  CHECK(got.type == "eval");
  CHECK(got.key == "0.1.2");
  const SearchEvaluation back = search_evaluation_from_json(got.record.at("eval"));
  CHECK(back.memory_bytes == e.memory_bytes);
  CHECK(back.error == e.error);

  const JournalEntry sim = parse_journal_line(R"({"type":"sim","key":"base","latency_ms":2.5,"total_cycles":250})", "j:2");
  CHECK(sim.record.at("latency_ms").get<double>() == 2.5);
}

TEST_CASE("a damaged journal line is an input error naming the file and line") {
  for (const char* bad : {"", R"({"type":"note","key":"x"})",
                          "{\"type\":\"sim\",\"key\":\"base\",\"latency_ms\":2", "[1,2]", "null",
                          R"({"type":"eval","key":"base"})", R"({"type":"eval","key":"base","eval":{"ok":true}})",
                          R"({"type":"eval","key":7,"eval":{}})", R"({"type":1,"key":"base"})",
                          R"({"type":"sim","key":"base","latency_ms":"fast"})",
                          R"({"type":"eval","key":"b","eval":{"ok":true,"accuracy_ok":true,"predicted_ms":1,"accuracy":1,)"
                          R"("params":1.5,"macs":1,"peak_activation_bytes":1,"memory_bytes":1}})"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_journal_line(bad, "out/journal.jsonl:7"), doctest::Contains("out/journal.jsonl:7"),
                         InputError);
  }
}
