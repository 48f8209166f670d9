// unit: does the progress reporter print a bar on a terminal, a line every few seconds into a log,
// and nothing when quiet? Driven by a fake clock: nothing here waits or times anything.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "sim/util/error.h"
#include "sim/util/progress.h"

using nesim::Progress;
using nesim::ProgressMode;

namespace {

// A clock the test moves by hand.
struct FakeClock {
  double now_s = 100;
  Progress::Clock fn() {
    return [this] { return now_s; };
  }
};

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

}  // namespace

TEST_SUITE("unit: progress") {
  TEST_CASE("mode: --quiet, --progress, and the terminal decide; both flags are an input error") {
    CHECK(nesim::progress_mode(false, false, true) == ProgressMode::Bar);
    CHECK(nesim::progress_mode(false, false, false) == ProgressMode::Lines);
    CHECK(nesim::progress_mode(true, false, false) == ProgressMode::Bar);
    CHECK(nesim::progress_mode(false, true, true) == ProgressMode::Quiet);
    CHECK_THROWS_AS(nesim::progress_mode(true, true, false), nesim::InputError);
  }

  TEST_CASE("a resumed run's rate and ETA count only the work this process did") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("reference", 64, "runs", ProgressMode::Lines, out, clock.fn(), 5);
    p.resume(26);  // 26 runs from the journal, none timed here
    p.update(26);
    clock.now_s += 600;
    p.update(27);  // one run in 10 min: 37 left, about 6 h 10 min
    clock.now_s += 600;
    p.update(28);  // two in 20 min: 36 left, 6 h 00 min
    p.finish();
    const std::string text = out.str();
    CHECK(text.find("28/64 runs (44%)") != std::string::npos);
    CHECK(text.find("10 min 00 s each") != std::string::npos);
    CHECK(text.find("ETA 6 h 00 min") != std::string::npos);
    CHECK(text.find("21 s each") == std::string::npos);  // 20 min over all 28 runs: the old figure
  }

  TEST_CASE("items of unequal cost: the ETA weighs the work left, not the count") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("reference", 4, "runs", ProgressMode::Lines, out, clock.fn(), 5);
    p.work(0, 1 + 1 + 10 + 10);  // two cheap runs, then two ten times as costly
    p.update(0);
    clock.now_s += 600;
    p.work(1, 21);
    p.update(1);  // one unit of work in 10 min, 21 left: 3 h 30 min (the count would say 30 min)
    p.finish();
    const std::string text = out.str();
    CHECK(text.find("ETA 3 h 30 min") != std::string::npos);
    CHECK(text.find("ETA 30 min") == std::string::npos);
  }

  TEST_CASE("Lines: about one line per interval, not one per update, never a carriage return") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("search", 500, "evaluations", ProgressMode::Lines, out, clock.fn(), 5);
    // 500 updates over 25 s: five intervals.
    for (size_t i = 1; i <= 500; ++i) {
      clock.now_s += 0.05;
      p.update(i, "best 1.234 ms");
    }
    p.finish();
    const std::string text = out.str();
    CHECK(count(text, '\r') == 0);
    const size_t lines = count(text, '\n');
    CHECK(lines >= 5);
    CHECK(lines <= 6);  // 5 interval lines (the last may fall on the final update) + the final line
    CHECK(text.find("search: ") == 0);
    CHECK(text.find("evaluations (") != std::string::npos);
    CHECK(text.find("ETA") != std::string::npos);
    CHECK(text.find("best 1.234 ms") != std::string::npos);
    // The final line says it is done.
    const std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
    CHECK(last.find("500/500 evaluations (100%) in 25 s") != std::string::npos);
  }

  TEST_CASE("Lines: a short run prints only its final line, or the summary in its place") {
    std::ostringstream plain, summarised;
    FakeClock clock;
    {
      Progress p("sweep", 12, "runs", ProgressMode::Lines, plain, clock.fn());
      for (size_t i = 1; i <= 12; ++i) p.update(i);
      p.finish();
    }
    {
      Progress p("sweep", 12, "runs", ProgressMode::Lines, summarised, clock.fn());
      for (size_t i = 1; i <= 12; ++i) p.update(i);
      p.finish("nesim: swept 12 runs");
    }
    CHECK(count(plain.str(), '\n') == 1);
    CHECK(plain.str().find("sweep: 12/12 runs (100%)") == 0);
    CHECK(summarised.str() == "nesim: swept 12 runs\n");
  }

  TEST_CASE("Bar: redrawn with carriage returns at most ten times a second, ended by a newline") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("sweep", 100, "runs", ProgressMode::Bar, out, clock.fn());
    for (size_t i = 1; i <= 100; ++i) {
      clock.now_s += 0.01;  // one second in all: about ten redraws
      p.update(i);
    }
    p.finish("nesim: swept 100 runs");
    const std::string text = out.str();
    CHECK(count(text, '\r') >= 9);
    CHECK(count(text, '\r') <= 12);
    CHECK(text.find("[########################] 100/100 runs 100%") != std::string::npos);
    CHECK(text.size() >= 2);
    CHECK(text.substr(text.size() - std::string("\nnesim: swept 100 runs\n").size()) ==
          "\nnesim: swept 100 runs\n");
  }

  TEST_CASE("Bar: a note goes on its own line and the bar comes back below it") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("experiment", 3, "searches", ProgressMode::Bar, out, clock.fn());
    p.update(1);
    p.note("experiment detector: search V2");
    const std::string text = out.str();
    const size_t at = text.find("experiment detector: search V2\n");
    REQUIRE(at != std::string::npos);
    CHECK(text.find("1/3 searches", at) != std::string::npos);  // redrawn after the note
  }

  TEST_CASE("Bar: an unfinished bar still ends its line, so an error starts on a fresh one") {
    std::ostringstream out;
    FakeClock clock;
    {
      Progress p("train", 0, "steps", ProgressMode::Bar, out, clock.fn());
      clock.now_s += 1;
      p.update(7);
    }
    CHECK(out.str().find("train 7 steps") != std::string::npos);
    CHECK(out.str().back() == '\n');
  }

  TEST_CASE("Quiet: nothing at all, not even the summary or a note") {
    std::ostringstream out;
    FakeClock clock;
    Progress p("search", 10, "evaluations", ProgressMode::Quiet, out, clock.fn());
    for (size_t i = 1; i <= 10; ++i) {
      clock.now_s += 10;
      p.update(i);
    }
    p.note("a note");
    p.finish("summary");
    CHECK(out.str().empty());
  }
}
