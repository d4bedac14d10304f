#include "server/api_keys.h"

namespace prism::server {
namespace {

// Compares without an early exit, so timing does not reveal a key's prefix.
bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

}  // namespace

const ApiKey* ApiKeys::find_key(std::string_view key) const {
  const ApiKey* found = nullptr;
  for (const auto& k : keys_) {
    if (equal_constant_time(key, k.key)) found = &k;
  }
  return found;
}

const ApiKey* ApiKeys::authenticate(std::string_view header) const {
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() <= prefix.size()) return nullptr;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return nullptr;
  }
  return find_key(header.substr(prefix.size()));
}

}  // namespace prism::server
