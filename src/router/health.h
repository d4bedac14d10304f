// Observed health of each model: latency percentiles over a sliding window,
// error rate, requests in flight, and a circuit breaker (Envoy's "outlier
// detection"): after `failure_threshold` consecutive failures the model is
// ejected for `cooldown`, then one probe request is let through (half-open);
// success closes the circuit, failure opens it again. An upstream 429 with
// Retry-After also takes the model out until that time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace prism::router {

using Clock = std::chrono::steady_clock;

struct HealthSettings {
  int failure_threshold = 5;
  std::chrono::milliseconds cooldown{30000};
  std::size_t latency_window = 200;  // samples kept per latency series
  std::size_t outcome_window = 100;  // outcomes kept for the error rate
};

// A fixed-size window of samples with percentile queries.
class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t capacity) : capacity_(capacity) {}
  void add(double ms);
  std::optional<double> percentile(double p) const;  // p in 0..100; nullopt when empty
  std::size_t size() const { return samples_.size(); }

 private:
  std::size_t capacity_;
  std::deque<double> samples_;
};

enum class CircuitState { closed, open, half_open };
std::string to_string(CircuitState s);

// A snapshot of one model's health, for routing and for explanations.
struct HealthSnapshot {
  std::optional<double> ttft_p50_ms, ttft_p90_ms, total_p50_ms, total_p90_ms;
  std::size_t samples = 0;
  double error_rate = 0;
  int in_flight = 0;
  int consecutive_failures = 0;
  CircuitState circuit = CircuitState::closed;
  std::optional<double> unavailable_for_ms;  // circuit open or rate limited: time left
  std::string unavailable_reason;            // words, when unavailable
  double queue_wait_ms = 0;                  // a local engine's expected wait for a place now
  nlohmann::json to_json() const;
};

class HealthTracker {
 public:
  explicit HealthTracker(HealthSettings settings = {}) : settings_(settings) {}

  HealthSnapshot snapshot(const std::string& model, Clock::time_point now = Clock::now()) const;

  // Admission: returns false (and does nothing) when the circuit is open, or
  // half-open with its probe already out. On true the model's in-flight
  // count is raised; the caller must later call record_success/failure.
  bool try_begin(const std::string& model, Clock::time_point now = Clock::now());
  void record_success(const std::string& model, double ttft_ms, double total_ms,
                      Clock::time_point now = Clock::now());
  void record_failure(const std::string& model, Clock::time_point now = Clock::now());
  // The request ended without judging the model (e.g. the client went away).
  void record_abandoned(const std::string& model);
  void record_rate_limited(const std::string& model, std::chrono::milliseconds retry_after,
                           Clock::time_point now = Clock::now());
  // A local engine's current expected queue wait (0 while it has room),
  // added to its expected latency so a saturated engine loses to others.
  void set_queue_wait(const std::string& model, double ms);

 private:
  struct State {
    explicit State(const HealthSettings& s) : ttft(s.latency_window), total(s.latency_window) {}
    LatencyWindow ttft;
    LatencyWindow total;
    std::deque<bool> outcomes;  // true = failure
    int in_flight = 0;
    int consecutive_failures = 0;
    CircuitState circuit = CircuitState::closed;
    Clock::time_point open_until{};
    bool probe_out = false;
    Clock::time_point rate_limited_until{};
    double queue_wait_ms = 0;
  };
  State& state(const std::string& model);
  void push_outcome(State& s, bool failed);

  HealthSettings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, State> states_;
};

}  // namespace prism::router
