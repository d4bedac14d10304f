#include "backends/url.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace prism::backends {

Url parse_url(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    url.tls = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else {
    throw Error("URL '" + text + "' must start with http:// or https://");
  }
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  if (authority.find('@') != std::string::npos) throw Error("URL '" + text + "' must not carry credentials");
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string::npos) throw Error("URL '" + text + "' has an unterminated IPv6 address");
    url.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] != ':')
      throw Error("URL '" + text + "' has unexpected text after the IPv6 address");
    if (!authority.empty()) url.port = authority.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw Error("URL '" + text + "' has no host");
  if (url.port.empty()) url.port = url.tls ? "443" : "80";
  if (!std::all_of(url.port.begin(), url.port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      url.port.size() > 5 || std::stoi(url.port) == 0 || std::stoi(url.port) > 65535)
    throw Error("URL '" + text + "' has an invalid port '" + url.port + "'");
  return url;
}

}  // namespace prism::backends
