// Structured logging: one JSON object per line on stderr.
//
//   prism::log::info("request done", {{"request_id", id}, {"status", 200}});
//
// Every line carries "ts" (RFC 3339, UTC, milliseconds), "level" and "msg";
// callers add fields such as "request_id". Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace prism::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
// Parses "debug" / "info" / "warn" / "error" / "off"; throws prism::Error otherwise.
Level parse_level(std::string_view name);

void write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::debug, msg, fields);
}
inline void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::info, msg, fields);
}
inline void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::warn, msg, fields);
}
inline void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::error, msg, fields);
}

}  // namespace prism::log
