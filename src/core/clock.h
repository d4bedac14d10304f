// Wall-clock helpers.
#pragma once

#include <string>

namespace prism {

// "2026-11-26T12:00:00.123Z"
std::string utc_now_iso8601();
// Seconds since the Unix epoch (OpenAI's "created").
long long unix_time_seconds();

}  // namespace prism
