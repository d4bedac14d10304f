// Live realtime WebSockets, so that a draining server can close them with a
// close frame (going away) instead of waiting for their clients.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace prism::server {

class RealtimeRegistry {
 public:
  using Closer = std::function<void()>;  // must not block; called under the registry's lock
  std::uint64_t add(Closer closer);
  void remove(std::uint64_t id);
  // Asks every live socket to close; the caller refuses new ones.
  void close_all();
  std::size_t size();

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, Closer> closers_;
  std::uint64_t next_id_ = 0;
};

}  // namespace prism::server
