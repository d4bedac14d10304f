#include "router/health.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace prism::router {

void LatencyWindow::add(double ms) {
  samples_.push_back(ms);
  while (samples_.size() > capacity_) samples_.pop_front();
}

std::optional<double> LatencyWindow::percentile(double p) const {
  if (samples_.empty()) return std::nullopt;
  std::vector<double> sorted(samples_.begin(), samples_.end());
  std::sort(sorted.begin(), sorted.end());
  // Nearest-rank percentile: the smallest sample with at least p% at or below it.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t index = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[index];
}

std::string to_string(CircuitState s) {
  switch (s) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
  }
  return "closed";
}

nlohmann::json HealthSnapshot::to_json() const {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(std::round(*v * 10) / 10) : nlohmann::json(nullptr); };
  return {{"ttft_p50_ms", opt(ttft_p50_ms)},
          {"ttft_p90_ms", opt(ttft_p90_ms)},
          {"total_p50_ms", opt(total_p50_ms)},
          {"total_p90_ms", opt(total_p90_ms)},
          {"samples", samples},
          {"error_rate", std::round(error_rate * 1000) / 1000},
          {"in_flight", in_flight},
          {"queue_wait_ms", std::round(queue_wait_ms)},
          {"consecutive_failures", consecutive_failures},
          {"circuit", to_string(circuit)}};
}

HealthTracker::State& HealthTracker::state(const std::string& model) {
  auto it = states_.find(model);
  if (it == states_.end()) it = states_.emplace(model, State(settings_)).first;
  return it->second;
}

HealthSnapshot HealthTracker::snapshot(const std::string& model, Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  HealthSnapshot snap;
  auto it = states_.find(model);
  if (it == states_.end()) return snap;
  const State& s = it->second;
  snap.ttft_p50_ms = s.ttft.percentile(50);
  snap.ttft_p90_ms = s.ttft.percentile(90);
  snap.total_p50_ms = s.total.percentile(50);
  snap.total_p90_ms = s.total.percentile(90);
  snap.samples = s.total.size();
  if (!s.outcomes.empty())
    snap.error_rate = static_cast<double>(std::count(s.outcomes.begin(), s.outcomes.end(), true)) /
                      static_cast<double>(s.outcomes.size());
  snap.in_flight = s.in_flight;
  snap.queue_wait_ms = s.queue_wait_ms;
  snap.consecutive_failures = s.consecutive_failures;
  snap.circuit = s.circuit;
  if (s.circuit == CircuitState::open && now >= s.open_until) snap.circuit = CircuitState::half_open;
  auto ms_left = [&](Clock::time_point until) {
    return std::chrono::duration<double, std::milli>(until - now).count();
  };
  if (snap.circuit == CircuitState::open) {
    snap.unavailable_for_ms = ms_left(s.open_until);
    snap.unavailable_reason = "circuit open after " + std::to_string(s.consecutive_failures) + " consecutive failures";
  } else if (snap.circuit == CircuitState::half_open && s.probe_out) {
    snap.unavailable_for_ms = 0.0;
    snap.unavailable_reason = "circuit half-open with its probe request in flight";
  } else if (now < s.rate_limited_until) {
    snap.unavailable_for_ms = ms_left(s.rate_limited_until);
    snap.unavailable_reason = "rate limited by the upstream (429 Retry-After)";
  }
  return snap;
}

bool HealthTracker::try_begin(const std::string& model, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = state(model);
  if (s.circuit == CircuitState::open) {
    if (now < s.open_until) return false;
    s.circuit = CircuitState::half_open;
    s.probe_out = false;
  }
  if (s.circuit == CircuitState::half_open) {
    if (s.probe_out) return false;
    s.probe_out = true;
  }
  if (now < s.rate_limited_until) {
    if (s.circuit == CircuitState::half_open) s.probe_out = false;
    return false;
  }
  ++s.in_flight;
  return true;
}

void HealthTracker::push_outcome(State& s, bool failed) {
  s.outcomes.push_back(failed);
  while (s.outcomes.size() > settings_.outcome_window) s.outcomes.pop_front();
}

void HealthTracker::record_success(const std::string& model, double ttft_ms, double total_ms, Clock::time_point) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = state(model);
  s.in_flight = std::max(0, s.in_flight - 1);
  s.ttft.add(ttft_ms);
  s.total.add(total_ms);
  push_outcome(s, false);
  s.consecutive_failures = 0;
  s.circuit = CircuitState::closed;
  s.probe_out = false;
}

void HealthTracker::record_failure(const std::string& model, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = state(model);
  s.in_flight = std::max(0, s.in_flight - 1);
  push_outcome(s, true);
  ++s.consecutive_failures;
  const bool probe_failed = s.circuit == CircuitState::half_open;
  if (probe_failed || s.consecutive_failures >= settings_.failure_threshold) {
    s.circuit = CircuitState::open;
    s.open_until = now + settings_.cooldown;
  }
  s.probe_out = false;
}

void HealthTracker::record_abandoned(const std::string& model) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = state(model);
  s.in_flight = std::max(0, s.in_flight - 1);
  s.probe_out = false;
}

void HealthTracker::set_queue_wait(const std::string& model, double ms) {
  std::lock_guard lock(mutex_);
  state(model).queue_wait_ms = ms;
}

void HealthTracker::record_rate_limited(const std::string& model, std::chrono::milliseconds retry_after,
                                        Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = state(model);
  s.in_flight = std::max(0, s.in_flight - 1);
  push_outcome(s, true);
  s.rate_limited_until = std::max(s.rate_limited_until, now + retry_after);
  s.probe_out = false;
}

}  // namespace prism::router
