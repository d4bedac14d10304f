#include "hub/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace prism::hub {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string bar(double fraction, int width) {
  const int full = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  return "[" + std::string(full, '#') + std::string(width - full, '.') + "]";
}

std::string rate_and_eta(double bytes_moved, double elapsed, double remaining) {
  const double rate = elapsed > 0.05 ? bytes_moved / elapsed : 0;
  std::string s = human_bytes(rate) + "/s";
  if (rate > 0 && remaining > 0) s += ", " + human_duration(remaining / rate) + " left";
  return s;
}

}  // namespace

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string human_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

Progress::Progress(std::ostream& out, bool interactive, std::chrono::milliseconds plain_every)
    : out_(out), interactive_(interactive), plain_every_(plain_every), thread_([this] { loop(); }) {}

Progress::~Progress() { close(); }

void Progress::expect(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  expected_ += bytes;
}

int Progress::start_file(const std::string& name, std::uint64_t size, std::uint64_t held) {
  std::lock_guard lock(mu_);
  files_.push_back({name, size, held, held, Clock::now(), true});
  fetched_at_start_ += held;
  if (!interactive_) {
    out_ << "downloading " << name << " (" << human_bytes(static_cast<double>(size))
         << (held ? ", resuming at " + human_bytes(static_cast<double>(held)) : std::string()) << ")\n";
    out_.flush();
  }
  return static_cast<int>(files_.size()) - 1;
}

void Progress::update(int id, std::uint64_t held) {
  std::lock_guard lock(mu_);
  files_[id].held = held;
}

void Progress::finish_file(int id, bool ok) {
  std::lock_guard lock(mu_);
  File& f = files_[id];
  f.active = false;
  if (ok) {
    done_bytes_ += f.size;
  } else {
    expected_ -= std::min(expected_, f.size);
    fetched_at_start_ -= std::min(fetched_at_start_, f.held_at_start);
  }
  const double elapsed = seconds_since(f.started);
  std::string line = std::string(ok ? "done " : "stopped ") + f.name + "  " + human_bytes(static_cast<double>(ok ? f.size : f.held));
  if (ok) {
    char secs[32];
    std::snprintf(secs, sizeof secs, " in %.1f s (", elapsed);
    line += secs + human_bytes(static_cast<double>(f.size - f.held_at_start) / std::max(elapsed, 1e-3)) + "/s)";
  }
  clear_bars_locked();
  out_ << line << "\n";
  out_.flush();
}

void Progress::note(const std::string& line) {
  std::lock_guard lock(mu_);
  clear_bars_locked();
  out_ << line << "\n";
  out_.flush();
}

void Progress::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  clear_bars_locked();
  if (expected_ > 0) {
    out_ << total_line() << "\n";
    out_.flush();
  }
}

void Progress::loop() {
  const auto tick = interactive_ ? std::chrono::milliseconds(200) : plain_every_;
  std::unique_lock lock(mu_);
  while (!closed_) {
    wake_.wait_for(lock, tick, [this] { return closed_; });
    if (!closed_) draw_locked();
  }
}

std::string Progress::file_line(const File& f) const {
  const double frac = f.size ? static_cast<double>(f.held) / static_cast<double>(f.size) : 1.0;
  std::string name = f.name.size() > 40 ? "..." + f.name.substr(f.name.size() - 37) : f.name;
  return name + "  " + bar(frac, 20) + " " + human_bytes(static_cast<double>(f.held)) + " / " +
         human_bytes(static_cast<double>(f.size)) + "  " +
         rate_and_eta(static_cast<double>(f.held - f.held_at_start), seconds_since(f.started),
                      static_cast<double>(f.size - std::min(f.size, f.held)));
}

std::string Progress::total_line() const {
  std::uint64_t held = done_bytes_;
  for (const auto& f : files_)
    if (f.active) held += f.held;
  const double frac = expected_ ? static_cast<double>(held) / static_cast<double>(expected_) : 1.0;
  char pct[16];
  std::snprintf(pct, sizeof pct, "%3.0f%%", frac * 100);
  return std::string("total ") + pct + " " + bar(frac, 20) + " " + human_bytes(static_cast<double>(held)) + " / " +
         human_bytes(static_cast<double>(expected_)) + "  " +
         rate_and_eta(static_cast<double>(held - std::min(held, fetched_at_start_)), seconds_since(started_),
                      static_cast<double>(expected_ - std::min(expected_, held)));
}

void Progress::clear_bars_locked() {
  if (!interactive_ || bars_drawn_ == 0) return;
  for (int i = 0; i < bars_drawn_; ++i) out_ << "\x1b[1A\x1b[2K";
  out_ << "\r";
  bars_drawn_ = 0;
}

void Progress::draw_locked() {
  if (expected_ == 0) return;
  if (!interactive_) {
    std::uint64_t held = done_bytes_;
    bool any_active = false;
    for (const auto& f : files_)
      if (f.active) {
        held += f.held;
        any_active = true;
      }
    if (!any_active || held == last_plain_held_) return;  // nothing new to say
    last_plain_held_ = held;
    out_ << total_line() << "\n";
    out_.flush();
    return;
  }
  clear_bars_locked();
  int shown = 0;
  for (const auto& f : files_) {
    if (!f.active) continue;
    if (shown++ == 8) break;
    out_ << file_line(f) << "\n";
  }
  out_ << total_line() << "\n";
  bars_drawn_ = std::min(shown, 8) + 1;
  out_.flush();
}

}  // namespace prism::hub
