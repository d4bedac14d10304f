// Model health: nearest-rank percentiles, error-rate window, in-flight
// counts, the circuit breaker (closed -> open -> half-open with one probe ->
// closed / open again) and 429 Retry-After, all on explicit time points.
#include <gtest/gtest.h>

#include "router/health.h"

namespace prism::router {
namespace {

using std::chrono::milliseconds;

TEST(LatencyWindow, NearestRankPercentiles) {
  LatencyWindow w(100);
  EXPECT_FALSE(w.percentile(50));
  // The classic example: 15, 20, 35, 40, 50 (inserted out of order).
  for (double v : {40.0, 15.0, 50.0, 35.0, 20.0}) w.add(v);
  EXPECT_EQ(*w.percentile(5), 15);    // rank ceil(0.25) = 1
  EXPECT_EQ(*w.percentile(30), 20);   // rank ceil(1.5) = 2
  EXPECT_EQ(*w.percentile(40), 20);   // rank 2 exactly
  EXPECT_EQ(*w.percentile(50), 35);   // rank ceil(2.5) = 3
  EXPECT_EQ(*w.percentile(100), 50);
  EXPECT_EQ(*w.percentile(0), 15);    // the smallest sample

  LatencyWindow ten(100);
  for (int i = 10; i >= 1; --i) ten.add(i);
  EXPECT_EQ(*ten.percentile(50), 5);
  EXPECT_EQ(*ten.percentile(90), 9);
  EXPECT_EQ(*ten.percentile(91), 10);
  EXPECT_EQ(*ten.percentile(99), 10);

  LatencyWindow one(100);
  one.add(7);
  EXPECT_EQ(*one.percentile(0), 7);
  EXPECT_EQ(*one.percentile(50), 7);
  EXPECT_EQ(*one.percentile(100), 7);
}

TEST(LatencyWindow, KeepsOnlyTheNewestSamples) {
  LatencyWindow w(3);
  for (double v : {1000.0, 900.0, 1.0, 2.0, 3.0}) w.add(v);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(*w.percentile(100), 3);
  EXPECT_EQ(*w.percentile(0), 1);
}

struct Health : ::testing::Test {
  HealthSettings settings() {
    HealthSettings s;
    s.failure_threshold = 3;
    s.cooldown = milliseconds(1000);
    s.latency_window = 50;
    s.outcome_window = 4;
    return s;
  }
  HealthTracker tracker{settings()};
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

  void fail(const std::string& m, Clock::time_point t) {
    ASSERT_TRUE(tracker.try_begin(m, t));
    tracker.record_failure(m, t);
  }
  void succeed(const std::string& m, Clock::time_point t, double ttft = 10, double total = 100) {
    ASSERT_TRUE(tracker.try_begin(m, t));
    tracker.record_success(m, ttft, total, t);
  }
};

TEST_F(Health, UnknownModelHasAnEmptySnapshot) {
  const HealthSnapshot s = tracker.snapshot("nobody", t0);
  EXPECT_FALSE(s.ttft_p50_ms);
  EXPECT_FALSE(s.total_p90_ms);
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.error_rate, 0);
  EXPECT_EQ(s.circuit, CircuitState::closed);
  EXPECT_FALSE(s.unavailable_for_ms);
}

TEST_F(Health, LatencyPercentilesPerSeries) {
  for (int i = 1; i <= 10; ++i) succeed("m", t0, i * 10.0, i * 100.0);
  const HealthSnapshot s = tracker.snapshot("m", t0);
  EXPECT_EQ(s.samples, 10u);
  EXPECT_EQ(*s.ttft_p50_ms, 50);
  EXPECT_EQ(*s.ttft_p90_ms, 90);
  EXPECT_EQ(*s.total_p50_ms, 500);
  EXPECT_EQ(*s.total_p90_ms, 900);
}

TEST_F(Health, ErrorRateOverTheOutcomeWindow) {
  succeed("m", t0);
  EXPECT_EQ(tracker.snapshot("m", t0).error_rate, 0);
  fail("m", t0);
  EXPECT_DOUBLE_EQ(tracker.snapshot("m", t0).error_rate, 0.5);
  fail("m", t0);
  succeed("m", t0);
  EXPECT_DOUBLE_EQ(tracker.snapshot("m", t0).error_rate, 0.5);  // S F F S
  succeed("m", t0);  // window of 4 drops the first success: F F S S
  EXPECT_DOUBLE_EQ(tracker.snapshot("m", t0).error_rate, 0.5);
  succeed("m", t0);  // F S S S
  EXPECT_DOUBLE_EQ(tracker.snapshot("m", t0).error_rate, 0.25);
  succeed("m", t0);
  EXPECT_DOUBLE_EQ(tracker.snapshot("m", t0).error_rate, 0.0);
}

TEST_F(Health, InFlightCountsAdmissionsUntilTheyEnd) {
  EXPECT_TRUE(tracker.try_begin("m", t0));
  EXPECT_TRUE(tracker.try_begin("m", t0));
  EXPECT_TRUE(tracker.try_begin("m", t0));
  EXPECT_EQ(tracker.snapshot("m", t0).in_flight, 3);
  tracker.record_success("m", 1, 2, t0);
  tracker.record_failure("m", t0);
  EXPECT_EQ(tracker.snapshot("m", t0).in_flight, 1);
  tracker.record_abandoned("m");
  EXPECT_EQ(tracker.snapshot("m", t0).in_flight, 0);
  tracker.record_abandoned("m");  // never below zero
  EXPECT_EQ(tracker.snapshot("m", t0).in_flight, 0);
  // An abandoned request judges nothing.
  EXPECT_EQ(tracker.snapshot("m", t0).consecutive_failures, 1);
}

TEST_F(Health, CircuitOpensAfterThresholdConsecutiveFailures) {
  fail("m", t0);
  fail("m", t0);
  succeed("m", t0);  // a success resets the streak
  fail("m", t0);
  fail("m", t0);
  EXPECT_EQ(tracker.snapshot("m", t0).circuit, CircuitState::closed);
  EXPECT_EQ(tracker.snapshot("m", t0).consecutive_failures, 2);
  fail("m", t0);
  const HealthSnapshot s = tracker.snapshot("m", t0);
  EXPECT_EQ(s.circuit, CircuitState::open);
  EXPECT_EQ(s.consecutive_failures, 3);
  ASSERT_TRUE(s.unavailable_for_ms);
  EXPECT_DOUBLE_EQ(*s.unavailable_for_ms, 1000);
  EXPECT_EQ(s.unavailable_reason, "circuit open after 3 consecutive failures");
  EXPECT_DOUBLE_EQ(*tracker.snapshot("m", t0 + milliseconds(400)).unavailable_for_ms, 600);
  EXPECT_FALSE(tracker.try_begin("m", t0 + milliseconds(999)));
  EXPECT_EQ(tracker.snapshot("m", t0).in_flight, 0);  // a refused admission counts nothing
  // Other models are unaffected.
  EXPECT_TRUE(tracker.try_begin("other", t0));
}

TEST_F(Health, HalfOpenAfterCooldownLetsOneProbeThatClosesOnSuccess) {
  for (int i = 0; i < 3; ++i) fail("m", t0);
  const auto t1 = t0 + milliseconds(1000);
  HealthSnapshot s = tracker.snapshot("m", t1);
  EXPECT_EQ(s.circuit, CircuitState::half_open);
  EXPECT_FALSE(s.unavailable_for_ms);  // a probe may go

  ASSERT_TRUE(tracker.try_begin("m", t1));           // the probe
  EXPECT_FALSE(tracker.try_begin("m", t1));          // only one at a time
  EXPECT_FALSE(tracker.try_begin("m", t1 + milliseconds(5000)));
  s = tracker.snapshot("m", t1);
  EXPECT_EQ(s.circuit, CircuitState::half_open);
  ASSERT_TRUE(s.unavailable_for_ms);
  EXPECT_EQ(*s.unavailable_for_ms, 0);
  EXPECT_EQ(s.unavailable_reason, "circuit half-open with its probe request in flight");

  tracker.record_success("m", 5, 50, t1);
  s = tracker.snapshot("m", t1);
  EXPECT_EQ(s.circuit, CircuitState::closed);
  EXPECT_EQ(s.consecutive_failures, 0);
  EXPECT_FALSE(s.unavailable_for_ms);
  EXPECT_TRUE(tracker.try_begin("m", t1));
  EXPECT_TRUE(tracker.try_begin("m", t1));
}

TEST_F(Health, AFailedProbeReopensForAnotherCooldown) {
  for (int i = 0; i < 3; ++i) fail("m", t0);
  const auto t1 = t0 + milliseconds(1500);
  ASSERT_TRUE(tracker.try_begin("m", t1));
  tracker.record_failure("m", t1);
  HealthSnapshot s = tracker.snapshot("m", t1);
  EXPECT_EQ(s.circuit, CircuitState::open);
  EXPECT_DOUBLE_EQ(*s.unavailable_for_ms, 1000);  // counted from the probe's failure
  EXPECT_EQ(s.unavailable_reason, "circuit open after 4 consecutive failures");
  EXPECT_FALSE(tracker.try_begin("m", t1 + milliseconds(999)));
  EXPECT_EQ(tracker.snapshot("m", t1 + milliseconds(1000)).circuit, CircuitState::half_open);
  EXPECT_TRUE(tracker.try_begin("m", t1 + milliseconds(1000)));
}

TEST_F(Health, AnAbandonedProbeLetsTheNextProbeGo) {
  for (int i = 0; i < 3; ++i) fail("m", t0);
  const auto t1 = t0 + milliseconds(1000);
  ASSERT_TRUE(tracker.try_begin("m", t1));
  tracker.record_abandoned("m");
  EXPECT_TRUE(tracker.try_begin("m", t1));
}

TEST_F(Health, RateLimitedUntilRetryAfter) {
  ASSERT_TRUE(tracker.try_begin("m", t0));
  tracker.record_rate_limited("m", milliseconds(2000), t0);
  HealthSnapshot s = tracker.snapshot("m", t0 + milliseconds(500));
  ASSERT_TRUE(s.unavailable_for_ms);
  EXPECT_DOUBLE_EQ(*s.unavailable_for_ms, 1500);
  EXPECT_EQ(s.unavailable_reason, "rate limited by the upstream (429 Retry-After)");
  EXPECT_EQ(s.circuit, CircuitState::closed);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_DOUBLE_EQ(s.error_rate, 1.0);  // a 429 counts as an error
  EXPECT_FALSE(tracker.try_begin("m", t0 + milliseconds(1999)));
  EXPECT_FALSE(tracker.snapshot("m", t0 + milliseconds(2000)).unavailable_for_ms);
  EXPECT_TRUE(tracker.try_begin("m", t0 + milliseconds(2000)));

  // A shorter Retry-After later does not shorten an earlier, longer one.
  tracker.record_rate_limited("m", milliseconds(5000), t0 + milliseconds(2000));
  tracker.record_rate_limited("m", milliseconds(100), t0 + milliseconds(2100));
  EXPECT_FALSE(tracker.try_begin("m", t0 + milliseconds(6999)));
  EXPECT_TRUE(tracker.try_begin("m", t0 + milliseconds(7000)));
}

TEST_F(Health, SnapshotJson) {
  succeed("m", t0, 12.34, 56.78);
  const auto j = tracker.snapshot("m", t0).to_json();
  EXPECT_EQ(j["circuit"], "closed");
  EXPECT_EQ(j["samples"], 1);
  EXPECT_DOUBLE_EQ(j["ttft_p50_ms"].get<double>(), 12.3);
  EXPECT_DOUBLE_EQ(j["total_p90_ms"].get<double>(), 56.8);
  EXPECT_EQ(to_string(CircuitState::half_open), "half_open");
  EXPECT_TRUE(tracker.snapshot("x", t0).to_json()["ttft_p50_ms"].is_null());
}

}  // namespace
}  // namespace prism::router
