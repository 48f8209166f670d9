#include "sim/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "sim/exec/rank.h"
#include "sim/util/error.h"

namespace nesim {

namespace {

constexpr double kBarRedraw_s = 0.1;
constexpr int kBarCells = 24;

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "0.4 s", "42 s", "3 min 20 s", "1 h 05 min".
std::string duration_text(double s) {
  if (s < 9.95) return fmt::format("{:.1f} s", std::max(0.0, s));
  const long t = std::lround(s);
  if (t < 60) return fmt::format("{} s", t);
  if (t < 3600) return fmt::format("{} min {:02} s", t / 60, t % 60);
  return fmt::format("{} h {:02} min", t / 3600, t % 3600 / 60);
}

std::string rate_text(double per_s) {
  if (per_s >= 0.1) return fmt::format("{:.1f}/s", per_s);
  return per_s > 0 ? fmt::format("{} each", duration_text(1 / per_s)) : std::string("-/s");
}

}  // namespace

ProgressMode progress_mode(bool progress_flag, bool quiet_flag, bool stderr_is_tty) {
  if (progress_flag && quiet_flag) throw input_error("--progress and --quiet: expected at most one of them");
  if (quiet_flag) return ProgressMode::Quiet;
  if (progress_flag) return ProgressMode::Bar;
  return stderr_is_tty ? ProgressMode::Bar : ProgressMode::Lines;
}

ProgressMode progress_mode(bool progress_flag, bool quiet_flag) {
  return progress_mode(progress_flag, quiet_flag, isatty(STDERR_FILENO) == 1);
}

Progress::Progress(std::string label, size_t total, std::string unit, ProgressMode mode)
    : Progress(std::move(label), total, std::move(unit), mode, std::cerr, steady_seconds) {}

Progress::Progress(std::string label, size_t total, std::string unit, ProgressMode mode, std::ostream& out,
                   Clock now_s, double line_interval_s)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      mode_(mode),
      out_(out),
      now_s_(std::move(now_s)),
      line_interval_s_(line_interval_s),
      start_s_(now_s_()),
      owner_pid_(static_cast<long>(getpid())) {}

Progress::~Progress() {
  if (!finished_ && mode_ == ProgressMode::Bar && bar_width_chars_ > 0 && owns_output()) out_ << "\n" << std::flush;
}

// A forked worker's copy stays silent, and so does every MPI rank but 0: one display per run.
bool Progress::owns_output() const { return static_cast<long>(getpid()) == owner_pid_ && exec::is_output_rank(); }

std::string Progress::status(double elapsed_s, bool final) const {
  const size_t done_here = done_ > done_before_ ? done_ - done_before_ : 0;
  const double rate = elapsed_s > 0 ? static_cast<double>(done_here) / elapsed_s : 0.0;
  const bool bar = mode_ == ProgressMode::Bar;
  const char* sep = bar ? "  " : ", ";
  std::string s = label_ + (bar ? " " : ": ");
  if (total_ > 0) {
    const size_t shown = std::min(done_, total_);
    const double pct = 100.0 * static_cast<double>(shown) / static_cast<double>(total_);
    if (bar) {
      const size_t filled = shown * kBarCells / total_;
      s += fmt::format("[{}{}] {}/{} {} {:.0f}%", std::string(filled, '#'), std::string(kBarCells - filled, '-'),
                       done_, total_, unit_, pct);
    } else {
      s += fmt::format("{}/{} {} ({:.0f}%)", done_, total_, unit_, pct);
    }
  } else {
    s += fmt::format("{} {}", done_, unit_);
  }
  if (final) s += fmt::format(" in {}", duration_text(elapsed_s));
  if (done_here > 0) s += sep + rate_text(rate);
  if (!final && total_ > done_ && work_left_ >= 0) {
    if (work_done_here_ > 0) s += fmt::format("{}ETA {}", sep, duration_text(elapsed_s * work_left_ / work_done_here_));
  } else if (!final && total_ > done_ && rate > 0) {
    s += fmt::format("{}ETA {}", sep, duration_text(static_cast<double>(total_ - done_) / rate));
  }
  if (!extra_.empty()) s += sep + extra_;
  return s;
}

void Progress::draw_bar(double now_s) {
  const std::string line = status(now_s - start_s_, finished_);
  const size_t pad = bar_width_chars_ > line.size() ? bar_width_chars_ - line.size() : 0;
  out_ << '\r' << line << std::string(pad, ' ') << std::flush;
  bar_width_chars_ = line.size();
  last_print_s_ = now_s;
}

void Progress::clear_bar() {
  if (bar_width_chars_ == 0) return;
  out_ << '\r' << std::string(bar_width_chars_, ' ') << '\r';
  bar_width_chars_ = 0;
}

void Progress::resume(size_t done_before) { done_ = done_before_ = done_before; }

void Progress::work(double done_here, double left) {
  work_done_here_ = done_here;
  work_left_ = left;
}

void Progress::update(size_t done, const std::string& extra) {
  done_ = done;
  extra_ = extra;
  if (mode_ == ProgressMode::Quiet || finished_) return;
  const double now = now_s_();
  if (mode_ == ProgressMode::Bar) {
    if (last_print_s_ >= 0 && now - last_print_s_ < kBarRedraw_s) return;
    if (owns_output()) draw_bar(now);
    return;
  }
  const double since = now - (last_print_s_ >= 0 ? last_print_s_ : start_s_);
  if (since < line_interval_s_ || !owns_output()) return;
  out_ << status(now - start_s_, false) << '\n' << std::flush;
  last_print_s_ = now;
}

void Progress::note(const std::string& line) {
  if (mode_ == ProgressMode::Quiet || !owns_output()) return;
  const bool redraw = mode_ == ProgressMode::Bar && bar_width_chars_ > 0 && !finished_;
  if (mode_ == ProgressMode::Bar) clear_bar();
  out_ << line << '\n' << std::flush;
  if (redraw) draw_bar(now_s_());
}

void Progress::finish(const std::string& summary) {
  if (finished_) return;
  finished_ = true;
  if (mode_ == ProgressMode::Quiet || !owns_output()) return;
  const double now = now_s_();
  if (mode_ == ProgressMode::Bar) {
    draw_bar(now);
    out_ << '\n';
    bar_width_chars_ = 0;  // the line is done: nothing left to blank out
    if (!summary.empty()) out_ << summary << '\n';
  } else {
    out_ << (summary.empty() ? status(now - start_s_, true) : summary) << '\n';
  }
  out_ << std::flush;
}

}  // namespace nesim
