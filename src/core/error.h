// Error type used across prism: a message meant for a person, already
// naming the file / field / value that is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace prism {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace prism

namespace prism {

// The caller's input is at fault (bad image, prompt longer than the context,
// path outside the allowed directory...). Servers map it to HTTP 400.
class InvalidInput : public Error {
 public:
  explicit InvalidInput(const std::string& message) : Error(message) {}
};

}  // namespace prism

namespace prism {

// No capacity for the request now (the local engine's queue is full or no
// place opened in time). Servers map it to HTTP 429 with Retry-After.
class Overloaded : public Error {
 public:
  Overloaded(const std::string& message, int retry_after_ms) : Error(message), retry_after_ms(retry_after_ms) {}
  int retry_after_ms;
};

}  // namespace prism
