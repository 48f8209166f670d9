#pragma once
// Progress of a long command on stderr, one reporter for every command, so that a terminal gets a
// redrawn bar and a log file gets a plain line every few seconds instead of '\r'-joined redraws.
// Plain C++ (no SystemC): the search, the dataset sampler and the CLI all use it.
//
// Example:
//   Progress p("search", 500, "evaluations", progress_mode(flags.progress, flags.quiet));
//   for (...) p.update(done, "best 1.234 ms");
//   p.finish();   // Lines: "search: 500/500 evaluations (100%) in 12.1 s, 41.2/s, best 1.234 ms"
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

namespace nesim {

enum class ProgressMode {
  Bar,    // a terminal: one line redrawn with '\r', at most ten times a second
  Lines,  // a log or pipe: one plain line every few seconds and a final one, never a '\r'
  Quiet,  // nothing at all; errors still reach stderr through the caller
};

// The one rule every command follows: --quiet -> Quiet; --progress -> Bar even when stderr is not
// a terminal; neither -> Bar on a terminal, Lines otherwise. Both flags: InputError.
ProgressMode progress_mode(bool progress_flag, bool quiet_flag, bool stderr_is_tty);
ProgressMode progress_mode(bool progress_flag, bool quiet_flag);  // asks isatty(stderr)

// Counts `done` out of `total` (0 = unknown) `unit`s for a `label`. Only the process that built it
// prints: a forked worker that inherits a copy stays silent, and its parent reports for it.
class Progress {
 public:
  using Clock = std::function<double()>;  // seconds, monotonic

  Progress(std::string label, size_t total, std::string unit, ProgressMode mode);
  // For tests: the output stream, the clock and the Lines interval are injected.
  Progress(std::string label, size_t total, std::string unit, ProgressMode mode, std::ostream& out, Clock now_s,
           double line_interval_s = 5);
  ~Progress();  // ends an unfinished bar's line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Work done before this process started (a resumed journal): counted as done, left out of the
  // rate and the ETA, which time only what this process does. Call before the first update().
  void resume(size_t done_before);
  // Items of unequal cost (reference runs from 4 to 184 M MACs): the ETA is the time this process
  // took for `done_here` units of work (any unit: MACs) scaled to the `left` units still to do,
  // instead of the count's. Call before the update() it should show in.
  void work(double done_here, double left);
  // `extra` is appended to the status ("best 1.234 ms"). Cheap when nothing is due to print.
  void update(size_t done, const std::string& extra = "");
  // A line of its own ("experiment detector: search V1"); the bar is redrawn below it. Not in Quiet.
  void note(const std::string& line);
  // The last status: Bar completes and ends its line; Lines prints `summary`, or without one a
  // final status line. Bar also prints a non-empty `summary` on a line of its own. Quiet: nothing.
  void finish(const std::string& summary = "");

  ProgressMode mode() const { return mode_; }

 private:
  std::string status(double elapsed_s, bool final) const;
  bool owns_output() const;
  void draw_bar(double now_s);
  void clear_bar();

  std::string label_, unit_;
  size_t total_, done_ = 0, done_before_ = 0;
  double work_done_here_ = 0, work_left_ = -1;  // work(); -1: not given, the ETA counts items
  std::string extra_;
  ProgressMode mode_;
  std::ostream& out_;
  Clock now_s_;
  double line_interval_s_;
  double start_s_, last_print_s_ = -1;
  size_t bar_width_chars_ = 0;  // what the last redraw wrote, to blank it out
  bool finished_ = false;
  long owner_pid_;
};

}  // namespace nesim
