// Wall-clock helpers.
#pragma once

#include <chrono>
#include <string>

namespace prism {

// "2026-11-26T12:00:00.123Z"
std::string utc_now_iso8601();
// Seconds since the Unix epoch (OpenAI's "created").
long long unix_time_seconds();
// Milliseconds elapsed on the steady clock since `start`.
inline double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace prism
