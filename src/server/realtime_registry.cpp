#include "server/realtime_registry.h"

namespace prism::server {

std::uint64_t RealtimeRegistry::add(Closer closer) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto id = next_id_++;
  closers_.emplace(id, std::move(closer));
  return id;
}

void RealtimeRegistry::remove(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  closers_.erase(id);
}

void RealtimeRegistry::close_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, closer] : closers_) closer();
}

std::size_t RealtimeRegistry::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closers_.size();
}

}  // namespace prism::server
