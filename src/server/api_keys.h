// Optional API keys (Authorization: Bearer <key>), each naming the models it
// may use. With no keys configured, every request is allowed.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

namespace prism::server {

class ApiKeys {
 public:
  explicit ApiKeys(std::vector<ApiKey> keys) : keys_(std::move(keys)) {}
  bool enabled() const { return !keys_.empty(); }
  // The key matching an Authorization header value ("Bearer <key>"), or null.
  const ApiKey* authenticate(std::string_view authorization_header) const;
  // The key matching a bare key string (e.g. from a WebSocket subprotocol).
  const ApiKey* find_key(std::string_view key) const;

 private:
  std::vector<ApiKey> keys_;
};

}  // namespace prism::server
