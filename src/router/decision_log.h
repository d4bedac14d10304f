// Decision records: why the router chose what it chose, and how it went.
//
// A record is opened when a decision is made (so GET /v1/router/decisions/{id}
// shows it while the request runs) and finished when the request ends; a
// finished record moves to a bounded in-memory ring and is appended, as one
// line, to a JSON Lines file that is flushed to the operating system at once
// (optionally fsync'ed). A clean shutdown waits for in-flight requests, so
// every record whose id was sent to a client reaches the file. A process
// crash loses only the records still in flight; a machine crash can also lose
// lines not yet fsync'ed. At start the file's last lines refill the ring.
#pragma once

#include <cstdio>
#include <deque>
#include <functional>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace prism::router {

class DecisionLog {
 public:
  // `path` empty = memory only. Throws prism::Error when the file cannot be opened.
  DecisionLog(std::size_t ring_capacity, std::filesystem::path path, bool fsync_each = false);
  ~DecisionLog();
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // `record` must hold a string "id".
  void open(const nlohmann::json& record);
  // Merges `fields` into the open record, then stores it (ring + file).
  void finish(const std::string& id, const nlohmann::json& fields);
  // Updates an open record in place (e.g. appends an attempt).
  void update(const std::string& id, const std::function<void(nlohmann::json&)>& change);

  std::optional<nlohmann::json> find(const std::string& id) const;
  // Newest first, at most `limit`; `model` filters on the chosen model when non-empty.
  nlohmann::json recent(std::size_t limit, const std::string& model = "") const;
  std::size_t lines_loaded_at_start() const { return loaded_; }
  void flush();

 private:
  void load_existing();
  void append_line(const nlohmann::json& record);

  std::size_t capacity_;
  std::filesystem::path path_;
  bool fsync_each_;
  std::FILE* file_ = nullptr;
  std::size_t loaded_ = 0;
  mutable std::mutex mutex_;
  std::deque<nlohmann::json> ring_;
  std::map<std::string, nlohmann::json> open_;
};

}  // namespace prism::router
