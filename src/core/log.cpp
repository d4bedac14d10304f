#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/error.h"

namespace prism::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::mutex g_write_mutex;

std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "info";
}

}  // namespace

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(); }

Level parse_level(std::string_view name) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    if (name == level_name(l)) return l;
  }
  throw Error("unknown log level '" + std::string(name) + "' (expected debug, info, warn, error or off)");
}

void write(Level lvl, std::string_view msg, const nlohmann::json& fields) {
  if (lvl < g_level.load()) return;
  nlohmann::json line = {{"ts", utc_timestamp()}, {"level", level_name(lvl)}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // "replace" keeps a line with invalid UTF-8 (e.g. a hostile header) printable.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace prism::log
