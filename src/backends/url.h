// Splitting an http(s) base URL into what a connection needs.
#pragma once

#include <string>

namespace prism::backends {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;   // numeric, defaulted from the scheme
  std::string path;   // without a trailing slash, e.g. "/v1"
};

// Throws prism::Error naming the URL when it is not http(s)://host[:port][/path].
Url parse_url(const std::string& url);

}  // namespace prism::backends
