#include "router/decision_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

#include "core/error.h"
#include "core/log.h"

namespace prism::router {

DecisionLog::DecisionLog(std::size_t ring_capacity, std::filesystem::path path, bool fsync_each)
    : capacity_(ring_capacity == 0 ? 1 : ring_capacity), path_(std::move(path)), fsync_each_(fsync_each) {
  if (path_.empty()) return;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  load_existing();
  file_ = std::fopen(path_.c_str(), "a+");
  if (!file_) throw Error("cannot open decision log '" + path_.string() + "': " + std::strerror(errno));
  // A crash mid-write can leave a last line without its newline: end it, so
  // the next record starts on a line of its own.
  if (std::fseek(file_, -1, SEEK_END) == 0 && std::fgetc(file_) != '\n') std::fputc('\n', file_);
  std::fflush(file_);
}

DecisionLog::~DecisionLog() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_) {
    std::fflush(file_);
    ::fsync(fileno(file_));
    std::fclose(file_);
  }
}

void DecisionLog::load_existing() {
  std::ifstream in(path_);
  if (!in) return;
  std::string line;
  std::size_t bad = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // A torn last line (crash mid-write) is skipped, not fatal.
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id")) {
      ++bad;
      continue;
    }
    ring_.push_back(std::move(j));
    if (ring_.size() > capacity_) ring_.pop_front();
    ++loaded_;
  }
  if (bad) log::warn("decision log had unreadable lines, skipped", {{"path", path_.string()}, {"lines", bad}});
}

void DecisionLog::append_line(const nlohmann::json& record) {
  if (!file_) return;
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    log::error("cannot write decision log", {{"path", path_.string()}, {"error", std::strerror(errno)}});
    return;
  }
  if (fsync_each_) ::fsync(fileno(file_));
}

void DecisionLog::open(const nlohmann::json& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_[record.at("id").get<std::string>()] = record;
}

void DecisionLog::update(const std::string& id, const std::function<void(nlohmann::json&)>& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(id);
  if (it != open_.end()) change(it->second);
}

void DecisionLog::finish(const std::string& id, const nlohmann::json& fields) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(id);
  if (it == open_.end()) return;
  nlohmann::json record = std::move(it->second);
  open_.erase(it);
  for (auto f = fields.begin(); f != fields.end(); ++f) record[f.key()] = f.value();
  append_line(record);
  ring_.push_back(std::move(record));
  if (ring_.size() > capacity_) ring_.pop_front();
}

std::optional<nlohmann::json> DecisionLog::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = open_.find(id); it != open_.end()) return it->second;
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if ((*it)["id"] == id) return *it;
  }
  return std::nullopt;
}

nlohmann::json DecisionLog::recent(std::size_t limit, const std::string& model) const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (auto it = ring_.rbegin(); it != ring_.rend() && out.size() < limit; ++it) {
    if (!model.empty() && it->value("chosen", nlohmann::json()) != model) continue;
    out.push_back(*it);
  }
  return out;
}

void DecisionLog::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_) {
    std::fflush(file_);
    ::fsync(fileno(file_));
  }
}

}  // namespace prism::router
